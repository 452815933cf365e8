import assert from 'node:assert/strict';
import { createDecipheriv, scryptSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { InputError, InputErrors } from '../../src/core/errors.js';
import { loadInventory } from '../../src/load/inventory.js';
import { Secret, SecretRegistry } from '../../src/core/secret.js';
import { parseExtraVars, readVarsFile } from '../../src/load/vars.js';
import {
  DEFAULT_SCRYPT, VaultError, WRONG_PASSPHRASE, decryptVault, encryptVault, isVaultText, parseVaultHeader,
} from '../../src/vault/crypto.js';
import { VAULT_PASSWORD_ENV, setVaultPassphrase, setVaultPasswordFile, vaultPassphrase } from '../../src/vault/passphrase.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

/** Cheap parameters for tests (recorded in the header, so decryption uses them too). */
const FAST = { N: 1024, r: 8, p: 1 };
const PASS = 'correct horse battery staple';

function errorsOf(fn: () => unknown): InputError[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputErrors) return e.errors;
    if (e instanceof InputError) return [e];
    throw e;
  }
  assert.fail('expected input errors');
}

/** Flip one base64 character of the body (line `line`, column `col`). */
function tamper(text: string, line = 1, col = 10): string {
  const lines = text.split('\n');
  const l = lines[line]!;
  const c = l[col] === 'A' ? 'B' : 'A';
  lines[line] = l.slice(0, col) + c + l.slice(col + 1);
  return lines.join('\n');
}

