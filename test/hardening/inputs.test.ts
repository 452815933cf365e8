// Red-team corpus, class "inputs that cannot crash or exhaust" (issue 15, classes 7 and 9): YAML alias
// and merge bombs, recursive aliases, deep nesting, huge files and scalars, a doubling chain of
// variables, bad numbers on the command line, a crafted vault header, plaintext left readable by
// `vault decrypt`, the vault passphrase inherited by child processes, terminal escape sequences in
// host text, and a --limit/--tags that selects nothing. Each attack runs through the real command line
// (dist/fleetplan.js) where it can; the exhaustion cases run it with a 256 MB heap, so a limit that
// let the expansion happen would crash the run instead of passing. docs/security.md "Input limits".
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { runProcess, type ProcessResult } from '../run-process.js';
import type { RunEvent, TaskResult } from '../../src/engine/events.js';
import { InputError } from '../../src/core/errors.js';
import { MAX_RENDERED_CHARS } from '../../src/core/input-limits.js';
import { resolveVars } from '../../src/load/resolve-vars.js';
import { renderString } from '../../src/load/template.js';
import { ConsoleReporter } from '../../src/report/console.js';
import { JsonReporter } from '../../src/report/json.js';
import { encryptVault } from '../../src/vault/crypto.js';
import { FakeStream } from '../unit/fake-terminal.js';
import { SecretRegistry } from '../../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(root, 'dist/fleetplan.js');
const PASS = 'Inputs-Passphrase-8d21';
const FAST = { N: 1024, r: 8, p: 1 };
const USAGE = 2;
const INVALID_INPUT = 4;

let dir: string;
const at = (...p: string[]) => path.join(dir, ...p);

/** The CLI in `dir`, no vault passphrase unless given, with a small heap: exhaustion crashes, not passes. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}, heapMb = 256): Promise<ProcessResult> {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', HOME: dir };
  delete base.FLEETPLAN_VAULT_PASSWORD;
  delete base.FLEETPLAN_ROLES_PATH;
  delete base.SSH_AUTH_SOCK;
  return runProcess(process.execPath, [`--max-old-space-size=${heapMb}`, CLI, ...args], { cwd: dir, env: { ...base, ...env }, timeoutMs: 60_000 });
}

const show = (r: ProcessResult) => `exit ${r.code}\nstderr:\n${r.stderr.slice(0, 2000)}\nstdout:\n${r.stdout.slice(0, 2000)}`;

/** No crash: no "internal error", no stack frame, the out-of-memory abort never reached. */
function assertNoCrash(r: ProcessResult): void {
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at |heap out of memory|Maximum call stack/, show(r));
}

/** Refused as invalid input at exactly `where` (file:line:col) with `message`. */
function assertInputError(r: ProcessResult, where: string, message: string | RegExp): void {
  assertNoCrash(r);
  assert.equal(r.code, INVALID_INPUT, show(r));
  const line = r.stderr.split('\n').find((l) => l.startsWith(`error: ${where}: `));
  assert.ok(line, `no error at ${where}\n${show(r)}`);
  if (typeof message === 'string') assert.ok(line.includes(message), `${line}\n  does not include: ${message}`);
  else assert.match(line, message);
  assert.match(r.stderr, /invalid input.*no host was contacted/);
}

/** A usage error of commander: exit 2, one error line naming the option and the value, nothing else. */
function assertUsageError(r: ProcessResult, option: string, value: string): void {
  assertNoCrash(r);
  assert.equal(r.code, USAGE, show(r));
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
  assert.equal(errors.length, 1, show(r));
  assert.ok(errors[0]!.startsWith(`error: option '${option}' argument '${value}' is invalid. Expected a whole number from `), show(r));
  assert.equal(r.stderr.split('\n').filter(Boolean).length, 2, `the error and a one-line hint only\n${show(r)}`);
}

