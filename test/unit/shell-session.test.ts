// Scripts share one sh per connection (src/connectors/shell-session.ts): every script must still
// behave as if it ran alone under `sh -s` — its own stdout bytes, stderr and exit status, no reading
// of the scripts after it — over both transports.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { CommandTimeoutError, NotSentError, type Connection } from '../../src/connectors/connection.js';
import { connect } from '../../src/connectors/index.js';
import { ConnectError } from '../../src/core/errors.js';
import { startServer, testAddress } from './connectors-harness.js';
import { localAddress } from './local-host.js';

async function contract(c: Connection): Promise<void> {
  const before = c.execCount;
  const a = await c.script(`printf 'no newline'; echo to-err >&2; exit 3`);
  assert.equal(a.stdout.toString(), 'no newline');
  assert.equal(a.stderr, 'to-err\n');
  assert.equal(a.exitCode, 3, '`exit` ends the script, not the shell');
  const bin = await c.script(`printf '\\000\\377\\n\\n'`);
  assert.deepEqual([...bin.stdout], [0, 255, 10, 10], 'output bytes exactly, trailing newlines kept');
  // A script that reads stdin gets nothing: it must not swallow the next script.
  const cat = await c.script('cat; echo after-cat');
  assert.equal(cat.stdout.toString(), 'after-cat\n');
  const vars = await c.script('x=1; f() { :; }; cd /');
  assert.equal(vars.exitCode, 0);
  const fresh = await c.script('echo "x=${x-unset}"; command -v f >/dev/null && echo f-defined; pwd');
  assert.equal(fresh.stdout.toString().split('\n')[0], 'x=unset', 'nothing a script sets leaks into the next');
  assert.ok(!fresh.stdout.toString().includes('f-defined'));
  // Concurrent callers are served one after another, each with its own output.
  const many = await Promise.all([1, 2, 3, 4, 5].map((i) => c.script(`sleep 0.0${i}; echo ${i}`)));
  assert.deepEqual(many.map((r) => r.stdout.toString()), ['1\n', '2\n', '3\n', '4\n', '5\n']);
  assert.equal(c.execCount - before, 1, 'all of them in one exec session');

  // A syntax error (or an unclosed here-document) fails that script alone: the shell and its framing survive.
  const broken = await c.script('if then fi (');
  assert.equal(broken.exitCode, 2);
  assert.match(broken.stderr, /Syntax error/);
  const heredoc = await c.script('cat <<EOF\nno end');
  assert.equal(heredoc.stdout.toString(), 'no end', 'the here-document ends with the script, not the session');
  assert.equal((await c.script('echo again')).stdout.toString(), 'again\n');
  // A timeout abandons the shell too.
  await assert.rejects(c.script('sleep 5', { timeoutMs: 200 }), CommandTimeoutError);
  assert.equal((await c.script('echo after-timeout')).stdout.toString(), 'after-timeout\n');
  assert.equal(c.execCount - before, 2, 'only the timeout cost a new shell');
  // Large input and output.
  const big = 'x'.repeat(3 * 1024 * 1024);
  const r = await c.script(`printf '%s' '${big}' | wc -c`);
  assert.equal(Number(r.stdout.toString().trim()), big.length);
  await c.close();
  await assert.rejects(c.script('true'), ConnectError);
}

test('local: scripts share one shell and keep their own output and status', async () => {
  await contract(await connect(localAddress('self')));
});

test('ssh: scripts share one exec session and keep their own output and status', async () => {
  const ts = await startServer();
  try {
    await contract(await connect(testAddress(ts)));
    assert.ok(ts.execs.every((e) => e.command === 'sh -s'));
  } finally {
    await ts.close();
  }
});

test('ssh: a dropped connection fails the running script at once', async () => {
  const ts = await startServer();
  try {
    const c = await connect(testAddress(ts));
    assert.equal((await c.script('echo up')).stdout.toString(), 'up\n');
    const running = c.script('sleep 10');
    setTimeout(() => ts.dropAll(), 100);
    await assert.rejects(running, /lost/);
    await assert.rejects(c.script('true'), /lost/);
    await c.close();
  } finally {
    await ts.close();
  }
});

