// Which consecutive tasks may have their changes made in one exec (src/engine/batch-window.ts): each
// reason that breaks a batch, and the batch script (src/engine/executor.ts) run by a real sh — a
// failed task's changes stop the ones after it, each task's output and stderr come back as its own.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Connection } from '../../src/connectors/connection.js';
import { nextRun, plannedBreak, staticBreak, WindowView } from '../../src/engine/batch-window.js';
import { batchExecScript, parseBatchExec } from '../../src/engine/executor.js';
import type { PreparedTask } from '../../src/engine/prepare.js';
import type { Play, TaskDef } from '../../src/load/model.js';
import type { Change, Operation, PlanResult } from '../../src/ops/operation.js';
import { fileQuery, fileResource, type FileState } from '../../src/state/file-state.js';
import { StateView, type StateQuery } from '../../src/state/query.js';
import { localHost } from './local-host.js';

const play = { name: 'p' } as Play;
const fileOp = { name: 'file' } as Operation;

function task(def: Partial<TaskDef> = {}, more: Partial<PreparedTask> = {}): PreparedTask {
  return {
    def: { name: 't', op: 'file', notify: [], tags: [], noLog: false, ignoreErrors: false, baseDir: '/', pos: { file: 'p.yml', line: 1, col: 1 }, argPos: {}, ...def } as TaskDef,
    displayName: 't',
    names: ['t'],
    active: true,
    become: false,
    op: fileOp,
    resolved: {},
    queries: [],
    ...more,
  };
}

test('staticBreak: a plain file task joins; each keyword that needs its result, another host, user or the other hosts breaks the batch', () => {
  const first = task();
  assert.equal(staticBreak(task({ notify: ['h'], ignoreErrors: true, noLog: true }), first, play), undefined, 'notify, ignore_errors, no_log: no break');
  const breaks: [string, PreparedTask, RegExp][] = [
    ['late', task({}, { late: true }), /registered or set/],
    ['register', task({ register: 'x' }), /^register/],
    ['until', task({ until: { 'x.rc': 0 } as never }), /^until/],
    ['changed_when', task({ changedWhen: false }), /^changed_when/],
    ['failed_when', task({ failedWhen: false as never }), /^failed_when/],
    ['delegate_to', task({ delegateTo: 'other' }), /^delegate_to/],
    ['run_once', task({ runOnce: true }), /^run_once/],
    ['throttle', task({ throttle: 1 }), /^throttle/],
    ['any_errors_fatal', task({ anyErrorsFatal: true }), /^any_errors_fatal/],
    ['check_mode', task({ checkMode: false }), /^check_mode/],
    ['controller', task({}, { op: { ...fileOp, controllerOnly: true } }), /controller/],
    ['set_fact', task({}, { op: { ...fileOp, setsVars: () => ({}) } }), /controller/],
    ['reboot', task({}, { op: { ...fileOp, awaitHost: async () => ({}) } }), /waits for the host/],
    ['become', task({}, { become: true }), /becomes another user/],
    ['become_user', task({}, { become: true, becomeAs: { user: 'postfix' } }), /becomes another user/],
    ['environment', task({ environment: { LANG: 'C' } }), /environment differs/],
  ];
  for (const [why, p, re] of breaks) assert.match(staticBreak(p, first, play) ?? '(none)', re, why);
  assert.match(staticBreak(task(), first, { ...play, anyErrorsFatal: true }) ?? '', /any_errors_fatal/, "the play's any_errors_fatal");
  const becoming = task({}, { become: true, becomeAs: { user: 'postfix' } });
  assert.equal(staticBreak(task({}, { become: true, becomeAs: { user: 'postfix' } }), becoming, play), undefined, 'the same become as the first: no break');
});

test('nextRun: what a change reads again for the tasks after it: the next active task and those that may share its batch', () => {
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => task({ name: n }, { displayName: n }));
  const skipped = task({ name: 's' }, { active: false });
  const registers = task({ name: 'r', register: 'r' });
  const names = (ts: PreparedTask[]) => ts.map((t) => t.def.name);
  assert.deepEqual(names(nextRun([skipped, a, b, skipped, c], play)), ['a', 'b', 'c']);
  assert.deepEqual(names(nextRun([a, b, registers, c], play)), ['a', 'b'], 'up to a task that cannot join');
  assert.deepEqual(names(nextRun([registers, a, b], play)), ['r'], 'a next task that cannot share: itself only');
  assert.deepEqual(names(nextRun([a, b, c, d], play, 2)), ['a', 'b']);
  assert.deepEqual(nextRun([skipped], play), []);
});

