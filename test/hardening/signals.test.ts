// Red-team corpus, Ctrl-C and SIGTERM (issue 15, class 9): an interrupted run must not leave its run
// lock on the hosts, lose the recap or the --report/--json, cut a running command in half, start new
// work, or end in a stack trace. Real hosts; each task that must be "in flight" blocks on a FIFO the
// test opens when it has sent its signal.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan, repoRoot } from '../integration/cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const main = path.join(repoRoot, 'dist/fleetplan.js');

interface Running {
  child: ChildProcess;
  output: () => string;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** The CLI as an operator starts it, whose signals the test sends. */
function start(args: string[]): Running {
  const child = spawn(process.execPath, [main, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (d) => ((output += d), (stdout += d)));
  child.stderr!.on('data', (d) => (output += d));
  const t0 = Date.now();
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, ms: Date.now() - t0 });
    }),
  );
  return { child, output: () => output, stdout: () => stdout, exited };
}

async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const noStackTrace = (text: string) => assert.doesNotMatch(text, /\n\s+at |internal error/, text);

describe('Ctrl-C and SIGTERM during apply', { skip }, () => {
  let out = '';
  let fleet: Fleet;
  let blocking = '';
  let noop = '';
  before(async () => {
    out = mkdtempSync('/tmp/fleetplan-signals-');
    fleet = await up({ os: 'debian-sysv', count: 3, out });
    blocking = path.join(out, 'blocking.yml');
    // 'block' waits until the test opens the FIFO: it is the in-flight command when the signal comes.
    writeFileSync(
      blocking,
      [
        'name: blocking',
        'hosts: all',
        'tasks:',
        '  - name: first',
        '    command: "touch /var/tmp/first"',
        '    notify: note it',
        '  - name: block',
        '    command: "touch /var/tmp/started; cat /var/tmp/go >/dev/null; touch /var/tmp/block-done"',
        '  - name: after',
        '    command: "touch /var/tmp/after"',
        'handlers:',
        '  - name: note it',
        '    command: "touch /var/tmp/handler"',
        '',
      ].join('\n'),
    );
    noop = path.join(out, 'noop.yml');
    writeFileSync(noop, 'name: noop\nhosts: all\ntasks:\n  - name: noop\n    command: "true"\n');
  });
  after(async () => {
    if (!out) return;
    // Never leave a command of this file blocked on its FIFO.
    if (fleet) await Promise.all(fleet.hosts.map((h) => fleet.exec(h.name, 'for i in 1 2 3; do [ -p /var/tmp/go ] && timeout 1 sh -c "echo > /var/tmp/go"; done; true').catch(() => undefined)));
    await down(out).catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  });

  const onAll = (cmd: string) => Promise.all(fleet.hosts.map((h) => fleet.exec(h.name, cmd)));
  const arm = () => onAll('rm -f /var/tmp/go /var/tmp/first /var/tmp/started /var/tmp/block-done /var/tmp/after /var/tmp/handler; mkfifo /var/tmp/go');
  const exists = async (file: string) => (await onAll(`test -e ${file} && echo yes`)).map((r) => r.stdout.trim() === 'yes');
  const allStarted = async () => (await exists('/var/tmp/started')).every(Boolean);
  const release = () => onAll('timeout 10 sh -c "echo > /var/tmp/go"');

  /** A later run takes every host's lock by itself: no --break-lock, no stale-lock takeover. */
  async function assertLocksReleased(): Promise<void> {
    const next = await fleetplan(['apply', noop, '-i', fleet.inventoryPath, '--json']);
    assert.equal(next.code, 0, next.stdout + next.stderr);
    for (const h of fleet.hosts) {
      assert.equal(next.json.hosts[h.name].failed, 0, h.name);
      assert.equal(next.json.hosts[h.name].notes, undefined, `${h.name}: no stale lock to take over: ${next.json.hosts[h.name].notes}`);
    }
  }

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`stops: ${signal} mid-apply leaving the run lock on every host, no recap, no --report, a cut command or a new task`, async () => {
      await arm();
      const report = path.join(out, `report-${signal}.html`);
      const run = start(['apply', blocking, '-i', fleet.inventoryPath, '--report', report]);
      await waitFor('the blocking task on every host', allStarted);
      run.child.kill(signal);
      await waitFor('the interrupt notice', () => /interrupted by SIG/.test(run.output()), 10_000);
      // The in-flight command is waited for: the run is still there while it blocks.
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(run.child.exitCode, null, `still draining: ${run.output()}`);
      await release();
      const r = await run.exited;
      const text = run.output();
      assert.equal(r.code, code, text);
      assert.match(text, new RegExp(`RECAP \\(interrupted by ${signal}`));
      for (const h of fleet.hosts) {
        assert.match(text, new RegExp(`${h.name}: INTERRUPTED `), text);
        assert.match(text, new RegExp(`${h.name} +ok=\\d+ changed=2 failed=1 skipped=0 interrupted`), text);
      }
      assert.match(text, /interrupted by SIG\w+( \(Ctrl-C\))? before 'after' \(play 'blocking'\): 1 task\(s\) not run; notified handler\(s\) not run: note it/);
      noStackTrace(text);
      assert.deepEqual(await exists('/var/tmp/block-done'), [true, true, true], 'the running command finished');
      assert.deepEqual(await exists('/var/tmp/after'), [false, false, false], 'no task started after the signal');
      assert.deepEqual(await exists('/var/tmp/handler'), [false, false, false], 'no handler started after the signal');
      const page = readFileSync(report, 'utf8');
      assert.match(page, new RegExp(`interrupted by ${signal}`));
      for (const h of fleet.hosts) assert.ok(page.includes(h.name), h.name);
      await assertLocksReleased();
    });
  }

  it('stops: SIGTERM losing the --json document of an interrupted run', async () => {
    await arm();
    const run = start(['apply', blocking, '-i', fleet.inventoryPath, '--json']);
    await waitFor('the blocking task on every host', allStarted);
    run.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await release();
    const r = await run.exited;
    assert.equal(r.code, 143, run.output());
    const doc = JSON.parse(run.stdout());
    assert.equal(doc.summary.interrupted, 'SIGTERM');
    for (const h of fleet.hosts) {
      const host = doc.hosts[h.name];
      assert.equal(host.interrupted, true, h.name);
      assert.deepEqual(host.tasks.map((t: any) => [t.name, t.status]), [['first', 'changed'], ['block', 'changed']], h.name);
      assert.match(host.error, /interrupted by SIGTERM before 'after'/);
    }
    await assertLocksReleased();
  });

  it('stops: a second Ctrl-C being ignored while a command blocks (it aborts at once, still with recap and report)', async () => {
    await arm();
    const report = path.join(out, 'report-abort.html');
    const run = start(['apply', blocking, '-i', fleet.inventoryPath, '--report', report]);
    await waitFor('the blocking task on every host', allStarted);
    run.child.kill('SIGINT');
    await waitFor('the interrupt notice', () => /interrupted by SIGINT/.test(run.output()), 10_000);
    const t0 = Date.now();
    run.child.kill('SIGINT');
    const r = await run.exited;
    assert.ok(Date.now() - t0 < 5000, `aborted at once (${Date.now() - t0} ms)`);
    const text = run.output();
    assert.equal(r.code, 130, text);
    assert.match(text, /aborted by a second SIGINT \(Ctrl-C\): not waiting for 3 busy host\(s\)/);
    assert.match(text, /RECAP \(interrupted by SIGINT/);
    for (const h of fleet.hosts) assert.match(text, new RegExp(`${h.name} +ok=\\d+ changed=1 failed=1 skipped=0 interrupted`), text);
    assert.match(text, /its run lock may remain/);
    noStackTrace(text);
    assert.match(readFileSync(report, 'utf8'), /interrupted by SIGINT/);
    assert.deepEqual(await exists('/var/tmp/after'), [false, false, false], 'no task started after the signal');
    // The blocked commands are still the run's: let them end, then the next run clears the stale locks.
    await release();
    const next = await fleetplan(['apply', noop, '-i', fleet.inventoryPath, '--json', '--break-lock']);
    assert.equal(next.code, 0, next.stderr);
  });

});

