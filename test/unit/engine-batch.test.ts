// A first apply's independent changes in one exec (src/engine/batch-apply.ts), over the local
// connector with real files: fewer scripts, the same results and files as one exec per task, a
// failure in the middle of a batch reported against its own task with the later changes not made,
// ignore_errors going on, and a dry run unchanged.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { RunEvent, TaskResult } from '../../src/engine/events.js';
import { runPlan } from '../../src/engine/run.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlan } from '../../src/load/plan.js';
import { SecretRegistry } from '../../src/core/secret.js';

const secrets = new SecretRegistry();
const root = mkdtempSync(path.join(tmpdir(), 'fleetplan-engine-batch-'));
after(() => rmSync(root, { recursive: true, force: true }));
const inventoryFile = path.join(root, 'inventory.yml');
writeFileSync(inventoryFile, 'all:\n  hosts:\n    me: { connection: local }\n');

/** The plan applied in a fresh directory of its own; `batchChanges: false` is one exec per changed task, as before batching. */
async function run(planText: string, opts: { check?: boolean; batch?: boolean } = {}) {
  const dir = mkdtempSync(path.join(root, 'run-'));
  const file = path.join(dir, 'plan.yml');
  writeFileSync(file, planText.replaceAll('DIR', dir));
  const events: RunEvent[] = [];
  const summary = await runPlan(
    loadPlan(file, { rolesPath: [], secrets }),
    loadInventory(inventoryFile, secrets),
    { check: opts.check ?? false, forks: 1, tags: [], skipTags: [], secrets, extraVars: {}, lockDir: path.join(dir, 'lock'), batchChanges: opts.batch },
    (e) => events.push(e),
  );
  const results = events.flatMap((e) => (e.type === 'task-result' ? [e.result] : []));
  const scripts = events.filter((e) => e.type === 'command').length;
  // What a report shows of each result, with the run's own directory and timing taken out.
  const shown = results.map((r: TaskResult) => JSON.stringify({ ...r, ms: 0 }).replaceAll(dir, 'DIR'));
  return { dir, failed: summary.hosts.me!.failed, results, shown, scripts, statuses: results.map((r) => `${r.task}=${r.status}`) };
}

const files = (n: number) =>
  Array.from({ length: n }, (_, i) => `  - name: file ${i}\n    file: { path: DIR/conf/f${i}, content: "line ${i}\\n", mode: "0640" }\n`).join('');

const MANY = (n: number) => `
hosts: all
tasks:
  - name: conf dir
    directory: { path: DIR/conf, mode: "0750" }
${files(n)}  - name: a line in file 0
    line: { path: DIR/conf/f0, line: "added" }
`;

test('a first apply of independent file tasks: one script for all their changes, the same results and files as one exec each', async () => {
  const one = await run(MANY(1));
  const many = await run(MANY(8));
  const sequential = await run(MANY(8), { batch: false });
  // The directory and 8 files below it: 9 changes, one script — as many scripts as with one file; the
  // line into a file the batch writes reads that file again: a script of its own.
  assert.equal(many.scripts, one.scripts, 'batched: the number of scripts does not grow with the tasks');
  assert.equal(sequential.scripts - many.scripts, 8, 'one exec per changed task without batching');
  assert.deepEqual(many.shown, sequential.shown);
  assert.deepEqual(many.statuses, ['conf dir=changed', ...Array.from({ length: 8 }, (_, i) => `file ${i}=changed`), 'a line in file 0=changed']);
  for (const r of [many, sequential]) {
    assert.equal(readFileSync(path.join(r.dir, 'conf/f0'), 'utf8'), 'line 0\nadded\n');
    assert.equal(readFileSync(path.join(r.dir, 'conf/f7'), 'utf8'), 'line 7\n');
    assert.equal(statSync(path.join(r.dir, 'conf/f7')).mode & 0o777, 0o640);
    assert.equal(statSync(path.join(r.dir, 'conf')).mode & 0o777, 0o750);
  }
  // Applied again: nothing to do, and no more scripts than before batching.
  const again = await run(MANY(8));
  assert.ok(again.scripts < many.scripts + 1);
});

