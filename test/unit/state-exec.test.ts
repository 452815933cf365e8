// The batched state read and the change executor, run by a real sh against real files.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Connection } from '../../src/connectors/connection.js';
import { execScript, parseExec } from '../../src/engine/executor.js';
import { planBatch, readState } from '../../src/state/batch.js';
import { commandStatusQuery, fileQuery } from '../../src/state/file-state.js';
import { StateView } from '../../src/state/query.js';
import { sha256 } from '../../src/ops/file-content.js';
import type { Change } from '../../src/ops/operation.js';
import { localHost } from './local-host.js';

let conn: Connection;
let dir: string;
let cleanup: () => Promise<void>;
before(async () => ({ conn, dir, cleanup } = await localHost()));
after(() => cleanup());

async function exec(changes: Change[], refresh = [] as ReturnType<typeof fileQuery>[]) {
  const plan = execScript(changes, refresh);
  const res = await conn.run('sh -s', { stdin: plan.script });
  return { res, ...parseExec(res.stdout, plan) };
}

test('batch: many queries, one exec, each value framed exactly (binary content too)', async () => {
  const text = path.join(dir, 'a.txt');
  const bin = path.join(dir, 'b.bin');
  writeFileSync(text, 'hello\n');
  const bytes = Buffer.from([0, 1, 2, 0x0a, 0x40, 0x40, 0xff, 0x0a]);
  writeFileSync(bin, bytes);
  chmodSync(text, 0o640);
  const queries = [
    fileQuery(text, { wantSha: 'nope', withContent: true }),
    fileQuery(text, { wantSha: sha256(Buffer.from('hello\n')), withContent: true }),
    fileQuery(bin, { withContent: true }),
    fileQuery(path.join(dir, 'missing')),
    fileQuery(dir),
    commandStatusQuery('exit 3'),
    commandStatusQuery('cat'), // must not swallow the rest of the script from stdin
  ];
  const before = conn.execCount;
  const view = await readState(conn, queries, { become: false });
  assert.equal(conn.execCount - before, 1);
  const get = (i: number): any => view.get(queries[i] as any);
  const a = get(0);
  assert.equal(a.exists, true);
  assert.equal(a.mode, '0640');
  assert.equal(a.sha256, sha256(Buffer.from('hello\n')));
  assert.equal(a.content?.toString(), 'hello\n');
  assert.equal(get(1).content, undefined, 'no content shipped when the hash matches');
  assert.deepEqual(get(2).content, bytes);
  assert.deepEqual(get(3), { exists: false });
  assert.equal(get(4).type, 'directory');
  assert.equal(get(5).exitCode, 3);
  assert.equal(get(6).exitCode, 0);
});

test('exec: atomic write with final mode, large and binary content, refresh in the same exec', async () => {
  const p = path.join(dir, 'conf');
  const big = Buffer.from('x'.repeat(300_000) + "\n'quote' $(touch /tmp/pwned) `id` \\n %s\n");
  const q = fileQuery(p, { wantSha: sha256(big), withContent: true });
  const { change, refresh, res } = await exec(
    [{ kind: 'write', description: 'w', write: { path: p, content: big, mode: '0600' } }],
    [q],
  );
  assert.equal(change.exitCode, 0, res.stderr);
  assert.deepEqual(readFileSync(p), big);
  assert.equal(statSync(p).mode & 0o777, 0o600);
  const view = new StateView();
  planBatch([q]).store(view, refresh);
  assert.equal(view.get(q).sha256, sha256(big));
  assert.equal(existsSync('/tmp/pwned'), false);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.fleetplan')), [], 'no temp file left');

  const bin = Buffer.from([0, 255, 39, 10, 37, 115]);
  await exec([{ kind: 'write', description: 'w', write: { path: p, content: bin, mode: '0644' } }]);
  assert.deepEqual(readFileSync(p), bin);
});

test('exec: a failing validate keeps the old file and leaves no temp file; backup keeps the old one', async () => {
  const p = path.join(dir, 'validated');
  writeFileSync(p, 'old\n');
  const bad = await exec([
    { kind: 'write', description: 'w', write: { path: p, content: Buffer.from('new\n'), validate: 'grep -q good %s' } },
  ]);
  assert.notEqual(bad.change.exitCode, 0);
  assert.match(bad.res.stderr, /validation failed/);
  assert.equal(readFileSync(p, 'utf8'), 'old\n');
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.fleetplan')), []);

  const good = await exec([
    { kind: 'write', description: 'w', write: { path: p, content: Buffer.from('good\n'), validate: 'grep -q good %s', backup: true } },
  ]);
  assert.equal(good.change.exitCode, 0, good.res.stderr);
  assert.equal(readFileSync(p, 'utf8'), 'good\n');
  const backups = readdirSync(dir).filter((f) => f.startsWith('validated.') && f.endsWith('~'));
  assert.equal(backups.length, 1);
  assert.equal(readFileSync(path.join(dir, backups[0]!), 'utf8'), 'old\n');
});

test('exec: commands stop at the first failure and report the failing status', async () => {
  const marker = path.join(dir, 'after-failure');
  const { change } = await exec([
    { kind: 'run', description: 'r', command: 'false' },
    { kind: 'run', description: 'r', command: `touch ${marker}` },
  ]);
  assert.notEqual(change.exitCode, 0);
  assert.equal(existsSync(marker), false);
  // A failure early in an && list is still a failure (set -e would miss it).
  const list = await exec([
    { kind: 'run', description: 'r', command: 'false && true' },
    { kind: 'run', description: 'r', command: `touch ${marker}` },
  ]);
  assert.equal(list.change.exitCode, 1);
  assert.equal(existsSync(marker), false);
});

test('exec: a command with a shell syntax error fails alone; the framing and the refresh survive', async () => {
  const q = fileQuery(path.join(dir, 'after-syntax'));
  const { change, refresh } = await exec([{ kind: 'run', description: 'r', command: 'echo $(unclosed' }], [q]);
  assert.notEqual(change.exitCode, 0);
  assert.equal(refresh.length, 1);
});

test('file query: a path reached through a symbolic link (itself or a parent) is marked linked', async () => {
  const real = path.join(dir, 'real');
  const { mkdirSync, symlinkSync } = await import('node:fs');
  mkdirSync(real, { recursive: true });
  writeFileSync(path.join(real, 'f'), 'x\n');
  symlinkSync(real, path.join(dir, 'alias'));
  symlinkSync(path.join(real, 'f'), path.join(dir, 'flink'));
  const queries = [
    fileQuery(path.join(real, 'f')),
    fileQuery(path.join(dir, 'alias', 'f')),
    fileQuery(path.join(dir, 'flink')),
    fileQuery(path.join(dir, 'alias', 'missing')),
    fileQuery('relative/name'),
  ];
  const view = await readState(conn, queries, { become: false });
  const [plain, viaDir, viaFile, missing, relative] = queries.map((q) => view.get(q));
  assert.equal(plain!.linked, undefined);
  assert.equal(viaDir!.linked, true);
  assert.equal(viaDir!.sha256, plain!.sha256);
  assert.equal(viaFile!.linked, true);
  assert.deepEqual(missing, { exists: false, linked: true });
  assert.deepEqual(relative, { exists: false });
});
