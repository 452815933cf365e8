// A streamed write (copy of a large file, src/engine/streamed-write.ts) on a real sh through the local
// connector: the bytes arrive on the exec's stdin and land with the mode asked; bytes that are fewer,
// or not the ones planned (the controller file changed after it was hashed), are refused on the host
// before the rename — the old file stays, no temporary directory is left — and a streamed write never
// rides in a change script (whose stdin is /dev/null: it would be refused the same way). The source's
// chunked hash, and how --diff shows binary and large files (their hashes).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Change } from '../../src/ops/operation.js';
import { isStreamed, streamWrites } from '../../src/engine/streamed-write.js';
import { changeScript } from '../../src/engine/executor.js';
import { localHost } from './local-host.js';
import { SecretRegistry } from '../../src/core/secret.js';
import { streamedSource } from '../../src/ops/streamed-source.js';
import { diffOf } from '../../src/ops/file-content.js';
import { diffLines } from '../../src/report/diff.js';

let host: Awaited<ReturnType<typeof localHost>>;
before(async () => (host = await localHost()));
after(() => host.cleanup());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function streamed(dest: string, file: string, planned: Buffer): Change {
  return {
    kind: 'write',
    description: `create ${dest}`,
    write: { path: dest, content: Buffer.alloc(0), source: { file, size: planned.length, sha256: sha(planned), privateKey: false }, mode: '0640' },
  };
}

const leftovers = () => readdirSync(host.dir).filter((n) => n.startsWith('.fleetplan'));

test('the bytes on stdin land at the destination with the mode asked', async () => {
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  const src = path.join(host.dir, 'src-ok');
  writeFileSync(src, bytes);
  const dest = path.join(host.dir, 'dest-ok');
  const c = streamed(dest, src, bytes);
  assert.ok(isStreamed(c));
  const r = await streamWrites(host.conn, [c], undefined, new SecretRegistry());
  assert.equal(r.exitCode, 0, r.stderr);
  assert.ok(readFileSync(dest).equals(bytes));
  assert.equal((statSync(dest).mode & 0o7777).toString(8), '640');
  assert.deepEqual(leftovers(), []);
});

test('fewer bytes than planned: refused before the rename, the old file stays', async () => {
  const planned = randomBytes(2 * 1024 * 1024);
  const src = path.join(host.dir, 'src-short');
  writeFileSync(src, planned.subarray(0, 1024 * 1024));
  const dest = path.join(host.dir, 'dest-short');
  writeFileSync(dest, 'old\n');
  const r = await streamWrites(host.conn, [streamed(dest, src, planned)], undefined, new SecretRegistry());
  assert.notEqual(r.exitCode, 0);
  assert.match(r.stderr, new RegExp(`${dest}: received 1048576 of 2097152 bytes; nothing written`));
  assert.equal(readFileSync(dest, 'utf8'), 'old\n');
  assert.deepEqual(leftovers(), []);
});

test('other bytes than planned (the file changed since it was hashed): refused, the old file stays', async () => {
  const planned = randomBytes(1024 * 1024 + 1);
  const src = path.join(host.dir, 'src-changed');
  writeFileSync(src, randomBytes(planned.length));
  const dest = path.join(host.dir, 'dest-changed');
  writeFileSync(dest, 'old\n');
  const r = await streamWrites(host.conn, [streamed(dest, src, planned)], undefined, new SecretRegistry());
  assert.notEqual(r.exitCode, 0);
  assert.match(r.stderr, /the bytes received are not those planned/);
  assert.equal(readFileSync(dest, 'utf8'), 'old\n');
  assert.deepEqual(leftovers(), []);
});

test('a streamed write put in a change script by mistake reads /dev/null and is refused', async () => {
  const bytes = randomBytes(1024 * 1024 + 5);
  const src = path.join(host.dir, 'src-script');
  writeFileSync(src, bytes);
  const dest = path.join(host.dir, 'dest-script');
  const r = await host.conn.script(changeScript([streamed(dest, src, bytes)]));
  assert.notEqual(r.exitCode, 0);
  assert.match(r.stderr, /received 0 of 1048581 bytes; nothing written/);
  assert.throws(() => statSync(dest));
  assert.deepEqual(leftovers(), []);
});

test('a validate command holding a secret is never put in the exec request: refused, nothing written', async () => {
  const bytes = randomBytes(1024 * 1024 + 9);
  const src = path.join(host.dir, 'src-secret');
  writeFileSync(src, bytes);
  const dest = path.join(host.dir, 'dest-secret');
  const c = streamed(dest, src, bytes);
  if (c.kind === 'write') c.write.validate = 'test "s3cr3t-value" != x';
  const secrets = new SecretRegistry();
  secrets.register('s3cr3t-value');
  const r = await streamWrites(host.conn, [c], undefined, secrets);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /validate command holds a secret: nothing written/);
  assert.throws(() => statSync(dest));
});

test('a large source is hashed in chunks: its SHA-256 and size; a private key block found even across a chunk boundary', () => {
  const plain = randomBytes(2 * 1024 * 1024 + 3);
  const file = path.join(host.dir, 'hash-plain');
  writeFileSync(file, plain);
  assert.deepEqual(streamedSource(file), { file, size: plain.length, sha256: sha(plain), privateKey: false });
  // "-----BEGIN " starts 6 bytes before the first 1 MiB chunk ends.
  const keyed = Buffer.concat([Buffer.alloc(1024 * 1024 - 6), Buffer.from('-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n'), randomBytes(1024)]);
  const keyFile = path.join(host.dir, 'hash-key');
  writeFileSync(keyFile, keyed);
  assert.equal(streamedSource(keyFile).privateKey, true);
  assert.equal(streamedSource(keyFile).sha256, sha(keyed));
});

test('--diff of a binary or large file: its hashes on the host and planned; none for a secret', () => {
  const line = (d: Parameters<typeof diffLines>[0]) => diffLines(d).map((l) => l.text);
  const base = { path: '/opt/x', before: null, after: null };
  assert.deepEqual(line({ ...base, masked: 'large file', sha256: { before: 'a1', after: 'b2' } }), ['/opt/x: content changed (large file, sha256 a1 → b2)']);
  assert.deepEqual(line({ ...base, masked: 'large file', sha256: { after: 'b2' } }), ['/opt/x: content changed (large file, sha256 b2)']);
  assert.deepEqual(line({ ...base, masked: 'secret', sha256: { after: 'b2' } }), ['/opt/x: content changed (secret: not shown)']);
  const ctx = { noLog: false, secrets: new SecretRegistry() } as unknown as Parameters<typeof diffOf>[4];
  const bin = Buffer.from([0, 1, 2, 255]);
  const d = diffOf('/opt/b', { exists: true, type: 'file', sha256: 'c3' } as Parameters<typeof diffOf>[1], bin, [], ctx);
  assert.deepEqual(line(d), [`/opt/b: content changed (binary, sha256 c3 → ${sha(bin)})`]);
});