const dir = (p: string, st: Partial<FileState> = {}) => ({ resource: fileResource(p), value: { exists: true, type: 'directory', mode: '0755', owner: 'root', group: 'root', ...st } as FileState });
const file = (p: string) => ({ resource: fileResource(p), value: { exists: true, type: 'file', mode: '0644', owner: 'root', group: 'root' } as FileState });
/** An earlier task of the window that has a change to make, predicting `predicts`. */
const plan = (...predicts: ReturnType<typeof dir>[]): PlanResult => ({ changes: [change], effects: { predicts } });
const change: Change = { kind: 'run', description: 'change', command: 'true' };

/** The play's state as read: every query's file absent, with `extra` over it. */
function readOf(queries: StateQuery[], extra: Partial<FileState> = {}): StateView {
  const v = new StateView();
  for (const q of queries) v.set(q.key, { exists: false, anchor: { logical: '/etc', physical: '/etc' }, ...extra });
  return v;
}

function reads(...paths: string[]): { p: PreparedTask; queries: StateQuery[] } {
  const queries = paths.map((x) => fileQuery(x, { wantSha: 'abc', withContent: true }));
  return { p: task({}, { queries }), queries };
}

test('plannedBreak: unrelated files, and files below a directory the batch leaves root-only, join; what an earlier change alters breaks', () => {
  const { p, queries } = reads('/etc/relay/main.cf');
  const read = readOf(queries);
  assert.equal(plannedBreak(p, [], read), undefined, 'the first task of a batch');
  assert.equal(plannedBreak(p, [plan(file('/etc/other.cf'), file('/etc/relay.cf'))], read), undefined, 'siblings and a name sharing a prefix');
  assert.equal(plannedBreak(p, [plan(dir('/etc/relay', { mode: '0750' }))], read), undefined, 'below a new root directory');
  assert.equal(plannedBreak(p, [plan(dir('/etc'))], read), undefined, 'below a root directory further up');
  assert.match(plannedBreak(p, [plan(file('/etc/relay/main.cf'))], read) ?? '', /main\.cf, which an earlier change/, 'the same file');
  assert.match(plannedBreak(p, [plan(file('/etc/relay/main.cf/x'))], read) ?? '', /earlier change/, 'a path below it');
  assert.match(plannedBreak(p, [plan(file('/etc/relay'))], read) ?? '', /earlier change/, 'a file where its directory is');
  assert.match(plannedBreak(p, [plan(dir('/etc/relay', { owner: 'postfix' }))], read) ?? '', /earlier change/, "a directory left a user's");
  assert.match(plannedBreak(p, [plan(dir('/etc/relay', { mode: '0777' }))], read) ?? '', /earlier change/, 'a directory anyone may write');
  assert.match(plannedBreak(p, [plan(dir('/etc/relay', { mode: '0770', group: 'postfix' }))], read) ?? '', /earlier change/, "a directory a user's group may write");
  assert.equal(plannedBreak(p, [plan(dir('/etc/relay', { mode: '0770', group: 'root' }))], read), undefined, "root's group may write");
  assert.match(plannedBreak(p, [plan({ ...dir('/etc/relay'), value: { exists: false } as FileState })], read) ?? '', /earlier change/, 'a directory removed');
  // The way to it as read: a user may write the directory that changes (the change may make it root's).
  const userDir = readOf(queries, { userWritable: { path: '/etc/relay', owner: 'bob' } });
  assert.match(plannedBreak(p, [plan(dir('/etc/relay'))], userDir) ?? '', /earlier change/);
  const userAbove = readOf(queries, { userWritable: { path: '/srv', owner: 'bob' } });
  assert.equal(plannedBreak(p, [plan(dir('/etc/relay'))], userAbove), undefined, 'a user-writable directory elsewhere on the way is as it was');
  assert.match(plannedBreak(p, [plan(dir('/etc/relay'))], readOf(queries, { linked: true })) ?? '', /symbolic link/, 'a link anywhere: one file, two names');
  assert.match(plannedBreak(p, [plan(dir('/etc/relay'))], readOf(queries, { foreignLink: { path: '/etc/relay', owner: 'bob' } })) ?? '', /earlier change/);
});

test('plannedBreak: a query that is not a file, or says nothing of where its answer comes from, breaks after any change', () => {
  const service: StateQuery = { key: 'systemd:postfix', script: 'true', parse: () => ({}), paths: ['/etc/systemd'] };
  const guard: StateQuery = { key: 'status:test -e /x', script: 'true', parse: () => ({}) };
  const read = new StateView();
  assert.equal(plannedBreak(task({}, { queries: [service] }), [plan(file('/etc/relay.cf'))], read), undefined, 'its paths lie elsewhere');
  assert.match(plannedBreak(task({}, { queries: [service] }), [plan(file('/etc/systemd/system/relay.service'))], read) ?? '', /systemd:postfix/);
  assert.match(plannedBreak(task({}, { queries: [guard] }), [plan(file('/etc/relay.cf'))], read) ?? '', /status:test -e \/x/);
});

