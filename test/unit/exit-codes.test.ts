// The exit codes are one table (src/cli/exit-codes.ts) shown three ways that must agree: the code's
// ExitCode constants, the epilog of `fleetplan --help` / `fleetplan apply --help`, and docs/usage.md
// "Exit codes". A wrong command line is one error line and a pointer to the command's help, exit 2.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '../../src/core/errors.js';
import { EXIT_CODE_TABLE } from '../../src/cli/exit-codes.js';
import { packageRoot } from '../../src/core/paths.js';
import { runProcess } from '../run-process.js';

const root = packageRoot();
const cli = (args: string[]) => runProcess(process.execPath, [path.join(root, 'dist/fleetplan.js'), ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });

test('the table has every ExitCode constant, with its number, once', () => {
  assert.deepEqual(
    EXIT_CODE_TABLE.map((r) => [r.name, r.code]),
    Object.entries(ExitCode),
  );
  // Stable numbers: scripts test them. Changing one is a breaking change, not a refactoring.
  assert.deepEqual(ExitCode, { ok: 0, usage: 2, hostFailed: 2, unreachable: 3, invalidInput: 4, changesPending: 5, internal: 70, interrupted: 130, terminated: 143 });
});

test('docs/usage.md "Exit codes" is the same table', () => {
  const doc = readFileSync(path.join(root, 'docs/usage.md'), 'utf8');
  const section = doc.slice(doc.indexOf('\n## Exit codes\n'));
  const rows = [...section.matchAll(/^\| (\d+) \| `(\w+)` \| (.+) \|$/gm)].map((m) => ({ code: Number(m[1]), name: m[2], meaning: m[3] }));
  assert.deepEqual(rows, EXIT_CODE_TABLE.map((r) => ({ ...r })));
});

test('`fleetplan --help` and `fleetplan apply --help` end with the table', async () => {
  for (const args of [['--help'], ['apply', '--help']]) {
    const r = await cli(args);
    assert.equal(r.code, 0);
    const epilog = r.stdout.slice(r.stdout.indexOf('Exit codes'));
    const rows = [...epilog.matchAll(/^\s+(\d+)\s+(\w+)\s+(.+)$/gm)].map((m) => [Number(m[1]), m[2], m[3]]);
    assert.deepEqual(rows, EXIT_CODE_TABLE.map((r) => [r.code, r.name, r.meaning.replaceAll('`', '')]), args.join(' '));
  }
});

test('an unknown flag or command: its error, a pointer to the help, exit 2 — not the whole help', async () => {
  const cases: Array<[string[], RegExp, string]> = [
    [['apply', 'plan.yml', '--bogus'], /^error: unknown option '--bogus'$/, "(see 'fleetplan apply --help')"],
    [['vault', 'encrypt', '--bogus'], /^error: unknown option '--bogus'$/, "(see 'fleetplan vault encrypt --help')"],
    [['aply'], /^error: unknown command 'aply'$/, "(see 'fleetplan --help')"],
    [['apply', 'plan.yml', '-f', '0'], /^error: option '-f, --forks <n>' argument '0' is invalid\. Expected a whole number from 1 to 10000\.$/, "(see 'fleetplan apply --help')"],
  ];
  for (const [args, first, pointer] of cases) {
    const r = await cli(args);
    assert.equal(r.code, ExitCode.usage, args.join(' '));
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.match(lines[0]!, first);
    assert.equal(lines.at(-1), pointer);
    assert.ok(lines.length <= 3, `more than the error, a suggestion and the pointer:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /Usage:|Options:/);
  }
});
