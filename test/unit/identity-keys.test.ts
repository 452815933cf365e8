// Identity files are read and parsed once per run, and read again when the file changes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import ssh2, { type ParsedKey } from 'ssh2';
import { loginMethods } from '../../src/connectors/identity-keys.js';
import type { HostAddress } from '../../src/connectors/connection.js';
import { keygen } from './connectors-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetplan-identity-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const addr = (identityFiles: string[], extra: Partial<HostAddress> = {}) =>
  ({ name: 'h', host: '127.0.0.1', port: 22, user: 'root', identityFiles, useAgent: false, knownHostsFiles: [], ...extra }) as HostAddress;
const keyOf = (m: ReturnType<typeof loginMethods>, i = 0) => (m.auths[i] as { key: ParsedKey }).key;

describe('identity keys', () => {
  it('parses a key file once while it is unchanged, and hands ssh2 the parsed key', () => {
    const file = keygen(dir, 'id_once');
    const a = loginMethods(addr([file]));
    const b = loginMethods(addr([file]));
    assert.equal(a.auths.length, 1);
    assert.equal(typeof keyOf(a).sign, 'function', 'a parsed key, not the file bytes');
    assert.equal(keyOf(a), keyOf(b), 'the second login reuses the parsed key');
    assert.deepEqual(a.tried, [`key ${file} (ssh-ed25519)`]);
  });

  it('signs as ssh2 would, with a key object made once: ed25519, ECDSA and RSA (SHA-1 and SHA-2)', () => {
    const data = Buffer.from('session id and the userauth request');
    for (const [type, algos] of [['ed25519', [undefined]], ['ecdsa', [undefined]], ['rsa', [undefined, 'sha256', 'sha512']]] as const) {
      const file = keygen(dir, `id_sign_${type}`, type);
      const key = keyOf(loginMethods(addr([file])));
      const own = ssh2.utils.parseKey(readFileSync(file)) as ParsedKey;
      assert.notEqual(key.sign, own.sign, `${type}: signs with its own key object`);
      for (const algo of algos) {
        const sig = key.sign(data, algo);
        assert.ok(Buffer.isBuffer(sig), `${type} ${algo}: ${String(sig)}`);
        assert.ok(own.verify(data, sig, algo), `${type} ${algo ?? 'default'}: ssh2 verifies the signature`);
        if (type === 'ed25519') assert.deepEqual(sig, own.sign(data), 'the very signature ssh2 makes');
      }
    }
  });

  it('reads a replaced key file again: never logs in with the key the file no longer holds', () => {
    const file = keygen(dir, 'id_replaced');
    const before = keyOf(loginMethods(addr([file])));
    const other = keygen(dir, 'id_other', 'ecdsa');
    renameSync(other, file);
    const now = loginMethods(addr([file]));
    assert.notEqual(keyOf(now), before);
    assert.equal(keyOf(now).type, 'ecdsa-sha2-nistp256');
    assert.deepEqual(now.tried, [`key ${file} (ecdsa-sha2-nistp256)`]);
  });

  it('notes a missing, a foreign and a passphrase-protected file, and keeps the agent and the password after the keys', () => {
    const locked = keygen(dir, 'id_locked', 'ed25519', 'open sesame');
    const foreign = join(dir, 'notes.txt');
    writeFileSync(foreign, 'not a key\n');
    const m = loginMethods(addr([join(dir, 'absent'), foreign, locked], { password: 'pw' }));
    assert.equal(m.auths.length, 1);
    assert.equal(m.auths[0]!.type, 'password');
    assert.match(m.notes[0]!, /absent: not found$/);
    assert.match(m.notes[1]!, /notes\.txt is not a usable private key/);
    assert.match(m.notes[2]!, /id_locked is passphrase-protected and no passphrase was given/);
    const unlocked = loginMethods(addr([locked], { identityPassphrase: 'open sesame' }));
    assert.equal(keyOf(unlocked).type, 'ssh-ed25519', 'the same file with its passphrase is a key of its own');
  });
});
