// The human report through the real command line (`--connection local`, files in a temp dir): into a
// pipe (no escapes, no colour unless FORCE_COLOR, blocks only for hosts with changes, the unchanged
// summarised in the recap), --verbose (every exec with its real exit status, duration, timeouts,
// secrets redacted), and on a pseudo-terminal through script(1) (the live status line; NO_COLOR on
// stdout, and on stderr when --json moves the report there).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../run-process.js';
import { shQuote } from '../../src/core/quote.js';
import { replay } from './fake-terminal.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const main = path.join(root, 'dist/fleetplan.js');
const SECRET = 'Verbose-Secret-81f2';

interface Res {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI (or script(1) running it) with colour variables only as given. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Res> {
  const base = { ...process.env };
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'TERM', 'FLEETPLAN_VAULT_PASSWORD']) delete base[k];
  return runProcess(cmd, args, { cwd, env: { ...base, ...env }, timeoutMs: 60_000 });
}

const HOSTS = Array.from({ length: 12 }, (_, i) => `h${String(i + 1).padStart(2, '0')}`);
const CHANGED = ['h10', 'h11'];

describe('human report through the CLI', () => {
  let dir: string;
  const at = (...p: string[]) => path.join(dir, ...p);
  const fleetplan = (args: string[], env?: NodeJS.ProcessEnv) => run(process.execPath, [main, ...args], dir, env);
  const checkRun = ['apply', 'plan.yml', '-i', 'inventory.yml', '--connection', 'local', '--check'];

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-console-'));
    mkdirSync(at('host'));
    writeFileSync(at('inventory.yml'), ['all:', '  hosts:', ...HOSTS.map((h) => `    ${h}: {}`), '  vars:', `    pw: !secret "${SECRET}"`, ''].join('\n'));
    // Every host's file is in place but two: a dry run changes two hosts and leaves ten alone.
    for (const h of HOSTS) if (!CHANGED.includes(h)) writeFileSync(at('host', `${h}.conf`), 'managed\n');
    writeFileSync(
      at('plan.yml'),
      ['name: site', 'hosts: all', 'tasks:', '  - name: host file', `    file: { path: "${at('host')}/{{inventory_hostname}}.conf", content: "managed\\n" }`, ''].join('\n'),
    );
    writeFileSync(at('one.yml'), ['all:', '  hosts:', '    h01: {}', '  vars:', `    pw: !secret "${SECRET}"`, ''].join('\n'));
    writeFileSync(
      at('verbose.yml'),
      [
        'name: verbose',
        'hosts: all',
        'tasks:',
        '  - name: a file',
        `    file: { path: "${at('host', 'v.conf')}", content: "x\\n" }`,
        '  - name: secret command',
        '    command: "test -n {{pw}}"',
        '  - name: two lines',
        '    command: |',
        '      echo one',
        '      echo two >/dev/null',
        '  - name: fails',
        '    command: "exit 3"',
        '    ignore_errors: true',
        '  - name: too slow',
        '    command: "sleep 30"',
        '    ignore_errors: true',
        '',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('into a pipe: plain text, blocks only for changed hosts, the unchanged summarised', async () => {
    const r = await fleetplan([...checkRun, '--no-group']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(!r.stdout.includes('\x1b') && !r.stdout.includes('\r'), JSON.stringify(r.stdout));
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'Dry run: site on 12 host(s)');
    const recapAt = lines.indexOf('RECAP (dry run: nothing was changed)');
    assert.ok(recapAt > 0, r.stdout);
    const blocks = lines.slice(0, recapAt).filter((l) => /^h\d\d/.test(l));
    assert.deepEqual(blocks.sort(), ['h10  ok=0 changed=1 failed=0 skipped=0', 'h11  ok=0 changed=1 failed=0 skipped=0'], r.stdout);
    assert.equal(lines.filter((l) => l === '  would change host file').length, 2);
    const recap = lines.slice(recapAt + 1).filter(Boolean);
    assert.deepEqual(recap.slice(0, 2), ['h10   ok=0 changed=1 failed=0 skipped=0', 'h11   ok=0 changed=1 failed=0 skipped=0']);
    assert.equal(recap[2], '10 host(s) ok, nothing to change: h01, h02, h03, h04, h05, h06, h07, h08, h09, h12');
    assert.match(recap[3]!, /^slowest: h\d\d [\d.]+ m?s, h\d\d [\d.]+ m?s, h\d\d [\d.]+ m?s$/);
    assert.match(recap[4]!, /^12 host\(s\) in [\d.]+ m?s: 10 ok, 2 changed, 0 failed, 0 unreachable$/);
    assert.equal(recap.length, 5);
  });

  it('FORCE_COLOR colours a pipe (still no redraws); NO_COLOR and --no-color win over it', async () => {
    const forced = await fleetplan([...checkRun, '--no-group'], { FORCE_COLOR: '1' });
    assert.match(forced.stdout, /\x1b\[33mh10/);
    assert.ok(!forced.stdout.includes('\r'));
    for (const [args, env] of [
      [checkRun, { FORCE_COLOR: '1', NO_COLOR: '1' }],
      [[...checkRun, '--no-color'], { FORCE_COLOR: '1' }],
    ] as const) {
      const r = await fleetplan([...args], env);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes('\x1b'), `${args.join(' ')} ${JSON.stringify(env)}`);
    }
  });

  it('--verbose: each exec with the exit status of its commands, duration, timeouts; secrets redacted', async () => {
    // The local connector's hosts share one run lock (/tmp on this machine): retry while another
    // test run holds it.
    let r: Res;
    for (let attempt = 0; ; attempt++) {
      // A history of its own: with h01's facts kept from an earlier run the state read would ride with the facts.
      r = await fleetplan(['apply', 'verbose.yml', '-i', 'one.yml', '--connection', 'local', '--verbose', '--timeout', '2'], { FLEETPLAN_HISTORY_DIR: path.join(dir, `history-${attempt}`) });
      if (!/another fleetplan run holds this host/.test(r.stdout) || attempt === 10) break;
      await new Promise((done) => setTimeout(done, 1000));
    }
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(!r.stdout.includes(SECRET), 'secret printed');
    const verbose = r.stdout.split('\n').filter((l) => l.startsWith('  [h01] ') || l.startsWith('      '));
    const shape = verbose.map((l) => l.replace(/ in [\d.]+ m?s/, ' in T'));
    assert.deepEqual(shape, [
      '  [h01] exit 0 in T: gather facts',
      '  [h01] exit 0 in T: read state: verbose',
      // The write and the command after it share one exec (batch-apply.ts): one line, both actions.
      `  [h01] exit 0 in T: write ${at('host', 'v.conf')}; test -n [redacted]`,
      '  [h01] exit 0 in T: echo one',
      '      echo two >/dev/null',
      '  [h01] exit 3 in T: exit 3',
      '  [h01] timed out in T: sleep 30',
      '  [h01] exit 0 in T: release run lock',
    ]);
    const slow = verbose.find((l) => l.includes('timed out'))!;
    const seconds = Number(/in ([\d.]+) s/.exec(slow)?.[1]);
    assert.ok(seconds >= 2 && seconds < 5, slow);
    assert.match(r.stdout, /^h01  ok=2 changed=3 failed=0 skipped=0$/m);
    assert.match(r.stdout, /^  failed \(ignored\) too slow$/m);
  });

  const scriptMissing = spawnSync('script', ['-V']).status === 0 ? false : 'script(1) (util-linux) is not installed';
  if (scriptMissing && process.env.CI === 'true') throw new Error(`CI=true but ${scriptMissing}`);
  /** Runs the CLI on a pseudo-terminal: what the pty showed, plus stdout redirected to a file if asked. */
  const onTerminal = (args: string[], env: NodeJS.ProcessEnv, redirectStdout?: string) => {
    const cmd = `stty cols 120; ${[process.execPath, main, ...args].map(shQuote).join(' ')}${redirectStdout ? ` > ${shQuote(redirectStdout)}` : ''}`;
    return run('script', ['-qec', cmd, '/dev/null'], dir, { TERM: 'xterm-256color', SHELL: '/bin/sh', ...env });
  };

  it('on a terminal: a live status line redrawn in place; colour unless NO_COLOR', { skip: scriptMissing }, async () => {
    const coloured = await onTerminal(checkRun, {});
    assert.equal(coloured.code, 0, coloured.stdout + coloured.stderr);
    const screen = replay(coloured.stdout);
    assert.deepEqual(screen.unexpected, []);
    assert.ok(screen.coloured);
    assert.match(coloured.stdout, /\r\x1b\[1m\[0\/12 done\]\x1b\[22m ok=0 changed=0 failed=0 unreachable=0 running=0 queued=12\x1b\[K/);
    assert.equal(screen.current, '', 'the status line is erased at the end');
    assert.ok(screen.lines.includes('10 host(s) ok, nothing to change: h01, h02, h03, h04, h05, h06, h07, h08, h09, h12'), screen.lines.join('\n'));

    const plain = await onTerminal(checkRun, { NO_COLOR: '1' });
    assert.equal(plain.code, 0);
    assert.ok(!replay(plain.stdout).coloured, 'NO_COLOR');
    assert.match(plain.stdout, /\r\[0\/12 done\] ok=0 /, 'still live');
  });

  it('--json on a terminal: the report moves to stderr, which honours NO_COLOR; stdout is the document', { skip: scriptMissing }, async () => {
    for (const env of [{}, { NO_COLOR: '1' }]) {
      const doc = at(`doc-${Object.keys(env).length}.json`);
      const r = await onTerminal([...checkRun, '--json'], env, doc);
      assert.equal(r.code, 0, r.stdout);
      const json = JSON.parse(readFileSync(doc, 'utf8'));
      assert.equal(json.summary.hosts, 12);
      assert.equal(json.summary.changed, 2);
      const screen = replay(r.stdout);
      assert.equal(screen.coloured, !('NO_COLOR' in env), JSON.stringify(env));
      assert.ok(screen.lines.includes('RECAP (dry run: nothing was changed)'), r.stdout);
      assert.ok(!r.stdout.includes('"summary"'), 'the document is not on the terminal');
    }
  });
});
