// get_url's download on the controller (src/ops/get-url-download.ts), from a test server on
// 127.0.63.1: a body up to 1 MiB is planned as bytes (an exact diff); a larger one is written to a
// private directory (0700) and planned as a streamed write (its hashes in the diff, its file named by
// its SHA-256); a wrong checksum fails; the size bound holds whether the server declares the size or
// not, leaving no partial file; the directory is gone when the process exits.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { operations } from '../../src/ops/registry.js';
import { download } from '../../src/ops/get-url-download.js';
import type { PlanResult } from '../../src/ops/operation.js';
import { StateView } from '../../src/state/query.js';
import { SecretRegistry } from '../../src/core/secret.js';
import { startDownloadServer, type DownloadServer } from '../fleet/download-server.js';
import { debianOpContext } from './op-context.js';

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const served = mkdtempSync(path.join(tmpdir(), 'fleetplan-get-url-unit-'));
const big = randomBytes(3 * MiB + 11);
const small = Buffer.from('small download\n');
let server: DownloadServer;

before(async () => {
  writeFileSync(path.join(served, 'big.bin'), big);
  writeFileSync(path.join(served, 'small.txt'), small);
  server = await startDownloadServer(served, '127.0.63.1');
});
after(() => {
  server?.stop();
  rmSync(served, { recursive: true, force: true });
});

function plan(args: Record<string, unknown>, answer: unknown = { exists: false }): PlanResult {
  const ctx = debianOpContext();
  const op = operations.get('get_url')!;
  const r = op.resolve(op.schema.parse(args), ctx);
  const view = new StateView();
  for (const q of op.queries(r, ctx)) view.set(q.key, answer);
  return op.plan(r, view, ctx);
}

test('up to 1 MiB: the bytes, planned with an exact diff', () => {
  const c = plan({ url: `${server.base}/small.txt`, dest: '/opt/s' }).changes[0];
  assert.ok(c?.kind === 'write');
  assert.equal(c.write.source, undefined);
  assert.equal(c.write.content.toString(), small.toString());
  assert.equal(c.diff?.after, small.toString());
});

test('over 1 MiB: a streamed write from a 0700 directory, never the bytes; its hashes in the diff', () => {
  const c = plan({ url: `${server.base}/big.bin`, dest: '/opt/b', checksum: `sha256:${sha(big)}`, mode: '0750' }).changes[0];
  assert.ok(c?.kind === 'write' && c.write.source);
  assert.equal(c.write.content.length, 0);
  const src = c.write.source;
  assert.deepEqual([src.size, src.sha256, path.basename(src.file)], [big.length, sha(big), sha(big)]);
  assert.ok(readFileSync(src.file).equals(big));
  assert.equal((statSync(path.dirname(src.file)).mode & 0o777).toString(8), '700');
  assert.deepEqual([c.diff?.masked, c.diff?.sha256?.before, c.diff?.sha256?.after, c.file?.sha256], ['large file', undefined, sha(big), sha(big)]);
  // The dest already has these bytes (force: downloaded again, compared by hash): no change.
  const same = plan({ url: `${server.base}/nolength/big.bin`, dest: '/opt/b', force: true }, { exists: true, type: 'file', mode: '0644', owner: 'root', group: 'root', size: big.length, sha256: sha(big) });
  assert.deepEqual(same.changes, []);
  // Hosts downloading the same bytes share one file; no partial file is left.
  assert.deepEqual(readdirSync(path.dirname(src.file)), [sha(big)]);
});

test('a large download with another checksum fails before anything is planned, leaving no file', () => {
  assert.throws(() => plan({ url: `${server.base}/big.bin`, dest: '/opt/b', checksum: `sha256:${'1'.repeat(64)}` }), new RegExp(`has SHA-256 ${sha(big)}, not the checksum 1{64}; nothing written`));
});

test('the size bound: a declared size over it stops at once; a counted one too; no partial file stays', () => {
  const secrets = new SecretRegistry();
  assert.throws(() => download(`${server.base}/huge`, 10, secrets), /downloading http:\/\/127\.0\.63\.1:\d+\/huge failed: more than 4096 MiB: get_url downloads at most 4096 MiB/);
  assert.throws(() => download(`${server.base}/nolength/big.bin`, 10, secrets, 2 * MiB), /more than 2 MiB: get_url downloads at most 2 MiB/);
  const dir = path.dirname((download(`${server.base}/big.bin`, 10, secrets) as { file: string }).file);
  assert.ok(readdirSync(dir).every((n) => !n.endsWith('.part')), readdirSync(dir).join(' '));
});

/** A process that downloads the big file, prints where it went, then ends as `end` says. */
function downloadIn(end: string): string {
  const module = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/ops/get-url-download.js');
  const secret = module.replace('ops/get-url-download.js', 'core/secret.js');
  const script = `Promise.all([import(${JSON.stringify(module)}), import(${JSON.stringify(secret)})]).then(([m, s]) => { console.log(m.download(process.argv[1], 10, new s.SecretRegistry()).file); ${end}; });`;
  return spawnSync(process.execPath, ['-e', script, `${server.base}/big.bin`], { encoding: 'utf8' }).stdout.trim();
}

test('the private directory is removed when the process exits; one a killed run left, by the next run that downloads', () => {
  const file = downloadIn('process.exit(0)');
  assert.match(file, /fleetplan-get-url-\d+-/);
  assert.equal(existsSync(path.dirname(file)), false);
  const killed = downloadIn("process.kill(process.pid, 'SIGKILL')");
  assert.equal(existsSync(killed), true, 'SIGKILL runs no exit handler');
  downloadIn('process.exit(0)');
  assert.equal(existsSync(path.dirname(killed)), false);
});