const FAILING = (ignore: boolean) => `
hosts: all
tasks:
  - name: first
    file: { path: DIR/a, content: "a\\n" }
  - name: second
    file: { path: DIR/b, content: "b\\n" }
  - name: refused by its validate
    file: { path: DIR/c, content: "c\\n", validate: "sh -c 'echo c is refused >&2; exit 3' %s" }
    ignore_errors: ${ignore}
  - name: after the failure
    file: { path: DIR/d, content: "d\\n" }
  - name: last
    file: { path: DIR/e, content: "e\\n" }
`;

test('a failure in the middle of a batch: reported against its own task with its own stderr; the later changes are not made', async () => {
  const batched = await run(FAILING(false));
  const sequential = await run(FAILING(false), { batch: false });
  assert.deepEqual(batched.statuses, ['first=changed', 'second=changed', 'refused by its validate=failed']);
  assert.deepEqual(batched.shown, sequential.shown);
  const failed = batched.results[2]!;
  assert.match(failed.error!, /c is refused/);
  assert.doesNotMatch(failed.error!, /DIR|first|second/);
  assert.equal(batched.failed, 1);
  assert.ok(existsSync(path.join(batched.dir, 'b')));
  assert.ok(!existsSync(path.join(batched.dir, 'c')), 'the refused file is not written');
  assert.ok(!existsSync(path.join(batched.dir, 'd')), 'a change after the failed one is not made');
  assert.ok(!existsSync(path.join(batched.dir, 'e')));
});

test('ignore_errors: the tasks after a failed change in a batch still run, planned against the state it left', async () => {
  const batched = await run(FAILING(true));
  const sequential = await run(FAILING(true), { batch: false });
  assert.deepEqual(batched.statuses, ['first=changed', 'second=changed', 'refused by its validate=failed', 'after the failure=changed', 'last=changed']);
  assert.equal(batched.results[2]!.ignored, true);
  assert.deepEqual(batched.shown, sequential.shown);
  assert.equal(batched.failed, 0);
  assert.equal(readFileSync(path.join(batched.dir, 'e'), 'utf8'), 'e\n');
  // The failed task's batch (3 changes), then the two after it in one more.
  assert.equal(sequential.scripts - batched.scripts, 3);
});

test('a dry run is not batched: its results are the same with and without batching', async () => {
  const a = await run(MANY(4), { check: true });
  const b = await run(MANY(4), { check: true, batch: false });
  assert.deepEqual(a.shown, b.shown);
  assert.equal(a.scripts, b.scripts);
  assert.ok(a.results.every((r) => r.check && r.status === 'changed'));
});

test('what breaks a batch: a register, a task reading it, a handler flush between', async () => {
  const plan = `
hosts: all
tasks:
  - name: one
    file: { path: DIR/one, content: "1\\n" }
  - name: two, registered
    file: { path: DIR/two, content: "2\\n" }
    register: two
  - name: three, reads two
    file: { path: DIR/three, content: "{{ two.changed }}\\n" }
  - name: four
    file: { path: DIR/four, content: "4\\n" }
    notify: h
  - name: four b
    file: { path: DIR/four-b, content: "4\\n" }
    notify: h
  - meta: flush_handlers
  - name: five
    file: { path: DIR/five, content: "5\\n" }
  - name: six
    file: { path: DIR/six, content: "6\\n" }
handlers:
  - name: h
    file: { path: DIR/h, content: "{{ two.changed }}\\n" }
`;
  const batched = await run(plan);
  const sequential = await run(plan, { batch: false });
  assert.deepEqual(batched.shown, sequential.shown);
  assert.equal(readFileSync(path.join(batched.dir, 'three'), 'utf8'), 'true\n');
  assert.equal(readFileSync(path.join(batched.dir, 'h'), 'utf8'), 'true\n');
  assert.deepEqual(batched.statuses.slice(-4), ['four b=changed', 'h=changed', 'five=changed', 'six=changed']);
  // one and two cannot share an exec (two registers), nor can three (it reads two's result); four and
  // four b do, then the handler runs alone at the flush, then five and six share one.
  assert.equal(sequential.scripts - batched.scripts, 2);
});