test('shell session: end markers split across chunks, down to single bytes, are still found', async () => {
  const { ShellSession } = await import('../../src/connectors/shell-session.js');
  const stdin = new PassThrough(); const stdout = new PassThrough(); const stderr = new PassThrough();
  // A stand-in shell: answers each script with its output, then its end markers, one byte per chunk.
  stdin.on('data', (d: Buffer) => {
    const token = /printf '\\n(@@[0-9a-f]+) end %d/.exec(d.toString())![1]!;
    const drip = (s: PassThrough, text: string) => { for (const b of Buffer.from(text)) s.write(Buffer.from([b])); };
    drip(stdout, `line 1\nline 2\n${token} end 7\n`);
    drip(stderr, `warn\n\n${token} end\n`);
  });
  const proc = { stdin, stdout, stderr, ended: new Promise<{ code: number }>(() => {}), kill: () => {} };
  const session = new ShellSession({ label: 'fake', host: 'fake', start: async () => proc });
  for (let i = 0; i < 2; i++) {
    const r = await session.run('echo anything');
    assert.deepEqual([r.stdout.toString(), r.stderr, r.exitCode], ['line 1\nline 2', 'warn\n', 7]);
  }
});

/** The harness server behind a delaying proxy (127.0.51.2, the proxy tests' range): its address trusts the server's key there. */
async function proxied(rttMs: number) {
  const { startDelayProxy } = await import('../fleet/delay-proxy.js');
  const ts = await startServer();
  const px = await startDelayProxy({ target: { host: '127.0.0.1', port: ts.port }, rttMs, listen: { host: '127.0.51.2' } });
  const kh = path.join(ts.dir, 'known_hosts_proxied');
  writeFileSync(kh, `${ts.knownHostsLine().replace(`[127.0.0.1]:${ts.port}`, `[${px.host}]:${px.port}`)}\n`);
  const addr = testAddress(ts, { host: px.host, port: px.port, knownHostsFiles: [kh] });
  return { ts, px, addr, close: async () => { await px.close(); await ts.close(); } };
}

test('ssh: scripts sent together are answered in one round trip, each with its own output and status', async () => {
  const env = await proxied(10);
  try {
    const c = await connect(env.addr);
    await c.script('true'); // the shell is up
    const rt = () => env.px.connections[0]!.roundTrips;
    const before = rt();
    const many = await Promise.all([1, 2, 3, 4, 5].map((i) => c.script(`echo out-${i}; echo err-${i} >&2; exit ${i}`)));
    assert.deepEqual(many.map((r) => [r.stdout.toString(), r.stderr, r.exitCode]), [1, 2, 3, 4, 5].map((i) => [`out-${i}\n`, `err-${i}\n`, i]));
    assert.equal(rt() - before, 1, 'five scripts, one round trip');
    await c.script('true');
    await c.script('true');
    assert.equal(rt() - before, 3, 'scripts awaited one by one: one round trip each');
    await c.close();
  } finally {
    await env.close();
  }
});

test('ssh: closing right behind a script costs no round trip of its own, and the script still answers', async () => {
  const env = await proxied(10);
  try {
    const turns: number[] = [];
    for (const withScript of [false, true]) {
      const c = await connect(env.addr);
      await c.script('true');
      const rec = env.px.connections[env.px.connections.length - 1]!;
      const before = rec.roundTrips;
      const last = withScript ? c.script('echo released') : undefined;
      await c.close();
      if (last) assert.equal((await last).stdout.toString(), 'released\n');
      await new Promise((r) => setTimeout(r, 50)); // the server's end of the TCP connection
      turns.push(rec.roundTrips - before);
    }
    assert.equal(turns[1], turns[0], `close alone: ${turns[0]} round trips; a script then close: ${turns[1]}`);
  } finally {
    await env.close();
  }
});

test('shell session: a timeout abandons the shell, and the scripts queued behind it run in a new one', async () => {
  const c = await connect(localAddress('self'));
  try {
    const before = c.execCount;
    const slow = c.script('sleep 5', { timeoutMs: 200 });
    const behind = [c.script('echo a'), c.script('echo b')];
    await assert.rejects(slow, CommandTimeoutError);
    assert.deepEqual((await Promise.all(behind)).map((r) => r.stdout.toString()), ['a\n', 'b\n']);
    assert.equal(c.execCount - before, 2, 'the abandoned shell and one new one');
  } finally {
    await c.close();
  }
});

