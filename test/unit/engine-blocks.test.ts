// The task tree walked by the engine over the local connector (real files in a temp directory):
// rescue and always, what a rescue sees of the failure, nested blocks, ignore_errors inside a block,
// a failing rescue, a block's when, includes with a loop, pre_tasks/post_tasks and handler flushes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { RunEvent, TaskResult } from '../../src/engine/events.js';
import { runPlan } from '../../src/engine/run.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlan } from '../../src/load/plan.js';
import { SecretRegistry } from '../../src/core/secret.js';

const secrets = new SecretRegistry();

const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-engine-blocks-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const inventoryFile = path.join(dir, 'inventory.yml');
const lockDir = path.join(dir, 'run-lock');
writeFileSync(inventoryFile, 'all:\n  hosts:\n    me: { connection: local }\n');

async function run(planText: string, check = false) {
  const file = path.join(dir, `plan-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, planText.replaceAll('DIR', dir));
  const events: RunEvent[] = [];
  const summary = await runPlan(
    loadPlan(file, { rolesPath: [], secrets }),
    loadInventory(inventoryFile, secrets),
    { check, forks: 1, tags: [], skipTags: [], secrets, extraVars: {}, lockDir },
    (e) => events.push(e),
  );
  const results = events.flatMap((e) => (e.type === 'task-result' ? [e.result] : []));
  const by = (name: string) => results.find((r) => r.task === name) as TaskResult;
  return { failed: summary.hosts.me!.failed, by, statuses: results.map((r) => `${r.handler ? 'H ' : ''}${r.task}=${r.status}`) };
}

const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');

const RESCUE = `
hosts: all
tasks:
  - name: the block
    block:
      - name: first
        file: { path: DIR/r-first, content: "1\\n" }
      - name: fails
        command: "echo boom >&2; exit 4"
      - name: never reached
        file: { path: DIR/r-never, content: "x\\n" }
    rescue:
      - name: rescue
        file: { path: DIR/r-rescue, content: "{{ansible_failed_task.name}} {{ansible_failed_result.rc}} {{ansible_failed_result.msg}}\\n" }
    always:
      - name: always
        file: { path: DIR/r-always, content: "a\\n" }
  - name: after the block
    file: { path: DIR/r-after, content: "after\\n" }
`;

test('rescue: a failure skips the rest of the block, runs the rescue with what failed, always runs, the host is not failed', async () => {
  const check = await run(RESCUE, true);
  assert.equal(check.by('rescue').status, 'skipped');
  assert.equal(check.by('rescue').reason, 'runs only if a task in the block fails');
  assert.equal(check.by('always').status, 'changed');
  const r = await run(RESCUE);
  assert.deepEqual(r.statuses, ['first=changed', 'fails=failed', 'rescue=changed', 'always=changed', 'after the block=changed']);
  assert.equal(r.by('fails').rescued, true);
  assert.equal(r.failed, 0);
  assert.equal(read('r-rescue'), 'fails 4 exited 4: boom\n');
  assert.throws(() => read('r-never'));
});

test('nested blocks: the inner rescue catches; a failing rescue fails the host, always still runs; ignore_errors does not rescue', async () => {
  const r = await run(`
hosts: all
tasks:
  - name: outer
    block:
      - name: inner
        block:
          - name: inner fails
            command: "exit 1"
        rescue:
          - name: inner rescue
            file: { path: DIR/n-inner, content: "i\\n" }
      - name: ignored
        command: "exit 2"
        ignore_errors: true
      - name: rescue-less failure
        command: "exit 3"
    rescue:
      - name: outer rescue fails too
        command: "exit 5"
    always:
      - name: outer always
        file: { path: DIR/n-always, content: "a\\n" }
  - name: not reached
    file: { path: DIR/n-not, content: "x\\n" }
`);
  assert.deepEqual(r.statuses, ['inner fails=failed', 'inner rescue=changed', 'ignored=failed', 'rescue-less failure=failed', 'outer rescue fails too=failed', 'outer always=changed']);
  assert.equal(r.by('ignored').rescued, undefined);
  assert.equal(r.by('rescue-less failure').rescued, true);
  assert.equal(r.by('outer rescue fails too').rescued, undefined);
  assert.equal(r.failed, 1);
});

test('a block\'s when skips each task in it; include_tasks runs its file per item; pre/post tasks and flushes in order', async () => {
  writeFileSync(path.join(dir, 'inc.yml'), '- name: included\n  command: "echo {{item}}-{{suffix}} >> DIR/o-log"\n'.replaceAll('DIR', dir));
  const r = await run(`
hosts: all
vars: { on: false }
pre_tasks:
  - name: pre
    command: "echo pre >> DIR/o-log"
    notify: h
tasks:
  - when: { on: true }
    block:
      - name: off 1
        command: "echo off >> DIR/o-log"
      - name: off 2
        command: "echo off >> DIR/o-log"
  - include_tasks: inc.yml
    loop: [a, b]
    vars: { suffix: "x{{item}}" }
  - name: notifies
    command: "echo task >> DIR/o-log"
    notify: h
  - meta: flush_handlers
  - name: after flush
    command: "echo after >> DIR/o-log"
post_tasks:
  - name: post
    command: "echo post >> DIR/o-log"
    notify: h
handlers:
  - name: h
    command: "echo handler >> DIR/o-log"
`);
  assert.equal(r.failed, 0);
  assert.equal(r.by('off 1').status, 'skipped');
  assert.equal(r.by('off 2').reason, 'when: condition is false');
  assert.equal(read('o-log'), 'pre\nhandler\na-xa\nb-xb\ntask\nhandler\nafter\npost\nhandler\n');
});