const PLAN = 'hosts: all\ntasks:\n  - name: motd\n    tags: [motd]\n    file: { path: /tmp/fleetplan-inputs-never-written, content: "x\\n" }\n';
// Port 1 on loopback: nothing listens, so a run that got past loading fails fast as unreachable.
const INVENTORY = 'all:\n  hosts:\n    web1: { ssh_host: 127.0.0.1, ssh_port: 1, ssh_password: not-a-secret }\n';

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-hardening-inputs-'));
  writeFileSync(at('plan.yml'), PLAN);
  writeFileSync(at('inventory.yml'), INVENTORY);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('YAML that expands without bound', () => {
  it('stops: a billion-laughs alias bomb in -e @vars.yml (10^9 values from 10 lines)', async () => {
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    writeFileSync(at('laughs.yml'), `${lines.join('\n')}\n`);
    const r = await cli(['validate', 'plan.yml', '-e', '@laughs.yml']);
    // a4 holds 11111 values; the alias that takes the expanded file past 1,000,000 is the 8th *a4 of
    // a5 (line 6, column 45): refused there, long before a billion.
    assertInputError(r, 'laughs.yml:6:45', 'YAML: alias *a4 expands the file beyond 1000000 values (an alias bomb?)');
  });

  it('stops: a `<<` merge-key bomb in the inventory (each line merges the previous twice)', async () => {
    const lines = ['all:', '  vars:', '    m0: &m0 {k0: x}'];
    for (let i = 1; i < 40; i++) lines.push(`    m${i}: &m${i} {<<: [*m${i - 1}, *m${i - 1}], k${i}: x}`);
    lines.push('  hosts:', '    web1: { ssh_host: 127.0.0.1, ssh_port: 1 }');
    writeFileSync(at('merge-inventory.yml'), `${lines.join('\n')}\n`);
    const r = await cli(['apply', 'plan.yml', '-i', 'merge-inventory.yml', '--check']);
    assertInputError(r, 'merge-inventory.yml:19:27', /^error: \S+: YAML: alias \*m15 expands the file beyond 1000000 values/);
  });

  it('stops: a recursive alias (a node that contains an alias to itself) in a plan', async () => {
    writeFileSync(at('recursive.yml'), 'hosts: all\nvars:\n  loop: &loop\n    - name: x\n      again: *loop\ntasks: []\n');
    const r = await cli(['validate', 'recursive.yml']);
    assertInputError(r, 'recursive.yml:5:14', 'YAML: alias *loop is inside the node it refers to (a recursive alias)');
  });

  it('stops: a recursive alias in an inline -e mapping (the command line, not a file)', async () => {
    const r = await cli(['validate', 'plan.yml', '-e', '{a: &a [*a]}']);
    assertNoCrash(r);
    assert.equal(r.code, INVALID_INPUT, show(r));
    assert.match(r.stderr, /^error: -e '\{a: &a \[\*a\]\}': invalid inline mapping: YAML: alias \*a is inside the node it refers to \(a recursive alias\) \(column 9\)$/m);
  });

  it('stops: 3000-deep flow nesting `[[[…]]]` (the parser\'s own recursion) in a vars file', async () => {
    writeFileSync(at('deep.yml'), `deep: ${'['.repeat(3000)}${']'.repeat(3000)}\n`);
    const r = await cli(['validate', 'plan.yml', '-e', '@deep.yml']);
    // The root mapping is level 1, the first `[` (column 7) level 2: the 101st level is column 106.
    assertInputError(r, 'deep.yml:1:106', 'YAML: lists and mappings nested more than 100 levels deep');
  });

  it('stops: 3000-deep block mappings in a role\'s defaults', async () => {
    const text = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k${i}:\n`).join('') + `${' '.repeat(3000)}leaf: 1\n`;
    writeFileSync(at('deep-block.yml'), text);
    const r = await cli(['validate', 'plan.yml', '-e', '@deep-block.yml']);
    assertInputError(r, 'deep-block.yml:101:101', 'YAML: lists and mappings nested more than 100 levels deep');
  });

  it('stops: aliases that nest a shallow-looking file beyond the depth limit', async () => {
    // Each line is one level deeper than the one it aliases: 120 levels through 120 short lines.
    const lines = ['l0: &l0 [x]'];
    for (let i = 1; i <= 120; i++) lines.push(`l${i}: &l${i} [*l${i - 1}]`);
    writeFileSync(at('alias-deep.yml'), `${lines.join('\n')}\n`);
    const r = await cli(['validate', 'plan.yml', '-e', '@alias-deep.yml']);
    // l98 is 99 levels deep; under the root mapping (1) and l99's list (2) it makes 101: *l98 in l99 is refused.
    assertInputError(r, 'alias-deep.yml:100:12', 'YAML: alias *l98 nests values more than 100 levels deep');
  });

  it('control: an inventory of 1500 hosts that each merge `<<: *defaults` loads (no alias-count heuristic)', async () => {
    const hosts = Array.from({ length: 1500 }, (_, i) => `    h${i}: { <<: *d, ssh_host: 127.0.0.${(i % 250) + 1} }`);
    writeFileSync(at('big-inventory.yml'), `all:\n  vars:\n    defaults: &d { ssh_port: 1, ssh_user: root }\n  hosts:\n${hosts.join('\n')}\n`);
    const r = await cli(['validate', 'plan.yml', '-i', 'big-inventory.yml']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /valid \(1 play\(s\), 1 task\(s\), 1500 host\(s\)\)/);
  });
});

describe('sizes', () => {
  it('stops: a 50 MB scalar in a vars file taking gigabytes (refused at the 10 MB file limit)', async () => {
    writeFileSync(at('huge.yml'), `big: "${'x'.repeat(50 * 1024 * 1024)}"\n`);
    const started = Date.now();
    const r = await cli(['validate', 'plan.yml', '-e', '@huge.yml']);
    assertNoCrash(r);
    assert.equal(r.code, INVALID_INPUT, show(r));
    assert.match(r.stderr, /^error: huge\.yml: file larger than 10 MB, the most fleetplan reads from an input file$/m);
    assert.ok(Date.now() - started < 20_000, 'refused without parsing 50 MB');
    rmSync(at('huge.yml'));
  });

  it('stops: an endless file (-e @/dev/zero, --vault-password-file /dev/zero) read until memory runs out', async () => {
    const r = await cli(['validate', 'plan.yml', '-e', '@/dev/zero']);
    assertNoCrash(r);
    assert.equal(r.code, INVALID_INPUT, show(r));
    assert.match(r.stderr, /^error: \/dev\/zero: file larger than 10 MB/m);
    // The vault password file too.
    writeFileSync(at('sealed.yml'), encryptVault('k: v\n', PASS, FAST));
    const pw = await cli(['vault', 'decrypt', 'sealed.yml', '-o', '-', '--vault-password-file', '/dev/zero']);
    assertNoCrash(pw);
    assert.equal(pw.code, INVALID_INPUT, show(pw));
    assert.match(pw.stderr, /^error: \/dev\/zero: file larger than 10 MB/m);
  });

  it('stops: a doubling chain of variables (40 levels, 2^40 characters) exhausting memory', () => {
    // v0 = v1 twice, v1 = v2 twice, …, v40 = 16 characters: v20 is the first over 10 MB (16 MiB).
    const vars: Record<string, unknown> = { v40: 'x'.repeat(16) };
    for (let i = 0; i < 40; i++) vars[`v${i}`] = `{{v${i + 1}}}{{v${i + 1}}}`;
    assert.throws(
      () => resolveVars(vars, testSecrets),
      (err: unknown) => err instanceof InputError && /^variable 'v20' renders to more than 10 MB \(16 MB\); is a variable repeating itself\?$/.test(err.message),
    );
    // Below the limit the same chain resolves, so the limit is what stopped it.
    const short: Record<string, unknown> = { v10: 'x' };
    for (let i = 0; i < 10; i++) short[`v${i}`] = `{{v${i + 1}}}{{v${i + 1}}}`;
    assert.equal((resolveVars(short, testSecrets).v0 as string).length, 1024);
  });

  it('stops: a task argument that repeats a large variable past the rendered-value limit', () => {
    const big = 'y'.repeat(MAX_RENDERED_CHARS / 4 + 1);
    assert.throws(
      () => renderString('{{b}}{{b}}{{b}}{{b}}', { b: big }, testSecrets, { what: "argument 'content'", pos: { file: 'plan.yml', line: 4, col: 5 } }),
      (err: unknown) => err instanceof InputError && err.message.startsWith("argument 'content' renders to more than 10 MB") && err.pos?.line === 4,
    );
  });

  it('stops: {{#each}} loops nested over a large list building gigabytes inside one render', () => {
    const l = Array.from({ length: 1000 }, (_, i) => i);
    const nested = '{{#each l}}{{#each @root.l}}{{#each @root.l}}twenty characters..{{/each}}{{/each}}{{/each}}';
    assert.throws(
      () => renderString(nested, { l }, testSecrets, { what: "argument 'content'", pos: { file: 'plan.yml', line: 4, col: 5 } }),
      (err: unknown) =>
        err instanceof InputError && err.pos?.line === 4 && /^argument 'content': template error: an \{\{#each\}\} loop renders more than 10 MB/.test(err.message),
    );
    // Loops still work: items, @index, else, block parameters, mappings.
    assert.equal(renderString('{{#each l}}{{@index}}:{{this}} {{else}}none{{/each}}', { l: [1, 2] }, testSecrets), '0:1 1:2 ');
    assert.equal(renderString('{{#each e}}x{{else}}none{{/each}}|{{#each m as |v k|}}{{k}}={{v}};{{/each}}', { e: [], m: { a: 1, b: 2 } }, testSecrets), 'none|a=1;b=2;');
  });

  it('stops: a doubling chain through the real command line (the failing host and variable named, no crash)', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `v${i}: "{{v${i + 1}}}{{v${i + 1}}}"`);
    writeFileSync(at('double.yml'), `${lines.join('\n')}\nv40: "xxxxxxxxxxxxxxxx"\n`);
    writeFileSync(at('double-plan.yml'), 'hosts: all\ntasks:\n  - command: "echo {{v0}}"\n');
    const r = await cli(['apply', 'double-plan.yml', '--check', '-c', 'local', '-e', '@double.yml']);
    assertNoCrash(r);
    assert.equal(r.code, 2, show(r)); // the host failed; nothing ran
    assert.match(r.stdout, /^web1: FAILED/m);
    assert.match(r.stdout, /variable 'v20' renders to more than 10 MB \(16 MB\)/);
  });
});

describe('numeric command-line flags: commander usage errors, never a stack trace', () => {
  const cases: Array<{ args: string[]; option: string; value: string }> = [
    { args: ['validate', 'plan.yml', '-f', '0'], option: '-f, --forks <n>', value: '0' },
    { args: ['facts', '--forks', 'many'], option: '-f, --forks <n>', value: 'many' },
    { args: ['apply', 'plan.yml', '--forks', '1e3'], option: '-f, --forks <n>', value: '1e3' },
    { args: ['validate', 'plan.yml', '--connect-timeout', 'abc'], option: '--connect-timeout <seconds>', value: 'abc' },
    { args: ['dns', 'plan.yml', '--connect-timeout', '0'], option: '--connect-timeout <seconds>', value: '0' },
    { args: ['apply', 'plan.yml', '--timeout', '-1'], option: '--timeout <seconds>', value: '-1' },
    { args: ['apply', 'plan.yml', '--timeout', '1.5'], option: '--timeout <seconds>', value: '1.5' },
    // Larger than a Node timer holds: it would fire at once, a timeout of zero.
    { args: ['apply', 'plan.yml', '--timeout', '3000000'], option: '--timeout <seconds>', value: '3000000' },
    { args: ['init', 'relay', 'scaffold', '--relay-port', 'x'], option: '--relay-port <port>', value: 'x' },
    { args: ['init', 'relay', 'scaffold', '--relay-port', '70000'], option: '--relay-port <port>', value: '70000' },
  ];
  for (const c of cases) {
    it(`stops: ${c.args[0]} ${c.option.split(' ')[0]!.replace(/,$/, '')} ${c.value} crashing with "internal error" and exit 70`, async () => {
      assertUsageError(await cli(c.args), c.option, c.value);
    });
  }

  it('control: in-range numbers are accepted (the parser is not refusing everything)', async () => {
    const r = await cli(['validate', 'plan.yml', '-f', '7', '--connect-timeout', '3']);
    assert.equal(r.code, 0, show(r));
    const port = await cli(['init', 'relay', 'scaffold-ok', '--relay-port', '465']);
    assert.equal(port.code, 0, show(port));
    assert.match(readFileSync(at('scaffold-ok', 'group_vars', 'relays.yml'), 'utf8'), /relay_port: 465/);
  });
});

describe('vault', () => {
  it('stops: a crafted header asking scrypt for 1 GiB (N=2^20, r=8) before anything is authenticated', async () => {
    const honest = encryptVault('token: x\n', PASS, FAST);
    writeFileSync(at('crafted.yml'), honest.replace('N=1024,r=8,p=1', 'N=1048576,r=8,p=1'));
    const started = Date.now();
    const r = await cli(['vault', 'decrypt', 'crafted.yml', '-o', '-'], { FLEETPLAN_VAULT_PASSWORD: PASS });
    assertNoCrash(r);
    assert.equal(r.code, INVALID_INPUT, show(r));
    assert.match(r.stderr, /^error: crafted\.yml: unsupported scrypt parameters N=1048576, r=8, p=1: more work than fleetplan ever writes \(N·r·p at most 1048576, as N=131072, r=8, p=1\); refused before deriving a key$/m);
    assert.ok(Date.now() - started < 15_000);
    // The same file met while loading (-e @file): the same refusal at the file.
    const load = await cli(['validate', 'plan.yml', '-e', '@crafted.yml'], { FLEETPLAN_VAULT_PASSWORD: PASS });
    assertInputError(load, 'crafted.yml', 'more work than fleetplan ever writes');
    // And as an inline `!vault` value, at its position.
    const inline = honest.replace('N=1024,r=8,p=1', 'N=1048576,r=8,p=1').trimEnd().split('\n').map((l) => `  ${l}`).join('\n');
    writeFileSync(at('inline-crafted.yml'), `pw: !vault |\n${inline}\n`);
    const inl = await cli(['validate', 'plan.yml', '-e', '@inline-crafted.yml'], { FLEETPLAN_VAULT_PASSWORD: PASS });
    assertInputError(inl, 'inline-crafted.yml:1:5', '!vault: unsupported scrypt parameters N=1048576, r=8, p=1: more work than fleetplan ever writes');
    // Control: the honest file decrypts.
    writeFileSync(at('honest.yml'), honest);
    const ok = await cli(['vault', 'decrypt', 'honest.yml', '-o', '-'], { FLEETPLAN_VAULT_PASSWORD: PASS });
    assert.equal(ok.code, 0, show(ok));
    assert.equal(ok.stdout, 'token: x\n');
  });

  it('stops: `vault decrypt` in place leaving the plaintext at the old world-readable mode', async () => {
    writeFileSync(at('secret.yml'), encryptVault('db_password: hunter2\n', PASS, FAST));
    chmodSync(at('secret.yml'), 0o644);
    const r = await cli(['vault', 'decrypt', 'secret.yml'], { FLEETPLAN_VAULT_PASSWORD: PASS });
    assert.equal(r.code, 0, show(r));
    assert.equal(readFileSync(at('secret.yml'), 'utf8'), 'db_password: hunter2\n');
    assert.equal(statSync(at('secret.yml')).mode & 0o777, 0o600);
    assert.match(r.stderr, /^decrypted secret\.yml \(mode 0600: readable by you only, was 0644\)$/m);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.fleetplan-')), [], 'no temporary file left');
    // Into an existing world-readable --output file: 0600 as well.
    writeFileSync(at('secret2.yml'), encryptVault('k: v\n', PASS, FAST));
    writeFileSync(at('plain-out.yml'), 'old\n');
    chmodSync(at('plain-out.yml'), 0o666);
    const out = await cli(['vault', 'decrypt', 'secret2.yml', '-o', 'plain-out.yml'], { FLEETPLAN_VAULT_PASSWORD: PASS });
    assert.equal(out.code, 0, show(out));
    assert.equal(statSync(at('plain-out.yml')).mode & 0o777, 0o600);
  });

  it('stops: the vault passphrase being inherited by $EDITOR (vault edit)', async () => {
    writeFileSync(at('edit.yml'), encryptVault('a: 1\n', PASS, FAST));
    writeFileSync(at('editor.sh'), `#!/bin/sh\nenv > ${JSON.stringify(at('editor-env.txt'))}\n`);
    chmodSync(at('editor.sh'), 0o755);
    const r = await cli(['vault', 'edit', 'edit.yml'], { FLEETPLAN_VAULT_PASSWORD: PASS, EDITOR: at('editor.sh'), FLEETPLAN_INPUTS_MARK: 'seen' });
    assert.equal(r.code, 0, show(r));
    const env = readFileSync(at('editor-env.txt'), 'utf8');
    assert.match(env, /^FLEETPLAN_INPUTS_MARK=seen$/m, 'the editor did run with the environment');
    assert.ok(!env.includes('FLEETPLAN_VAULT_PASSWORD') && !env.includes(PASS), 'the passphrase reached the editor');
  });

  it('stops: the vault passphrase being inherited by commands of the local connection', async () => {
    writeFileSync(at('vaulted.yml'), encryptVault('greeting: hello\n', PASS, FAST));
    const envFile = at('local-env.txt');
    writeFileSync(at('env-plan.yml'), `hosts: all\ntasks:\n  - command: "env > ${envFile}; echo {{greeting}} >> ${envFile}"\n`);
    const r = await cli(['apply', 'env-plan.yml', '-c', 'local', '-e', '@vaulted.yml'], { FLEETPLAN_VAULT_PASSWORD: PASS, FLEETPLAN_INPUTS_MARK: 'seen' });
    assert.equal(r.code, 0, show(r));
    const env = readFileSync(envFile, 'utf8');
    assert.match(env, /^FLEETPLAN_INPUTS_MARK=seen$/m);
    assert.match(env, /^hello$/m, 'the passphrase was used (the vault file decrypted)');
    assert.ok(!env.includes('FLEETPLAN_VAULT_PASSWORD') && !env.includes(PASS), 'the passphrase reached a local command');
  });
});