describe('Ctrl-C while connecting', () => {
  let hang: Server;
  const sockets: Socket[] = [];
  let dir = '';
  before(async () => {
    hang = createServer((s) => sockets.push(s)); // accepts, never speaks SSH
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    dir = mkdtempSync('/tmp/fleetplan-signals-connect-');
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => hang.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops: SIGINT during the connect phase waiting for the handshake timeout, starting queued hosts, or exiting without recap and report', async () => {
    const port = (hang.address() as { port: number }).port;
    const inv = path.join(dir, 'inventory.yml');
    writeFileSync(inv, `all:\n  hosts:\n    frozen-1: { ssh_host: 127.0.0.1, ssh_port: ${port}, ssh_user: root }\n    frozen-2: { ssh_host: 127.0.0.1, ssh_port: ${port}, ssh_user: root }\n`);
    const plan = path.join(dir, 'plan.yml');
    writeFileSync(plan, 'name: p\nhosts: all\ntasks:\n  - name: noop\n    command: "true"\n');
    const report = path.join(dir, 'report.html');
    // A dry run, one host at a time: frozen-1 hangs in its handshake, frozen-2 waits for a fork.
    const run = start(['apply', plan, '-i', inv, '--check', '--forks', '1', '--connect-timeout', '60', '--report', report, '-e', 'ssh_password=x']);
    await waitFor('the first connection', () => sockets.length >= 1, 20_000);
    run.child.kill('SIGINT');
    const r = await run.exited;
    const text = run.output();
    assert.equal(r.code, 130, text);
    assert.ok(r.ms < 20_000, `did not wait for the connect timeout (${r.ms} ms)`);
    assert.equal(sockets.length, 1, 'the queued host was never contacted');
    assert.match(text, /RECAP \(dry run: nothing was changed; interrupted by SIGINT \(Ctrl-C\)\)/);
    assert.match(text, /frozen-1 +ok=0 changed=0 failed=1 skipped=0 interrupted/);
    assert.match(text, /frozen-2 +ok=0 changed=0 failed=1 skipped=0 interrupted/);
    assert.match(text, /interrupted by SIGINT \(Ctrl-C\) while connecting/);
    assert.match(text, /interrupted by SIGINT \(Ctrl-C\) before it started/);
    noStackTrace(text);
    assert.ok(existsSync(report), 'report written');
    assert.match(readFileSync(report, 'utf8'), /interrupted by SIGINT/);
  });
});
