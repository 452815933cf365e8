// Secret hygiene, end to end: the real command line (`--connection local`, files in a temp dir) runs
// plans whose tasks use secrets from an inventory `!secret`, an encrypted vars file, an inline
// `!vault` value and `!secret_env` — in file contents, command lines, a failing command (secret in its
// command and its stderr), `when:` conditions and template errors — in check mode, with --diff,
// --json and --verbose, and for real. Nothing any run prints may contain a secret value; the files on
// the host must contain the real values.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../run-process.js';
import { encryptVault } from '../../src/vault/crypto.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const main = path.join(root, 'dist/fleetplan.js');

const SECRETS = {
  inv_pw: 'InvSecret-7c1e',
  vault_pw: 'VaultSecret-3f9a',
  inline_pw: 'InlineSecret-d04b',
  env_pw: 'EnvSecret-a52c',
};
const PASSPHRASE = 'Vault-Passphrase-19e7';
const ENV_NAME = 'FLEETPLAN_HYGIENE_PW';
const FAST = { N: 1024, r: 8, p: 1 };
const NAMES = Object.keys(SECRETS) as (keyof typeof SECRETS)[];

interface Run {
  args: string[];
  code: number;
  out: string;
}

async function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', [ENV_NAME]: SECRETS.env_pw };
  delete base.FLEETPLAN_VAULT_PASSWORD;
  const r = await runProcess(process.execPath, [main, ...args], { cwd, env: { ...base, ...env } });
  return { args, code: r.code, out: r.output };
}

/** Neither any secret value nor the vault passphrase. */
function assertClean(r: Run): void {
  for (const s of [...Object.values(SECRETS), PASSPHRASE]) {
    assert.ok(!r.out.includes(s), `'${r.args.join(' ')}' printed secret '${s}':\n${r.out}`);
  }
}