describe('escape sequences in host text', () => {
  const ALLOWED = new Set(['\n', '\t']);
  // Every C0 control, DEL, the C1 range and the bidi overrides: none may reach the terminal raw.
  const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
  const SGR = /\x1b\[[0-9;]*m/g;

  const hostile = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('utf8')), // invalid UTF-8 → U+FFFD and friends
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')), // raw C1 bytes (0x9B is an 8-bit CSI)
    fc.array(fc.constantFrom('\x1b[2J', '\x1b]0;pwned\x07', '\x1b]52;c;aGk=\x07', '\x9b31m', '\x00', '\r', '\b\b\b', '\x1b[1A\x1b[K', '\u202e', '\n', '\t', 'ok', 'line\n'), { maxLength: 12 }).map((a) => a.join('')),
  );

  function render(fields: { before: string; after: string; path: string; output: string; error: string; task: string }, color: boolean): string {
    const out = new FakeStream(false);
    const r = new ConsoleReporter({ diff: true, verbose: true, out, color, live: false });
    const result: TaskResult = {
      host: 'web1', play: 'site', task: fields.task, op: 'file', handler: false, status: 'failed', check: true, ms: 1,
      error: fields.error,
      changes: [
        { kind: 'write', description: `write ${fields.path}`, write: { path: fields.path, content: Buffer.from(fields.after) }, diff: { path: fields.path, before: fields.before, after: fields.after, attrs: [`owner ${fields.output} → root`] } },
        { kind: 'run', description: 'run', command: fields.output },
      ],
    };
    const stats = { ok: 0, changed: 0, failed: 1, skipped: 0, unreachable: false, execs: 1, ms: 5 };
    const events: RunEvent[] = [
      { type: 'run-start', hosts: ['web1'], check: true, plays: ['site'] },
      { type: 'host-start', host: 'web1' },
      { type: 'task-start', host: 'web1', play: 'site', task: fields.task, handler: false },
      { type: 'command', host: 'web1', command: fields.output, exitCode: 1, error: fields.error, become: false, ms: 3 },
      { type: 'host-note', host: 'web1', note: fields.output },
      { type: 'task-result', result },
      { type: 'host-failed', host: 'web1', error: fields.error },
      { type: 'host-done', host: 'web1', stats },
      { type: 'run-end', summary: { check: true, hosts: { web1: stats }, ms: 9 } },
    ];
    for (const e of events) r.handle(e);
    return out.text;
  }

  it('stops: control characters from a host (diff, output, errors, names) reaching the terminal raw — property', () => {
    fc.assert(
      fc.property(fc.record({ before: hostile, after: hostile, path: hostile, output: hostile, error: hostile, task: hostile }), fc.boolean(), (fields, color) => {
        const text = render(fields, color).replace(SGR, '');
        const bad = [...text].find((ch) => !ALLOWED.has(ch) && RAW.test(ch));
        assert.equal(bad, undefined, `raw ${JSON.stringify(bad)} in ${JSON.stringify(text)}`);
      }),
      { numRuns: 300 },
    );
  });

  it('stops: a planted file whose content clears the screen and retitles the terminal, shown in --diff', () => {
    const planted = 'PermitRootLogin no\n\x1b[2J\x1b[H\x1b]0;owned\x07# looks harmless\r\x1b[1A\n';
    const text = render({ before: planted, after: 'PermitRootLogin no\n', path: '/etc/ssh/sshd_config', output: 'ok', error: 'failed', task: 'sshd' }, false);
    assert.ok(!text.includes('\x1b') && !text.includes('\x07') && !text.includes('\r'), JSON.stringify(text));
    assert.ok(text.includes('-␛[2J␛[H␛]0;owned␇# looks harmless␍␛[1A'), `the line is shown, its controls visible:\n${text}`);
    // --json keeps the exact bytes (JSON escapes them itself).
    const json = new FakeStream(false);
    const jr = new JsonReporter(json);
    const result: TaskResult = {
      host: 'web1', play: 'site', task: 'sshd', op: 'file', handler: false, status: 'changed', check: true, ms: 1,
      changes: [{ kind: 'write', description: 'write', write: { path: '/etc/ssh/sshd_config', content: Buffer.from('x') }, diff: { path: '/etc/ssh/sshd_config', before: planted, after: 'x' } }],
    };
    const stats = { ok: 0, changed: 1, failed: 0, skipped: 0, unreachable: false, execs: 1, ms: 5 };
    for (const e of [
      { type: 'run-start', hosts: ['web1'], check: true, plays: ['site'] },
      { type: 'host-start', host: 'web1' },
      { type: 'task-result', result },
      { type: 'host-done', host: 'web1', stats },
      { type: 'run-end', summary: { check: true, hosts: { web1: stats }, ms: 9 } },
    ] as RunEvent[]) jr.handle(e);
    assert.ok(!json.text.includes('\x1b'));
    const doc = JSON.parse(json.text) as { hosts: { web1: { tasks: Array<{ diff: Array<{ before: string }> }> } } };
    assert.equal(doc.hosts.web1.tasks[0]!.diff[0]!.before, planted);
  });
});

