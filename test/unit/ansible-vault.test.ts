// ansible-vault 1.1/1.2 files and `!vault |` values, made by the real ansible-vault (fixtures/load/
// ansible-vault/README), load with fleetplan's passphrase options as tracked Secrets; a wrong
// passphrase, a modified text or an unknown version is an input error naming the file.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { InputError, InputErrors } from '../../src/core/errors.js';
import { Secret, SecretRegistry, revealDeep } from '../../src/core/secret.js';
import { hostVars, loadInventory } from '../../src/load/inventory.js';
import { readVarsFile } from '../../src/load/vars.js';
import { ANSIBLE_WRONG_PASSPHRASE, decryptAnsibleVault, isAnsibleVaultText, parseAnsibleVaultHeader } from '../../src/vault/ansible-vault.js';
import { VaultError } from '../../src/vault/crypto.js';
import { setVaultPassphrase, setVaultPasswordFile } from '../../src/vault/passphrase.js';
import { fix } from './load-helpers.js';
import { runProcess } from '../run-process.js';
import { packageRoot } from '../../src/core/paths.js';

const at = (...p: string[]) => fix('ansible-vault', ...p);
const PASS = 'correct horse battery staple';

function errorsOf(fn: () => unknown): InputError[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputErrors) return err.errors;
    if (err instanceof InputError) return [err];
    throw err;
  }
  assert.fail('expected an input error');
}

function withoutTty<T>(fn: () => T): T {
  const desc = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
  Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
  try {
    return fn();
  } finally {
    if (desc) Object.defineProperty(process.stdin, 'isTTY', desc);
    else delete (process.stdin as { isTTY?: boolean }).isTTY;
  }
}

describe('ansible-vault format', () => {
  const file = readFileSync(at('group_vars', 'relays.yml'), 'utf8');

  it('decrypts a file ansible-vault encrypted', () => {
    assert.ok(isAnsibleVaultText(file));
    assert.deepEqual(parseAnsibleVaultHeader(file), { version: '1.1', label: undefined });
    assert.match(decryptAnsibleVault(file, PASS).toString('utf8'), /^vaulted_password: "av-Secret-1"\n/);
  });

  it('a wrong passphrase or any modified byte fails the HMAC', () => {
    assert.throws(() => decryptAnsibleVault(file, 'wrong'), (e: unknown) => e instanceof VaultError && e.message === ANSIBLE_WRONG_PASSPHRASE);
    const lines = file.split('\n');
    const flip = lines[3]!.slice(0, 10) + (lines[3]![10] === '0' ? '1' : '0') + lines[3]!.slice(11);
    assert.throws(() => decryptAnsibleVault([...lines.slice(0, 3), flip, ...lines.slice(4)].join('\n'), PASS), VaultError);
  });

  it('refuses other versions, ciphers and a malformed body before deriving a key', () => {
    assert.throws(() => parseAnsibleVaultHeader('$ANSIBLE_VAULT;1.0;AES\n00'), /unsupported ansible-vault format version '1.0'.*ansible-vault rekey/);
    assert.throws(() => parseAnsibleVaultHeader('$ANSIBLE_VAULT;1.1;AES128\n00'), /unsupported ansible-vault cipher 'AES128'/);
    assert.throws(() => decryptAnsibleVault('$ANSIBLE_VAULT;1.1;AES256\nzz\n', PASS), /malformed ansible-vault text: the body is not hexadecimal/);
    assert.throws(() => decryptAnsibleVault(`$ANSIBLE_VAULT;1.1;AES256\n${Buffer.from('ab\ncd').toString('hex')}\n`, PASS), /not salt, HMAC and ciphertext/);
  });
});

