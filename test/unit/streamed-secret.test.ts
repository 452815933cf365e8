// A large (streamed) file whose content is a secret gets what a small one gets: a registered secret
// value in it makes it secret (found in the same chunked pass as its hash, even across a chunk
// boundary), and `--json` `files` then shows its keyed hash (hmac_sha256, with the verifier's key in
// FLEETPLAN_CONTENT_HMAC_KEY) — the one contentDigest gives the same bytes — never its plain SHA-256.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, test } from 'node:test';
import { streamedSource } from '../../src/ops/streamed-source.js';
import { StateView } from '../../src/state/query.js';
import { planFileContent } from '../../src/ops/file-content.js';
import { contentDigest, HMAC_KEY_ENV } from '../../src/ops/content-digest.js';
import { SecretRegistry } from '../../src/core/secret.js';
import { debianOpContext } from './op-context.js';

const MiB = 1024 * 1024;
const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-streamed-secret-'));
after(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => delete process.env[HMAC_KEY_ENV]);

const SECRET = 'relay-password-Zq8vN3xK';
/** 2 MiB of noise with the secret starting 7 bytes before the first 1 MiB chunk ends. */
const withSecret = Buffer.concat([randomBytes(MiB - 7), Buffer.from(SECRET), randomBytes(MiB)]);
const plain = randomBytes(2 * MiB + 1);
const fileOf = (name: string, bytes: Buffer) => {
  const f = path.join(dir, name);
  writeFileSync(f, bytes);
  return f;
};
const registry = () => {
  const s = new SecretRegistry();
  s.register(SECRET);
  return s;
};

test('a registered secret value in a large file is found across a chunk boundary; not when unregistered or absent', () => {
  const f = fileOf('secret.bin', withSecret);
  assert.equal(streamedSource(f, registry()).secretValue, true);
  assert.equal(streamedSource(f, new SecretRegistry()).secretValue, undefined);
  assert.equal(streamedSource(fileOf('plain.bin', plain), registry()).secretValue, undefined);
});

test('--json files: a secret large file has the keyed hash a small one with the same bytes would have, never its SHA-256', () => {
  process.env[HMAC_KEY_ENV] = 'verifier-key';
  const secrets = registry();
  const ctx = debianOpContext({ secrets });
  const source = streamedSource(fileOf('secret2.bin', withSecret), secrets);
  assert.equal(source.hmac_sha256, createHmac('sha256', 'verifier-key').update(withSecret).digest('hex'));
  const c = planFileContent({ path: '/etc/big-secret', content: source }, { exists: false }, ctx, new StateView()).changes[0]!;
  assert.deepEqual(c.file && [c.file.hmac_sha256, c.file.sha256], [contentDigest(withSecret, true).hmac_sha256, undefined]);
  assert.equal(c.diff?.masked, 'secret');
  // A plain large file: its SHA-256, no keyed hash, even with the key given.
  const p = planFileContent({ path: '/opt/plain', content: streamedSource(fileOf('plain2.bin', plain), secrets) }, { exists: false }, ctx, new StateView()).changes[0]!;
  assert.deepEqual(p.file && [p.file.hmac_sha256, p.file.sha256], [undefined, contentDigest(plain, false).sha256]);
  // no_log makes a plain file secret: its keyed hash, computed in the same pass.
  const n = planFileContent({ path: '/opt/nolog', content: streamedSource(fileOf('plain2.bin', plain), secrets) }, { exists: false }, debianOpContext({ secrets, noLog: true }), new StateView()).changes[0]!;
  assert.deepEqual(n.file && [n.file.hmac_sha256, n.file.sha256], [contentDigest(plain, true).hmac_sha256, undefined]);
});

test('without the key a secret large file shows neither hash; the key changed, the hash follows', () => {
  const secrets = registry();
  const f = fileOf('secret3.bin', withSecret);
  const c = planFileContent({ path: '/etc/s', content: streamedSource(f, secrets) }, { exists: false }, debianOpContext({ secrets }), new StateView()).changes[0]!;
  assert.deepEqual(c.file && [c.file.hmac_sha256, c.file.sha256], [undefined, undefined]);
  process.env[HMAC_KEY_ENV] = 'another-key';
  assert.equal(streamedSource(f, secrets).hmac_sha256, createHmac('sha256', 'another-key').update(withSecret).digest('hex'));
});

test('a secret value registered after the file was hashed (a template rendered for one host) is still found', () => {
  const f = fileOf('later.bin', withSecret);
  const secrets = new SecretRegistry();
  secrets.register('some-other-secret');
  const first = streamedSource(f, secrets);
  assert.equal(first.secretValue, undefined);
  secrets.register(SECRET);
  const later = streamedSource(f, secrets);
  assert.deepEqual([later.secretValue, later.sha256, later.size], [true, first.sha256, withSecret.length]);
  assert.equal(streamedSource(f, new SecretRegistry()).secretValue, undefined, 'another run (registry) without it');
});