describe('selections that select nothing', () => {
  it('stops: a --tags typo running nothing and exiting 0', async () => {
    const r = await cli(['apply', 'plan.yml', '-t', 'mot']);
    assertNoCrash(r);
    assert.equal(r.code, INVALID_INPUT, show(r));
    assert.match(r.stderr, /^error: --tags 'mot' is on no task of the plan \(did you mean 'motd'\?\) \(tags in the plan: motd\)$/m);
  });

  it('stops: a --skip-tags typo running everything it meant to skip', async () => {
    const r = await cli(['apply', 'plan.yml', '--skip-tags', 'motdd']);
    assert.equal(r.code, INVALID_INPUT, show(r));
    assert.match(r.stderr, /^error: --skip-tags 'motdd' is on no task of the plan \(did you mean 'motd'\?\)/m);
  });

  it('stops: --tags and --skip-tags that together leave no task', async () => {
    const r = await cli(['apply', 'plan.yml', '-t', 'motd', '--skip-tags', 'motd']);
    assert.equal(r.code, INVALID_INPUT, show(r));
    assert.match(r.stderr, /^error: --tags 'motd' with --skip-tags 'motd' select no task of the plan/m);
    // Control: the right tag passes the check and the run goes on (to the unreachable host: exit 3).
    const ok = await cli(['apply', 'plan.yml', '-t', 'motd', '--connect-timeout', '2']);
    assert.equal(ok.code, 3, show(ok));
  });

  it('stops: a --limit that matches hosts, but none the plan targets, exiting 0 with nothing done', async () => {
    writeFileSync(at('two-groups.yml'), 'all:\n  children:\n    web:\n      hosts: { web1: { ssh_host: 127.0.0.1, ssh_port: 1 } }\n    db:\n      hosts: { db1: { ssh_host: 127.0.0.1, ssh_port: 1 } }\n');
    writeFileSync(at('web-plan.yml'), 'hosts: web\ntasks:\n  - file: { path: /tmp/x, content: "x\\n" }\n');
    for (const limit of ['db', 'db*', 'web:&db']) {
      const r = await cli(['apply', 'web-plan.yml', '-i', 'two-groups.yml', '--limit', limit]);
      assert.equal(r.code, INVALID_INPUT, show(r));
      // A pattern that selects no host at all is refused before the plan's hosts are looked at
      // (issue 20: no silent no-ops), naming why; one that selects hosts the plan does not target, after.
      const why = limit === 'web:&db' ? `error: --limit 'web:&db' selects no host (each term matches some, but the intersections and exclusions leave none)` : `error: --limit '${limit}' selects none of the 1 host(s) the plan targets: web1`;
      assert.ok(r.stderr.includes(why), show(r));
    }
    const facts = await cli(['facts', '-i', 'two-groups.yml', '--limit', 'zz*']);
    assert.equal(facts.code, INVALID_INPUT, show(facts));
    // A glob no host or group name matches is refused as such (issue 20's host patterns).
    assert.match(facts.stderr, /^error: --limit 'zz\*' selects no host: no host or group name matches this glob/m);
  });
});