describe('vault format', () => {
  it('round trip; text header + base64 lines; fresh salt and nonce every time', () => {
    const plain = 'db_password: "hunter2"\nüñï: ✓\n';
    const a = encryptVault(plain, PASS, FAST);
    const b = encryptVault(plain, PASS, FAST);
    assert.notEqual(a, b);
    const lines = a.trimEnd().split('\n');
    assert.equal(lines[0], '$FLEETPLAN_VAULT;1;AES256-GCM;scrypt;N=1024,r=8,p=1');
    for (const l of lines.slice(1)) assert.match(l, /^[A-Za-z0-9+/=]{1,64}$/);
    assert.ok(isVaultText(a) && !isVaultText(plain));
    assert.equal(decryptVault(a, PASS).toString('utf8'), plain);
    assert.equal(decryptVault(b, PASS).toString('utf8'), plain);
    // Line endings and indentation changed by an editor or a YAML block do not matter.
    assert.equal(decryptVault(a.replace(/\n/g, '\r\n'), PASS).toString('utf8'), plain);
    const bin = Buffer.from([0, 255, 1, 254]);
    assert.deepEqual(decryptVault(encryptVault(bin, PASS, FAST), PASS), bin);
    assert.equal(decryptVault(encryptVault('', PASS, FAST), PASS).length, 0);
  });

  it('default parameters: scrypt N=2^17, r=8, p=1', () => {
    assert.deepEqual({ ...DEFAULT_SCRYPT }, { N: 131072, r: 8, p: 1 });
    assert.throws(() => encryptVault('x', '', FAST), /passphrase is empty/);
  });

  it('a wrong passphrase fails authentication', () => {
    const v = encryptVault('secret', PASS, FAST);
    assert.throws(() => decryptVault(v, 'Correct horse battery staple'), (e: unknown) => e instanceof VaultError && e.message === WRONG_PASSPHRASE);
  });

  it('any tampering fails: ciphertext, tag, salt, header parameters, truncation', () => {
    const v = encryptVault('a fairly long plaintext so that the body spans more than one line of base64 output', PASS, FAST);
    const lines = v.trimEnd().split('\n');
    assert.ok(lines.length >= 3);
    const wrong = (t: string) => assert.throws(() => decryptVault(t, PASS), /wrong passphrase or file modified/);
    wrong(tamper(v, 1, 2)); // salt
    wrong(tamper(v, 1, 30)); // nonce / ciphertext
    wrong(tamper(v, lines.length - 1, 0)); // tag
    wrong(v.replace('p=1', 'p=2')); // header is authenticated
    wrong(lines.slice(0, -1).join('\n')); // a line lost in a merge
    wrong(`${lines[0]}\nAAAA\n`);
    wrong(`${lines[0]}\nnot base64!\n`);
  });

  it('the header version, cipher and KDF are checked before anything else', () => {
    const v = encryptVault('x', PASS, FAST);
    assert.throws(() => decryptVault(v.replace(';1;', ';2;'), PASS), /unsupported vault format version '2' \(this fleetplan reads version 1/);
    assert.throws(() => decryptVault(v.replace('AES256-GCM', 'AES128-CBC'), PASS), /unsupported vault header/);
    assert.throws(() => decryptVault(v.replace(';scrypt;', ';pbkdf2;'), PASS), /unsupported vault header/);
    assert.throws(() => decryptVault(v.replace('$FLEETPLAN_VAULT', '$ANSIBLE_VAULT'), PASS), /not a fleetplan vault/);
    assert.throws(() => decryptVault(v.replace('N=1024', 'N=1000'), PASS), /unsupported scrypt parameters/);
    assert.throws(() => decryptVault(v.replace('N=1024', `N=${2 ** 30}`), PASS), /unsupported scrypt parameters/);
    assert.throws(() => decryptVault(v.replace('N=1024,', 'N=1024;'), PASS), /unsupported vault header|malformed/);
  });

  it('scrypt parameters are recorded in the header and honoured on decrypt', () => {
    const params = { N: 2048, r: 4, p: 2 };
    const v = encryptVault('payload', PASS, params);
    assert.deepEqual(parseVaultHeader(v).scrypt, params);
    assert.equal(decryptVault(v, PASS).toString(), 'payload');
    // Independently: the key is scrypt with exactly these parameters, the header line is the AAD.
    const [header, ...rest] = v.trimEnd().split('\n');
    const body = Buffer.from(rest.join(''), 'base64');
    const key = scryptSync(PASS, body.subarray(0, 16), 32, { ...params, maxmem: 64 * 1024 * 1024 });
    const d = createDecipheriv('aes-256-gcm', key, body.subarray(16, 28));
    d.setAAD(Buffer.from(header!));
    d.setAuthTag(body.subarray(body.length - 16));
    assert.equal(Buffer.concat([d.update(body.subarray(28, body.length - 16)), d.final()]).toString(), 'payload');
  });
});

describe('vault passphrase sources', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-vault-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    setVaultPassphrase(undefined);
    delete process.env[VAULT_PASSWORD_ENV];
  });

  it('--vault-password-file first (one trailing newline ignored), then the environment', () => {
    const f = path.join(dir, 'pass');
    writeFileSync(f, 'from file\n');
    process.env[VAULT_PASSWORD_ENV] = 'from env';
    setVaultPasswordFile(f);
    assert.equal(vaultPassphrase('x', testSecrets), 'from file');
    setVaultPasswordFile(undefined);
    assert.equal(vaultPassphrase('x', testSecrets), 'from env');
    setVaultPasswordFile(path.join(dir, 'missing'));
    assert.throws(() => vaultPassphrase('x', testSecrets), /cannot read the vault password file .*missing: ENOENT/);
    // The passphrase itself is a secret: redacted wherever it might show.
    assert.equal(testSecrets.redact('pw is from file'), 'pw is [redacted]');
  });

  it('no source and no terminal: an error naming the options', () => {
    withoutTty(() => assert.throws(() => vaultPassphrase('x', testSecrets), /no vault passphrase was given: give it with --vault-password-file <file> or the FLEETPLAN_VAULT_PASSWORD environment variable/));
  });
});

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

