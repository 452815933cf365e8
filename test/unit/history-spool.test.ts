// The run history sets each finished host's tasks aside on disk (src/report/history-spool.ts) and
// writes the record host by host: the same bytes as the whole record stringified, the host's tasks
// gone from memory once it is done, the spool removed at save, a killed run's spool pruned later.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { SecretRegistry } from '../../src/core/secret.js';
import type { RunEvent } from '../../src/engine/events.js';
import { HistoryRecorder } from '../../src/report/history-recorder.js';
import { prune, storeHosts } from '../../src/report/history-store.js';
import { RunRecorder } from '../../src/report/run-record.js';
import { hostName, relayRun } from './relay-run.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'fleetplan-history-spool-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function recorder(name: string) {
  const dir = path.join(tmp, name);
  writeFileSync(path.join(tmp, 'plan.yml'), '- hosts: all\n');
  const options = { dir, keep: 10, maxAgeDays: 30 };
  const r = new HistoryRecorder({ planFile: path.join(tmp, 'plan.yml'), inventoryFile: path.join(tmp, 'plan.yml'), argv: ['apply'], version: '9.9.9', secrets: new SecretRegistry(), options });
  const runs = path.join(dir, 'runs');
  const memory = () => (r as unknown as { recorder: RunRecorder }).recorder.record;
  return { r, runs, memory, options };
}

test("the record holds every host's tasks as the whole record stringified would; a finished host's tasks wait on disk", () => {
  const events = relayRun(60, (names) => [...names].reverse());
  const { r, runs, memory } = recorder('same-bytes');
  const expected = new RunRecorder();
  let seen = 0;
  for (const e of events) {
    r.handle(e);
    expected.handle(e);
    if (e.type === 'host-done' && ++seen === 30) {
      // Half the hosts are done: theirs are on disk, not in memory.
      assert.equal(memory().hosts.get(e.host)!.tasks.length, 0);
      assert.equal(expected.record.hosts.get(e.host)!.tasks.length, 3);
      assert.ok(readdirSync(runs).some((f) => f.startsWith('.spool-')), readdirSync(runs).join(' '));
    }
  }
  // A late event for a finished host (none expected from the engine) is kept too, after its tasks.
  const late: RunEvent = { type: 'task-result', result: { host: hostName(5), play: 'relays', task: 'late one', op: 'command', handler: false, status: 'changed', check: true, changes: [], ms: 1 } };
  r.handle(late);
  expected.handle(late);
  assert.deepEqual([...memory().hosts.values()].flatMap((h) => h.tasks.map((t) => t.task)), ['late one'], 'nothing else held in memory');
  const { id, problem } = r.save(0);
  assert.equal(problem, undefined);
  const text = readFileSync(path.join(runs, `${id}.json`), 'utf8');
  const doc = JSON.parse(text) as { hosts: unknown[]; summary: unknown; plays: unknown };
  assert.equal(text, `${JSON.stringify(doc)}\n`, 'one compact JSON document');
  assert.deepEqual(doc.hosts, JSON.parse(JSON.stringify(storeHosts(expected.record))));
  assert.deepEqual(Object.keys(doc), ['format', 'id', 'version', 'startedAt', 'endedAt', 'check', 'argv', 'cwd', 'plan', 'inventory', 'exitCode', 'plays', 'hosts', 'summary']);
  assert.equal((doc.hosts[4] as { tasks: { task: string }[] }).tasks.at(-1)!.task, 'late one');
  assert.deepEqual(readdirSync(runs), [`${id}.json`], 'the spool is gone');
});

test('a run that ends before any host is done saves from memory; no spool is made', () => {
  const events = relayRun(5).filter((e) => e.type !== 'host-done');
  const { r, runs } = recorder('no-host-done');
  for (const e of events) r.handle(e);
  const { id } = r.save(1);
  const doc = JSON.parse(readFileSync(path.join(runs, `${id}.json`), 'utf8')) as { hosts: { tasks: unknown[] }[] };
  assert.equal(doc.hosts.length, 5);
  assert.ok(doc.hosts.every((h, i) => h.tasks.length > 0 || i === 6));
  assert.deepEqual(readdirSync(runs), [`${id}.json`]);
});

test("pruning removes a killed run's spool once older than the records' age limit, never a recent one", () => {
  const { runs, options } = recorder('stale');
  mkdirSync(runs, { recursive: true });
  const old = path.join(runs, '.spool-1-aaaa');
  const recent = path.join(runs, '.spool-2-bbbb');
  writeFileSync(old, '[]');
  writeFileSync(recent, '[]');
  const longAgo = (Date.now() - 31 * 86_400_000) / 1000;
  utimesSync(old, longAgo, longAgo);
  prune(options);
  assert.deepEqual(readdirSync(runs).sort(), ['.spool-2-bbbb']);
});