describe('secret hygiene (real CLI, --connection local)', () => {
  let dir: string;
  const at = (...p: string[]) => path.join(dir, ...p);
  const runs: Run[] = [];
  const run = async (args: string[], env?: NodeJS.ProcessEnv) => {
    const r = await cli(args, dir, env);
    runs.push(r);
    assertClean(r);
    return r;
  };

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-hygiene-'));
    mkdirSync(at('host'));
    writeFileSync(at('pass'), `${PASSPHRASE}\n`);
    writeFileSync(at('inventory.yml'), ['all:', '  hosts:', '    h1:', '  vars:', `    inv_pw: !secret "${SECRETS.inv_pw}"`, ''].join('\n'));
    writeFileSync(at('secrets.yml'), encryptVault(`vault_pw: "${SECRETS.vault_pw}"\n`, PASSPHRASE, FAST));
    const inline = encryptVault(SECRETS.inline_pw, PASSPHRASE, FAST).trimEnd().split('\n').map((l) => `      ${l}`).join('\n');
    const tasks = NAMES.flatMap((v) => [
      `  - name: content ${v}`,
      `    file: { path: "${at('host', `${v}.conf`)}", content: "user=x\\npassword={{${v}}}\\nport=25\\n", mode: "0600" }`,
      `  - name: command ${v}`,
      `    command: "test -n {{${v}}}"`,
      `  - name: fails ${v}`,
      `    command: "echo {{${v}}} >&2; exit 1"`,
      `    ignore_errors: true`,
      `  - name: when-true ${v}`,
      `    command: "true"`,
      `    when: { ${v}: { matches: "Secret-" } }`,
      `  - name: when-false ${v}`,
      `    command: "true"`,
      `    when: { ${v}: { eq: "not the value" } }`,
      `  - name: when-ne ${v}`,
      `    command: "true"`,
      `    when: { ${v}: { in: ["a", "b"] } }`,
      `  - name: loop ${v}`,
      `    command: "test -n {{item}}"`,
      `    loop: ["{{${v}}}"]`,
    ]);
    writeFileSync(
      at('plan.yml'),
      [
        'name: hygiene',
        'hosts: all',
        'vars:',
        `  env_pw: !secret_env ${ENV_NAME}`,
        '  inline_pw: !vault |',
        inline,
        'vars_files: [secrets.yml]',
        'tasks:',
        ...tasks,
        '',
      ].join('\n'),
    );
    // Template errors in tasks that reference a secret (an undefined variable, a bad helper call).
    for (const v of NAMES) {
      writeFileSync(
        at(`bad-${v}.yml`),
        [
          'hosts: all',
          'vars:',
          `  env_pw: !secret_env ${ENV_NAME}`,
          '  inline_pw: !vault |',
          inline,
          'vars_files: [secrets.yml]',
          'tasks:',
          `  - name: undefined next to ${v}`,
          `    command: "echo {{${v}}} {{no_such_variable}}"`,
          `  - name: bad helper on ${v}`,
          `    file: { path: "${at('host', 'never')}", content: "{{upper ${v} 1 2 3}}{{#each ${v}}}x{{/each}}" }`,
          '',
        ].join('\n'),
      );
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const common = ['-i', 'inventory.yml', '--connection', 'local', '--vault-password-file', 'pass'];

  it('check, diff, json, verbose, apply: no output contains a secret; the host files do', async () => {
    const plan = ['apply', 'plan.yml', ...common];
    await run(['validate', 'plan.yml', '-i', 'inventory.yml', '--vault-password-file', 'pass']);
    const check = await run([...plan, '--check', '--diff', '--verbose']);
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /content inv_pw/);
    await run([...plan, '--check', '--diff', '--json', '--verbose']);
    const apply = await run([...plan, '--diff', '--verbose']);
    assert.equal(apply.code, 0, apply.out);
    assert.match(apply.out, /fails vault_pw/);
    for (const v of NAMES) assert.equal(readFileSync(at('host', `${v}.conf`), 'utf8'), `user=x\npassword=${SECRETS[v]}\nport=25\n`);
    // The passphrase from the environment instead of a file; --json for a real run.
    const json = await run(['apply', 'plan.yml', '-i', 'inventory.yml', '--connection', 'local', '--json', '--verbose', '--diff'], { FLEETPLAN_VAULT_PASSWORD: PASSPHRASE });
    assert.equal(json.code, 0, json.out);
    // A file whose old content holds the secret too: the diff must not show either side.
    for (const v of NAMES) appendFileSync(at('host', `${v}.conf`), `old=${SECRETS[v]}\n`);
    await run([...plan, '--check', '--diff', '--verbose']);
    await run([...plan, '--check', '--diff', '--json']);
    await run([...plan, '--diff', '--verbose']);
    // -e with an encrypted file and with a secret on the command line itself is the operator's own
    // input; the encrypted one must stay hidden.
    writeFileSync(at('extra.yml'), encryptVault(`vault_pw: "${SECRETS.vault_pw}"\n`, PASSPHRASE, FAST));
    await run([...plan, '--check', '--diff', '--verbose', '-e', '@extra.yml']);
  });

  it('template errors in tasks referencing a secret', async () => {
    for (const v of NAMES) {
      const r = await run(['apply', `bad-${v}.yml`, ...common, '--verbose']);
      assert.notEqual(r.code, 0, r.out);
      assert.match(r.out, /no_such_variable|upper|each/, r.out);
      await run(['apply', `bad-${v}.yml`, ...common, '--json']);
      await run(['validate', `bad-${v}.yml`, '-i', 'inventory.yml', '--vault-password-file', 'pass']);
    }
  });

  it('vault errors name the file and never print the passphrase or a secret', async () => {
    writeFileSync(at('files-only.yml'), 'hosts: all\nvars_files: [secrets.yml]\ntasks:\n  - command: "test -n {{vault_pw}}"\n');
    const missing = await run(['validate', 'files-only.yml', '-i', 'inventory.yml']);
    assert.equal(missing.code, 4);
    assert.match((await run(['validate', 'plan.yml', '-i', 'inventory.yml'])).out, /plan\.yml:5:14: !vault: encrypted \(fleetplan vault\) and no vault passphrase/);
    assert.match(missing.out, /secrets\.yml: encrypted \(fleetplan vault\) and no vault passphrase was given: give it with --vault-password-file/);
    writeFileSync(at('wrong'), 'not the passphrase\n');
    const wrong = await run(['apply', 'files-only.yml', '-i', 'inventory.yml', '--connection', 'local', '--vault-password-file', 'wrong']);
    assert.equal(wrong.code, 4);
    assert.match(wrong.out, /secrets\.yml: wrong passphrase or file modified/);
    const wrongInline = await run(['apply', 'plan.yml', '-i', 'inventory.yml', '--connection', 'local', '--vault-password-file', 'wrong']);
    assert.equal(wrongInline.code, 4);
    assert.match(wrongInline.out, /plan\.yml:5:14: !vault: wrong passphrase or file modified/);
    const dec = await cli(['vault', 'decrypt', 'secrets.yml', '--output', '-', '--vault-password-file', 'pass'], dir);
    assert.equal(dec.code, 0, dec.out);
    assert.match(dec.out, new RegExp(SECRETS.vault_pw)); // (the one command whose job is to print it)
  });
});