describe('ansible-vault in inventories and variables', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-ansible-vault-'));
    cpSync(at(), dir, { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => setVaultPassphrase(undefined));

  it('an encrypted group_vars file, !vault values (1.1 and 1.2 with a vault id) and an encrypted INI inventory load as Secrets', () => {
    setVaultPasswordFile(path.join(dir, 'vault-password'));
    const secrets = new SecretRegistry();
    const inv = loadInventory([path.join(dir, 'hosts'), path.join(dir, 'enc-hosts.ini')], secrets);
    const v = hostVars(inv, 'relay1');
    for (const k of ['vaulted_password', 'relay_password', 'labelled']) assert.ok(v[k] instanceof Secret, `${k} is a Secret`);
    assert.deepEqual(revealDeep(v), {
      ansible_host: '192.0.2.10', relay_user: 'relay@example.org', relay_password: 'av-Secret-3', labelled: 'av-Secret-4',
      vaulted_password: 'av-Secret-1', vaulted_port: 2525, nested: { list: ['av-Secret-2'] },
    });
    assert.equal(JSON.stringify(v).match(/av-Secret/g), null);
    assert.equal(secrets.redact('av-Secret-1 av-Secret-2 av-Secret-3 av-Secret-4'), '[redacted] [redacted] [redacted] [redacted]');
    assert.ok(inv.hosts.has('relay9'), 'the encrypted INI inventory was read');
  });

  it('a vars file encrypted by ansible-vault reads with a passphrase given directly', () => {
    setVaultPassphrase(PASS);
    const vars = readVarsFile(path.join(dir, 'group_vars', 'relays.yml'), 'vars file', new SecretRegistry());
    assert.equal(String(vars.vaulted_password), 'av-Secret-1');
  });

  it('a wrong passphrase: an input error naming the file, and the !vault value at its line and column', () => {
    const wrong = path.join(dir, 'wrong-password');
    writeFileSync(wrong, 'not it\n');
    setVaultPasswordFile(wrong);
    const text = errorsOf(() => loadInventory(path.join(dir, 'hosts'), new SecretRegistry())).map((e) => e.describe()).join('\n');
    assert.match(text, /group_vars\/relays\.yml: wrong passphrase or file modified \(the ansible-vault HMAC did not match\)/);
    assert.match(text, /host_vars\/relay1\.yml:2:17: !vault: wrong passphrase or file modified/);
    assert.match(errorsOf(() => loadInventory(path.join(dir, 'enc-hosts.ini'), new SecretRegistry()))[0]!.describe(), /enc-hosts\.ini: wrong passphrase/);
  });

  it('an executable --vault-password-file is run (as Ansible runs one) and prints the passphrase; a failing one is an error', () => {
    const script = path.join(dir, 'vault-pass.sh');
    writeFileSync(script, `#!/bin/sh\necho '${PASS}'\n`, { mode: 0o755 });
    setVaultPasswordFile(script);
    assert.equal(String(readVarsFile(path.join(dir, 'group_vars', 'relays.yml'), 'vars file', new SecretRegistry()).vaulted_password), 'av-Secret-1');
    const failing = path.join(dir, 'vault-fail.sh');
    writeFileSync(failing, '#!/bin/sh\necho "no keyring" >&2\nexit 3\n', { mode: 0o755 });
    setVaultPasswordFile(failing);
    assert.match(errorsOf(() => readVarsFile(path.join(dir, 'group_vars', 'relays.yml'), 'vars file', new SecretRegistry()))[0]!.describe(), /relays\.yml: the vault password script .*vault-fail\.sh exited with status 3/);
    // The x bit alone does not make a passphrase file a program.
    const plain = path.join(dir, 'plain-x');
    writeFileSync(plain, `${PASS}\n`, { mode: 0o755 });
    setVaultPasswordFile(plain);
    assert.equal(String(readVarsFile(path.join(dir, 'group_vars', 'relays.yml'), 'vars file', new SecretRegistry()).vaulted_password), 'av-Secret-1');
  });

  it('no passphrase at all: says how to give one', () => {
    withoutTty(() => {
      const [err] = errorsOf(() => readVarsFile(path.join(dir, 'group_vars', 'relays.yml'), 'vars file', new SecretRegistry()));
      assert.match(err!.describe(), /relays\.yml: encrypted \(ansible-vault\) and no vault passphrase was given: give it with --vault-password-file/);
    });
  });
});

describe('fleetplan vault and ansible-vault files (CLI)', () => {
  let dir: string;
  const cli = (args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.FLEETPLAN_VAULT_PASSWORD;
    return runProcess(process.execPath, [path.join(packageRoot(), 'dist/fleetplan.js'), 'vault', ...args, '--vault-password-file', 'vault-password'], { cwd: dir, env, input: '' });
  };
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-ansible-vault-cli-'));
    cpSync(at(), dir, { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('encrypt refuses an ansible-vault file; edit refuses it with the way out; decrypt reads it (to move it over)', async () => {
    const file = path.join('group_vars', 'relays.yml');
    const enc = await cli(['encrypt', file]);
    assert.equal(enc.code, 4);
    assert.match(enc.stderr, /relays\.yml: already encrypted \(ansible-vault\): fleetplan reads it as it is/);
    const edit = await cli(['edit', file]);
    assert.equal(edit.code, 4);
    assert.match(edit.stderr, /encrypted with ansible-vault: fleetplan writes only its own format; 'fleetplan vault decrypt' it, then 'fleetplan vault encrypt' it/);
    const dec = await cli(['decrypt', file, '-o', '-']);
    assert.equal(dec.code, 0, dec.stderr);
    assert.match(dec.stdout, /^vaulted_password: "av-Secret-1"\n/);
  });
});