test('plannedBreak: after tasks that have no change to make (a no-change run), any task joins, a symbolic link or not', () => {
  const service: StateQuery = { key: 'systemd:postfix', script: 'true', parse: () => ({}), paths: ['/etc/systemd'] };
  const { queries } = reads('/etc/relay/main.cf');
  const unchanged: PlanResult = { changes: [], effects: { predicts: [file('/etc/relay/main.cf')], unpredictable: 'other-changes' } };
  assert.equal(plannedBreak(task({}, { queries: [service] }), [unchanged, unchanged], new StateView()), undefined);
  assert.equal(plannedBreak(task({}, { queries }), [unchanged], readOf(queries, { linked: true })), undefined);
  let scans = 0;
  const linked = () => (scans++, true);
  assert.match(plannedBreak(task({}, { queries }), [unchanged, plan(file('/etc/other.cf'))], readOf(queries), linked) ?? '', /symbolic link/, 'the window\'s scan decides');
  assert.equal(plannedBreak(task({}, { queries }), [unchanged], readOf(queries), linked), undefined);
  assert.equal(scans, 1, 'no scan while nothing before it changes');
  assert.match(plannedBreak(task({}, { queries: [service] }), [{ changes: [change], effects: { unpredictable: 'other-changes' } }], new StateView()) ?? '', /systemd:postfix/, 'after a change with unpredictable effects');
});

test('WindowView: the earlier tasks\' predictions over the state read, never written into it', () => {
  const q = fileQuery('/etc/a');
  const base = new StateView();
  base.set(q.key, { exists: false });
  const view = new WindowView(base);
  assert.deepEqual(view.get(q), { exists: false });
  view.predict(fileResource('/etc/a'), { exists: true });
  assert.deepEqual(view.get(q), { exists: true });
  assert.deepEqual(base.get(q), { exists: false });
  assert.equal(base.prediction(fileResource('/etc/a')), undefined);
});

let conn: Connection;
let tmp: string;
let cleanup: () => Promise<void>;
before(async () => ({ conn, dir: tmp, cleanup } = await localHost()));
after(() => cleanup());

const write = (p: string, content: string): Change => ({ kind: 'write', description: `create ${p}`, write: { path: p, content: Buffer.from(content) } });
const run = (command: string): Change => ({ kind: 'run', description: command, command });

test('batch exec: each task its own frame, output and stderr; a failed task stops the ones after it; the refresh runs anyway', async () => {
  const [a, b, c] = ['a', 'b', 'c'].map((n) => path.join(tmp, n)) as [string, string, string];
  const sets = [[write(a, 'A\n'), run('echo out-1; echo err-1 >&2')], [run('echo out-2; echo err-2 >&2; exit 7')], [write(c, 'C\n')]];
  const plan = batchExecScript(sets, [fileQuery(b)]);
  const res = await conn.run('sh -s', { stdin: plan.script });
  const parsed = parseBatchExec(res.stdout, res.stderr, plan);
  assert.equal(parsed.parts.length, 2);
  assert.deepEqual(
    parsed.parts.map((p) => [p.exitCode, p.out.toString(), p.stderr.trim()]),
    [
      [0, 'out-1\n', 'err-1'],
      [7, 'out-2\n', 'err-2'],
    ],
  );
  assert.equal(readFileSync(a, 'utf8'), 'A\n');
  assert.ok(!existsSync(c), "the third task's change did not run");
  assert.equal(parsed.refresh?.length, 1, 'the refresh read came back');
  // All succeed: three parts.
  const ok = batchExecScript([[run('true')], [run('echo two')], [write(c, 'C\n')]], []);
  const res2 = await conn.run('sh -s', { stdin: ok.script });
  assert.deepEqual(parseBatchExec(res2.stdout, res2.stderr, ok).parts.map((p) => p.exitCode), [0, 0, 0]);
  assert.equal(readFileSync(c, 'utf8'), 'C\n');
});

test('batch exec: output cut short names the task whose part is truncated; nothing printed can forge a mark', async () => {
  const plan = batchExecScript([[run('true')], [run('printf "@@0000 stderr 1\\n" >&2; echo x')]], []);
  const res = await conn.run('sh -s', { stdin: plan.script });
  const full = parseBatchExec(res.stdout, res.stderr, plan);
  assert.equal(full.parts[1]!.stderr, '@@0000 stderr 1\n');
  const cut = res.stdout.subarray(0, res.stdout.indexOf('x\n') + 2);
  assert.deepEqual({ ...parseBatchExec(cut, res.stderr, plan), parts: undefined }, { parts: undefined, truncated: 1 });
});
