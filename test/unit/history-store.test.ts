// The run history's store without hosts: what a record keeps of a change (never a written file's
// bytes), the way back to what the HTML report reads, ids, pruning by count and age, finding a run.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { TaskResult } from '../../src/engine/events.js';
import { findRun, newRunId, prune, runIds, storeHosts, toRunRecord, HISTORY_FORMAT, type HistoryRecord } from '../../src/report/history-store.js';
import type { RunRecord } from '../../src/report/run-record.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'fleetplan-history-store-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const task = (over: Partial<TaskResult>): TaskResult => ({ host: 'h1', play: 'p', task: 't', op: 'file', handler: false, status: 'changed', check: true, changes: [], ms: 1, ...over });

test("a record keeps diffs, commands and hashes of a change, never a written file's content", () => {
  const record: RunRecord = {
    check: true,
    plays: ['p'],
    startedAt: new Date(),
    hosts: new Map([
      [
        'h1',
        {
          name: 'h1',
          unreachable: false,
          notes: [],
          tasks: [
            task({
              changes: [
                { kind: 'write', description: 'write /etc/pw', write: { path: '/etc/pw', content: Buffer.from('CONTENT-BYTES-hunter2') }, diff: { path: '/etc/pw', before: null, after: null, masked: 'secret' } },
                { kind: 'run', description: 'restart', command: 'systemctl restart postfix' },
              ],
            }),
          ],
        },
      ],
    ]),
  };
  const stored = storeHosts(record);
  const text = JSON.stringify(stored);
  assert.ok(!text.includes('CONTENT-BYTES'), text);
  assert.deepEqual(stored[0]!.tasks[0]!.changes, [
    { kind: 'write', description: 'write /etc/pw', path: '/etc/pw', diff: { path: '/etc/pw', before: null, after: null, masked: 'secret' }, file: undefined },
    { kind: 'run', description: 'restart', command: 'systemctl restart postfix', diff: undefined, file: undefined },
  ]);
  const back = toRunRecord({ format: HISTORY_FORMAT, check: true, plays: ['p'], startedAt: '2026-12-05T01:02:03.000Z', hosts: JSON.parse(text) } as HistoryRecord);
  const change = back.hosts.get('h1')!.tasks[0]!.changes[0]!;
  assert.equal(change.kind, 'write');
  assert.equal(change.kind === 'write' && change.write.path, '/etc/pw');
  assert.equal(back.startedAt!.toISOString(), '2026-12-05T01:02:03.000Z');
});

test('ids sort in time; pruning by count keeps the newest and the current run; by age uses the file time; by total size', () => {
  assert.equal(newRunId(new Date('2026-12-05T01:02:03.456Z'), 'abc123'), '20261205T010203.456Z-abc123');
  // two runs in one second sort in the order they started
  assert.ok(newRunId(new Date('2026-12-05T01:02:03.009Z'), 'ffffff') < newRunId(new Date('2026-12-05T01:02:03.010Z'), '000000'));
  const dir = path.join(tmp, 'prune');
  mkdirSync(path.join(dir, 'runs'), { recursive: true });
  const ids = [1, 2, 3, 4, 5].map((d) => newRunId(new Date(Date.UTC(2026, 11, d)), 'aaaaaa'));
  for (const id of ids) writeFileSync(path.join(dir, 'runs', `${id}.json`), '{}');
  writeFileSync(path.join(dir, 'runs', 'notes.txt'), 'not a run');
  assert.deepEqual(runIds(dir), ids);
  assert.deepEqual(prune({ dir, keep: 2, maxAgeDays: 10_000 }, ids[4]), ids.slice(0, 3));
  assert.deepEqual(runIds(dir), ids.slice(3));
  const old = new Date(Date.now() - 10 * 86_400_000);
  utimesSync(path.join(dir, 'runs', `${ids[3]}.json`), old, old);
  assert.deepEqual(prune({ dir, keep: 100, maxAgeDays: 5 }), [ids[3]]);
  assert.deepEqual(readdirSync(path.join(dir, 'runs')).sort(), [`${ids[4]}.json`, 'notes.txt']);
  // By size: three runs of 0.4 MiB under a 1 MiB budget → the oldest goes.
  const big = [6, 7, 8].map((d) => newRunId(new Date(Date.UTC(2026, 11, d)), 'bbbbbb'));
  for (const id of big) writeFileSync(path.join(dir, 'runs', `${id}.json`), 'x'.repeat(0.4 * 2 ** 20));
  assert.deepEqual(prune({ dir, keep: 100, maxAgeDays: 100, maxMiB: 1 }, big[2]), [ids[4], big[0]]);
  assert.deepEqual(runIds(dir), big.slice(1));
});

test('a run by last, by a unique prefix; none, an ambiguous prefix or an empty history say why', () => {
  const dir = path.join(tmp, 'find');
  assert.match(findRun(dir, 'last').problem!, /^no run recorded in /);
  mkdirSync(path.join(dir, 'runs'), { recursive: true });
  for (const id of ['20261201T000000Z-aaaaaa', '20261202T000000Z-bbbbbb', '20261202T000000Z-cccccc']) writeFileSync(path.join(dir, 'runs', `${id}.json`), '{}');
  assert.equal(findRun(dir, 'last').id, '20261202T000000Z-cccccc');
  assert.equal(findRun(dir, '20261201').id, '20261201T000000Z-aaaaaa');
  assert.match(findRun(dir, '20261202').problem!, /names 2 runs/);
  assert.match(findRun(dir, 'zzz').problem!, /no run 'zzz' in .*; the latest: 20261202T000000Z-cccccc/);
});