/** Bytes a script may hold, everything a quoting slip would show: quotes, `!`, `%`, `$`, backslashes, newlines, high bytes. */
const TRICKY = `printf '%s\\n' "it's \\"quoted\\" 100% \\$HOME !x \`y\`"; printf 'a\\\\b\\001\\377\\n'; echo 'end'; exit 3`;

test('a public first script rides in the exec request, as every login shell reads it (sh, bash, zsh, fish, csh, tcsh)', async () => {
  const { inlineCommand } = await import('../../src/connectors/inline-command.js');
  const want = spawnSync('sh', ['-c', TRICKY]);
  const shells = ['dash', 'bash', 'zsh', 'fish', 'csh', 'tcsh'].filter((s) => spawnSync('sh', ['-c', `command -v ${s}`]).status === 0);
  for (const shell of shells) {
    // The inlined script runs first, then the shell reads stdin as `sh -s`: from a socket (node's
    // stdio) with `exec sh -s`, from a pipe (OpenSSH's) with `.` when sh is dash. Neither
    // the first script nor the next see positional parameters (the word is not one of theirs).
    const cmd = inlineCommand(Buffer.from(`( ${TRICKY} ); echo "rc=$?"; echo "args=$#"\n`));
    const viaSocket = spawnSync(shell, ['-c', cmd], { input: 'echo from-stdin "$#" "$1"\n' });
    const viaPipe = spawnSync('sh', ['-c', 'cat | "$0" -c "$1"', shell, cmd], { input: 'echo from-stdin "$#" "$1"\n' });
    for (const r of [viaSocket, viaPipe]) {
      assert.deepEqual(r.stdout, Buffer.concat([want.stdout, Buffer.from('rc=3\nargs=0\nfrom-stdin 0 \n')]), `${shell}: ${r.stderr}`);
    }
  }
  const cmd = inlineCommand(Buffer.from(`-${TRICKY}`));
  const word = /^sh -c '[^']*' sh '([^']*)'$/.exec(cmd)?.[1];
  // Printable ASCII only; a backslash only as an octal escape; no `!` (csh), no `%` (printf), a leading `-` escaped.
  assert.match(word ?? '', /^\\055(?:[ -~]|\\[0-7]{3})+$/, cmd);
  assert.doesNotMatch((word ?? '').replace(/\\[0-7]{3}/g, ''), /[\\!%']/, cmd);
});

test('after the first script, the next scripts are read from a pipe as they arrive, whether sh is dash or bash (CentOS)', async () => {
  const { inlineCommand } = await import('../../src/connectors/inline-command.js');
  const { spawn } = await import('node:child_process');
  const { symlinkSync } = await import('node:fs');
  const dir = mkdtempSync(path.join(tmpdir(), 'fp-sh-'));
  for (const shell of ['dash', 'bash']) {
    // `sh` on the PATH is this shell: bash reads a sourced pipe to its end, so it must take `exec sh -s`.
    const bin = `${dir}/${shell}`;
    spawnSync('mkdir', [bin]);
    symlinkSync(spawnSync('sh', ['-c', `command -v ${shell}`]).stdout.toString().trim(), `${bin}/sh`);
    const p = spawn('sh', ['-c', 'cat | sh -c "$0"', inlineCommand(Buffer.from('echo first\n'))], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    let out = '';
    const seen = (text: string) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${shell}: no "${text.trim()}" within 5 s (got ${JSON.stringify(out)})`)), 5000);
      const check = () => out.includes(text) && (clearTimeout(timer), p.stdout.off('data', on), resolve());
      const on = (d: Buffer) => ((out += d.toString()), check());
      p.stdout.on('data', on);
      check();
    });
    try {
      await seen('first\n');
      p.stdin.write('echo second\n');
      await seen('second\n');
      p.stdin.end('exit 4\n');
      const code = await new Promise((resolve) => p.on('close', resolve));
      assert.equal(code, 4, shell);
    } finally {
      p.kill();
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

test('ssh: a public first script costs no round trip of its own; its output, status and the scripts after it are as over stdin', async () => {
  const env = await proxied(10);
  try {
    const results: { turns: number; out: string[] }[] = [];
    for (const pub of [false, true]) {
      const c = await connect(env.addr);
      const rec = env.px.connections[env.px.connections.length - 1]!;
      const before = rec.roundTrips;
      const first = await c.script(TRICKY, { public: pub });
      const turns = rec.roundTrips - before;
      const next = await c.script('echo next; echo err >&2');
      results.push({ turns, out: [first.stdout.toString('latin1'), first.stderr, String(first.exitCode), next.stdout.toString(), next.stderr] });
      await c.close();
    }
    assert.deepEqual(results[1]!.out, results[0]!.out);
    assert.equal(results[0]!.out[2], '3');
    assert.equal(results[1]!.turns, results[0]!.turns - 1, `over stdin ${results[0]!.turns} round trips, in the exec request ${results[1]!.turns}`);
    assert.match(env.ts.execs[env.ts.execs.length - 1]!.command, /^sh -c 'eval /, 'the shell was started with the script');
    assert.equal(env.ts.execs[0]!.command, 'sh -s', 'a script not marked public never travels in the command');
  } finally {
    await env.close();
  }
});

test('ssh: public scripts asked for with the first ride in its exec request, in order, at no round trip of their own; a rideAlong script that cannot ride is never sent', async () => {
  const env = await proxied(10);
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-ride-'));
  const ran = (name: string) => existsSync(path.join(dir, name));
  const mark = (name: string) => `touch '${path.join(dir, name)}'`;
  try {
    const turns: number[] = [];
    for (const together of [false, true]) {
      const c = await connect(env.addr);
      const rec = env.px.connections[env.px.connections.length - 1]!;
      const before = rec.roundTrips;
      const first = c.script('echo one; echo e1 >&2', { public: true });
      const second = together ? c.script(`[ -e '${path.join(dir, 'x')}' ] || echo two; exit 4`, { public: true, rideAlong: true }) : undefined;
      const a = await first;
      turns.push(rec.roundTrips - before);
      assert.deepEqual([a.stdout.toString(), a.stderr, a.exitCode], ['one\n', 'e1\n', 0]);
      if (second) {
        const b = await second;
        assert.deepEqual([b.stdout.toString(), b.exitCode], ['two\n', 4]);
        assert.equal(rec.roundTrips - before, turns[1], 'both answered in the round trip of the exec request');
        assert.match(env.ts.execs[env.ts.execs.length - 1]!.command, /^sh -c 'eval /);
      }
      // The shell has started: a rideAlong script is refused, unsent — also one not public, or too large to ride.
      await assert.rejects(c.script(mark('late'), { public: true, rideAlong: true }), NotSentError);
      const third = c.script('echo three', { public: true });
      const secretive = c.script(mark('private'), { rideAlong: true });
      await assert.rejects(secretive, NotSentError);
      assert.equal((await third).stdout.toString(), 'three\n');
      await c.close();
    }
    assert.equal(turns[1], turns[0], `one script: ${turns[0]} round trips; with a second riding along: ${turns[1]}`);
    const c = await connect(env.addr);
    const first = c.script('echo first', { public: true });
    const huge = c.script(`${mark('huge')} # ${'x'.repeat(40 * 1024)}`, { public: true, rideAlong: true });
    const notPublic = connect(env.addr).then((d) => {
      const p = d.script('echo private-first');
      const r = d.script(mark('behind-private'), { public: true, rideAlong: true });
      return Promise.allSettled([p, r]).then(async (x) => (await d.close(), x));
    });
    await assert.rejects(huge, NotSentError);
    assert.equal((await first).stdout.toString(), 'first\n');
    const [p, r] = await notPublic;
    assert.equal(p.status === 'fulfilled' && p.value.stdout.toString(), 'private-first\n');
    assert.ok(r.status === 'rejected' && r.reason instanceof NotSentError, 'behind a script that is not public it cannot ride');
    await c.close();
    assert.deepEqual(['late', 'private', 'huge', 'behind-private'].filter(ran), [], 'no refused script ran');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await env.close();
  }
});