describe('vault in variables', () => {
  let dir: string;
  const at = (...p: string[]) => path.join(dir, ...p);
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-vault-'));
    mkdirSync(at('group_vars'));
    mkdirSync(at('host_vars'));
    writeFileSync(at('inventory.yml'), 'all:\n  hosts:\n    h1: {connection: local}\n');
    writeFileSync(at('group_vars', 'all.yml'), encryptVault('group_secret: "g-Secret-1"\nnested: {list: ["n-Secret-2"], port: 25}\n', PASS, FAST));
    const inline = encryptVault('i-Secret-3', PASS, FAST).trimEnd().split('\n').map((l) => `  ${l}`).join('\n');
    writeFileSync(at('host_vars', 'h1.yml'), `plain: visible\ninline: !vault |\n${inline}\n`);
    writeFileSync(at('vars.yml'), encryptVault('file_secret: f-Secret-4\nenabled: true\n', PASS, FAST));
    writeFileSync(at('extra.yml'), encryptVault('extra_secret: e-Secret-5\n', PASS, FAST));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => setVaultPassphrase(undefined));

  it('encrypted group_vars/host_vars, inline !vault, vars files and -e @file load as Secrets', () => {
    setVaultPassphrase(PASS);
    const inv = loadInventory(at('inventory.yml'), testSecrets);
    // group_vars/ files are a layer of their own (Inventory.varsDirs), apart from the inventory's inline vars.
    const g = inv.varsDirs[0]!.groups.get('all')!;
    const h = inv.hosts.get('h1')!.vars;
    const f = readVarsFile(at('vars.yml'), 'vars file', testSecrets);
    const e = parseExtraVars([`@${at('extra.yml')}`], testSecrets);
    const nested = g.nested as { list: unknown[]; port: unknown };
    const secrets = [g.group_secret, nested.list[0], h.inline, f.file_secret, e.extra_secret];
    for (const s of secrets) assert.ok(s instanceof Secret, `${String(s)} is a Secret`);
    assert.deepEqual(secrets.map(String), ['g-Secret-1', 'n-Secret-2', 'i-Secret-3', 'f-Secret-4', 'e-Secret-5']);
    // Keys, numbers, booleans and plaintext files are untouched.
    assert.equal(nested.port, 25);
    assert.equal(f.enabled, true);
    assert.equal(h.plain, 'visible');
    // Redacted in serialisation and in any text.
    assert.equal(JSON.stringify({ g, h, f, e }).match(/Secret-\d/g), null);
    assert.equal(testSecrets.redact(`x ${secrets.join(' ')} y visible`), 'x [redacted] [redacted] [redacted] [redacted] [redacted] y visible');
  });

  it('no passphrase: an input error naming each encrypted file (and the !vault position)', () => {
    withoutTty(() => {
      const errs = errorsOf(() => loadInventory(at('inventory.yml'), testSecrets));
      const text = errs.map((x) => x.describe()).join('\n');
      assert.match(text, /group_vars\/all\.yml: encrypted \(fleetplan vault\) and no vault passphrase was given: give it with --vault-password-file/);
      assert.match(text, /host_vars\/h1\.yml:2:9: !vault: encrypted \(fleetplan vault\) and no vault passphrase was given/);
      const [vf] = errorsOf(() => readVarsFile(at('vars.yml'), 'vars file', testSecrets));
      assert.match(vf!.describe(), /vars\.yml: encrypted .*FLEETPLAN_VAULT_PASSWORD/);
      assert.match(errorsOf(() => parseExtraVars([`@${at('extra.yml')}`], testSecrets))[0]!.describe(), /extra\.yml: encrypted/);
    });
  });

  it('a wrong passphrase: an input error naming the file', () => {
    setVaultPassphrase('not it');
    const [err] = errorsOf(() => readVarsFile(at('vars.yml'), 'vars file', testSecrets));
    assert.match(err!.describe(), /vars\.yml: wrong passphrase or file modified/);
  });
});
