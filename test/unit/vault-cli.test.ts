// `fleetplan vault …` through the real command line: encrypt/decrypt in place, edit through $EDITOR
// (private temp dir, removed in every case), encrypt-string for `!vault`, and the exit code 4 errors.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';
import { runProcess } from '../run-process.js';
import { buildAddress } from '../../src/connectors/address.js';
import { hostVars, loadInventory } from '../../src/load/inventory.js';
import { YamlSource } from '../../src/load/yaml.js';
import { Secret, SecretRegistry } from '../../src/core/secret.js';
import { decryptVault, encryptVault, parseVaultHeader } from '../../src/vault/crypto.js';
import { setVaultPassphrase } from '../../src/vault/passphrase.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const main = path.join(root, 'dist/fleetplan.js');
const PASS = 'cli-Passphrase-55';
const FAST = { N: 1024, r: 8, p: 1 };

interface Res {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string, opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Res> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FLEETPLAN_VAULT_PASSWORD;
  Object.assign(env, opts.env);
  return runProcess(process.execPath, [main, ...args], { cwd, env, input: opts.input ?? '' });
}

describe('fleetplan vault (CLI)', () => {
  let dir: string;
  let tmp: string;
  const at = (...p: string[]) => path.join(dir, ...p);
  const withPass = { env: { FLEETPLAN_VAULT_PASSWORD: PASS } };
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-vaultcli-'));
    tmp = at('tmp');
    mkdirSync(tmp);
    writeFileSync(at('pass'), `${PASS}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => setVaultPassphrase(undefined));

  it('encrypt then decrypt in place (--vault-password-file); --output -; refuses to double-encrypt', async () => {
    const plain = 'db_password: hunter2\n';
    writeFileSync(at('v.yml'), plain);
    chmodSync(at('v.yml'), 0o640);
    const enc = await cli(['vault', 'encrypt', 'v.yml', '--vault-password-file', 'pass'], dir);
    assert.equal(enc.code, 0, enc.stderr);
    const text = readFileSync(at('v.yml'), 'utf8');
    assert.match(text, /^\$FLEETPLAN_VAULT;1;AES256-GCM;scrypt;N=131072,r=8,p=1\n/);
    assert.ok(!text.includes('hunter2'));
    assert.equal(statSync(at('v.yml')).mode & 0o777, 0o640);
    assert.equal((await cli(['vault', 'encrypt', 'v.yml', '--vault-password-file', 'pass'], dir)).code, 4);
    const view = await cli(['vault', 'decrypt', 'v.yml', '-o', '-'], dir, withPass);
    assert.equal(view.code, 0, view.stderr);
    assert.equal(view.stdout, plain);
    const dec = await cli(['vault', 'decrypt', 'v.yml', '--vault-password-file', 'pass'], dir);
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(readFileSync(at('v.yml'), 'utf8'), plain);
    const again = await cli(['vault', 'decrypt', 'v.yml', '--vault-password-file', 'pass'], dir);
    assert.equal(again.code, 4);
    assert.match(again.stderr, /v\.yml: not encrypted/);
  });

  it('wrong passphrase, tampering, a newer version, no passphrase: exit 4 with a clear message', async () => {
    const v = encryptVault('x: 1\n', PASS, FAST);
    writeFileSync(at('t.yml'), v);
    const wrong = await cli(['vault', 'decrypt', 't.yml', '-o', '-'], dir, { env: { FLEETPLAN_VAULT_PASSWORD: 'nope' } });
    assert.equal(wrong.code, 4);
    assert.match(wrong.stderr, /^error: t\.yml: wrong passphrase or file modified/);
    const lines = v.split('\n');
    const l = lines[1]!;
    lines[1] = `${l.slice(0, 20)}${l[20] === 'A' ? 'B' : 'A'}${l.slice(21)}`;
    writeFileSync(at('t.yml'), lines.join('\n'));
    const tampered = await cli(['vault', 'decrypt', 't.yml', '-o', '-'], dir, withPass);
    assert.equal(tampered.code, 4);
    assert.match(tampered.stderr, /t\.yml: wrong passphrase or file modified/);
    writeFileSync(at('t.yml'), v.replace(';1;', ';9;'));
    const newer = await cli(['vault', 'decrypt', 't.yml', '-o', '-'], dir);
    assert.equal(newer.code, 4);
    assert.match(newer.stderr, /unsupported vault format version '9'/);
    writeFileSync(at('t.yml'), v);
    const none = await cli(['vault', 'decrypt', 't.yml', '-o', '-'], dir);
    assert.equal(none.code, 4);
    assert.match(none.stderr, /t\.yml: encrypted \(fleetplan vault\) and no vault passphrase was given: give it with --vault-password-file <file> or the FLEETPLAN_VAULT_PASSWORD/);
  });

  it('edit: private temp file, re-encrypted only when changed, removed in every case', async () => {
    writeFileSync(at('e.yml'), encryptVault('token: old\n', PASS, FAST));
    const editor = at('editor.sh');
    const log = at('editor.log');
    writeFileSync(
      editor,
      // $1 is the flag given in EDITOR (it may carry arguments), $2 the file.
      ['#!/bin/sh', `{ stat -c %a "$(dirname "$2")"; stat -c %a "$2"; echo "$2"; } > '${log}'`, 'case "$MODE" in', '  change) sed -i s/old/new/ "$2" ;;', '  fail) exit 3 ;;', 'esac', ''].join('\n'),
    );
    chmodSync(editor, 0o755);
    const env = (mode: string) => ({ env: { EDITOR: `${editor} --wait`, MODE: mode, TMPDIR: tmp, FLEETPLAN_VAULT_PASSWORD: PASS } });

    const before = readFileSync(at('e.yml'), 'utf8');
    const same = await cli(['vault', 'edit', 'e.yml'], dir, env('keep'));
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stderr, /e\.yml: unchanged/);
    assert.equal(readFileSync(at('e.yml'), 'utf8'), before);
    const [dirMode, fileMode, file] = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(dirMode, '700');
    assert.equal(fileMode, '600');
    assert.ok(file!.startsWith(tmp + path.sep) && file!.endsWith('e.yml'), file);
    assert.deepEqual(readdirSync(tmp), []);

    const changed = await cli(['vault', 'edit', 'e.yml'], dir, env('change'));
    assert.equal(changed.code, 0, changed.stderr);
    const after = readFileSync(at('e.yml'), 'utf8');
    assert.notEqual(after, before);
    assert.equal(decryptVault(after, PASS).toString(), 'token: new\n');
    assert.deepEqual(parseVaultHeader(after).scrypt, FAST); // the file's own parameters are kept
    assert.deepEqual(readdirSync(tmp), []);

    const failed = await cli(['vault', 'edit', 'e.yml'], dir, env('fail'));
    assert.equal(failed.code, 4);
    assert.match(failed.stderr, /editor .* exited with 3; file left unchanged/);
    assert.equal(readFileSync(at('e.yml'), 'utf8'), after);
    assert.deepEqual(readdirSync(tmp), []);

    const wrong = await cli(['vault', 'edit', 'e.yml'], dir, { env: { ...env('change').env, FLEETPLAN_VAULT_PASSWORD: 'nope' } });
    assert.equal(wrong.code, 4);
    assert.match(wrong.stderr, /wrong passphrase or file modified/);
    assert.deepEqual(readdirSync(tmp), []);
  });

  it('encrypt-string: a !vault value that loads as a Secret', async () => {
    const r = await cli(['vault', 'encrypt-string', '--name', 'api_key', '--vault-password-file', 'pass'], dir, { input: 'k3y-Value\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^api_key: !vault \|\n {2}\$FLEETPLAN_VAULT;1;/);
    assert.ok(!r.stdout.includes('k3y-Value'));
    setVaultPassphrase(PASS);
    const src = YamlSource.parse(`other: 1\n${r.stdout}`, 'x.yml', testSecrets);
    const v = (src.value(src.root) as { api_key: unknown }).api_key;
    assert.ok(v instanceof Secret);
    assert.equal(String(v), 'k3y-Value');
  });

  it('encrypted host_vars may hold connection variables (become_password, ssh_host)', () => {
    mkdirSync(at('inv', 'host_vars'), { recursive: true });
    writeFileSync(at('inv', 'inventory.yml'), 'all:\n  hosts:\n    h1:\n');
    writeFileSync(at('inv', 'host_vars', 'h1.yml'), encryptVault('ssh_host: 192.0.2.7\nbecome: true\nbecome_password: "sudo-Pw-1"\n', PASS, FAST));
    setVaultPassphrase(PASS);
    const inv = loadInventory(at('inv', 'inventory.yml'), testSecrets);
    const addr = buildAddress('h1', hostVars(inv, 'h1'), { inventoryDir: at('inv'), sshConfigFile: '/dev/null' });
    assert.equal(addr.host, '192.0.2.7');
    assert.equal(addr.become.password, 'sudo-Pw-1');
    assert.equal(addr.become.enabled, true);
  });
});
