// Play and task structure on a real host (debian-sysv): block/rescue/always (a failing command's
// rescue restoring a file, always running, ansible_failed_task in the rescue, nested blocks, a failure a
// dry run sees), import_tasks and include_tasks with a loop and a templated name, import_role and
// include_role with tasks_from, pre_tasks/post_tasks and handler flushes in Ansible's order, play tags
// with --tags, and vars/environment precedence — each in a dry run, a real run and a zero-change re-run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan, repoRoot, tasksWith } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-structure-');
const plan = path.join(repoRoot, 'test/integration/fixtures/structure/plan.yml');
let fleet: Fleet;
let host: string;

before(async () => {
  if (skip) return;
  fleet = await up({ os: ['debian-sysv'], count: 1, out });
  host = fleet.hosts[0]!.name;
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

const apply = (...extra: string[]) => fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--json', '-e', 'extra_wins=extra', ...extra]);
const cat = async (file: string) => (await fleet.exec(host, `cat ${file} 2>/dev/null || echo MISSING`)).stdout;
const tasks = (json: any): any[] => json.hosts[host].tasks;
const find = (json: any, name: string, handler = false) => tasks(json).filter((t) => t.name === name && t.handler === handler);

test('play tags: --tags selects the tagged play\'s tasks only', { skip }, async () => {
  const r = await apply('--tags', 'only-this');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(tasksWith(r.json, host, 'changed'), ['tagged by its play']);
  assert.equal(await cat('/root/tagged.txt'), 'tagged\n');
  assert.equal(await cat('/etc/demo.conf'), 'MISSING\n');
  const again = await apply('--tags', 'only-this');
  assert.deepEqual(tasksWith(again.json, host, 'changed'), []);
});

let checked: any;

test('dry run: structure planned in order, rescue only where the dry run itself fails, nothing changed', { skip }, async () => {
  const r = await apply('--check');
  checked = r.json;
  assert.equal(r.code, 0, r.stderr);
  // The planning failure in a nested block is caught by the outer rescue, which sees the failed task.
  const failed = find(r.json, 'edit a file that is not there')[0];
  assert.equal(failed.status, 'failed');
  assert.equal(failed.rescued, true);
  const note = find(r.json, 'note what failed')[0];
  assert.equal(note.status, 'changed');
  assert.equal(note.diff[0].after, 'rescued: edit a file that is not there (line)\n');
  // The command that fails only when applied cannot be predicted: its rescue is reported as skipped.
  assert.equal(find(r.json, 'break the config')[0].status, 'changed');
  const restore = find(r.json, 'restore the config')[0];
  assert.equal(restore.status, 'skipped');
  assert.equal(restore.reason, 'runs only if a task in the block fails');
  assert.equal(find(r.json, 'always note')[0].status, 'changed');
  // Order: pre_tasks, their handler, the role, the tasks (flush at meta), post_tasks, their handler.
  const order = tasks(r.json).filter((t) => t.status === 'changed' && t.operation === 'command').map((t) => (t.handler ? `handler:${t.name}` : t.name));
  assert.deepEqual(order, [
    'pre task', 'pre done', 'handler:pre handler',
    'keep a copy', 'break the config', 'layered environment',
    'before the flush', 'handler:role handler', 'handler:task handler',
    'after the flush', 'handler:end handler',
    'post task', 'post done', 'handler:post handler',
  ]);
  // Includes expanded per item, role tasks with the role's variables.
  for (const name of ['a file for the user', 'Debian file', 'imported file', 'role extra file']) assert.ok(find(r.json, name).length > 0, name);
  assert.deepEqual(find(r.json, 'a file for the user').map((t) => t.diff[0].path), ['/root/inc-alice.txt', '/root/inc-bob.txt']);
  assert.deepEqual(find(r.json, 'role file').map((t) => t.diff[0].path), ['/root/role-default.txt', '/root/role-inc-one.txt', '/root/role-inc-two.txt']);
  assert.match(find(r.json, 'layered environment')[0].commands[0], /export FP_PLAY=from-play && export FP_BLOCK=from-block && export FP_TOKEN=/);
  // A secret in the environment reaches the host only inside the task's script, and no report.
  assert.ok(!r.stdout.includes('token-s3cr3t-value'), 'the secret is in the dry run report');
  assert.equal(await cat('/etc/demo.conf'), 'MISSING\n');
  assert.equal(await cat('/root/order.log'), 'MISSING\n');
});

test('apply: the rescue restores the file, always runs, order and precedence as Ansible', { skip }, async () => {
  const r = await apply();
  assert.equal(r.code, 0, `${r.stderr}\n${JSON.stringify(r.json?.hosts?.[host]?.tasks?.filter((t: any) => t.status === 'failed'))}`);
  // The dry run promised every change but the one path it said it cannot know: the command failed only
  // when applied (so it changed nothing) and its rescue, reported "runs only if a task in the block fails", ran.
  const key = (t: any) => (t.handler ? `handler:${t.name}` : t.name);
  const changed = (json: any) => new Set(tasks(json).filter((t) => t.status === 'changed').map(key));
  const [promised, made] = [changed(checked), changed(r.json)];
  assert.deepEqual([...promised].filter((k) => !made.has(k)), ['break the config']);
  assert.deepEqual([...made].filter((k) => !promised.has(k)), ['restore the config']);
  const broke = find(r.json, 'break the config')[0];
  assert.equal(broke.status, 'failed');
  assert.equal(broke.rescued, true);
  assert.equal(await cat('/etc/demo.conf'), 'version=1\n');
  assert.equal(await cat('/root/rescued.done'), 'break the config rc=3\n');
  assert.equal(await cat('/root/always.txt'), 'always ran\n');
  assert.equal(await cat('/root/planfail.txt'), 'rescued: edit a file that is not there (line)\n');
  assert.equal(await cat('/root/order.log'), 'pre\npre-handler\ntask\nrole-handler\ntask-handler\nafter-flush\nend-handler\npost\npost-handler\n');
  assert.equal(await cat('/root/vars.txt'), 'task block extra\n');
  assert.equal(await cat('/root/env.txt'), 'from-play from-block from-task token-s3cr3t-value\n');
  assert.ok(!r.stdout.includes('token-s3cr3t-value') && !r.stderr.includes('token-s3cr3t-value'), 'the secret is in the report');
  assert.equal(await cat('/root/imported.txt'), 'imported\n');
  assert.equal(await cat('/root/inc-alice.txt'), 'owner alice\n');
  assert.equal(await cat('/root/inc-bob.txt'), 'owner bob\n');
  assert.equal(await cat('/root/os.txt'), 'Debian\n');
  assert.equal(await cat('/root/role-extra.txt'), 'imported\n');
  for (const w of ['default', 'inc-one', 'inc-two']) assert.equal(await cat(`/root/role-${w}.txt`), `${w}\n`);
});

test('re-run: nothing changes; the block succeeds and its rescue is skipped', { skip }, async () => {
  const check = await apply('--check');
  assert.equal(check.code, 0, check.stderr);
  assert.deepEqual(tasksWith(check.json, host, 'changed'), []);
  assert.deepEqual(tasksWith(check.json, host, 'failed'), ['edit a file that is not there']);
  const r = await apply();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(tasksWith(r.json, host, 'changed'), []);
  assert.equal(find(r.json, 'restore the config')[0].status, 'skipped');
  assert.equal(find(r.json, 'note what failed')[0].status, 'ok');
  assert.equal(await cat('/root/order.log'), 'pre\npre-handler\ntask\nrole-handler\ntask-handler\nafter-flush\nend-handler\npost\npost-handler\n');
});
