// Which consecutive tasks of a real run may have their changes made in ONE exec (batch-apply.ts): the
// tasks after the first are planned before the first's change is made, against what the earlier ones
// predict (as a dry run plans), so each must not depend on the outcome of the ones before it. Two
// checks: `staticBreak`, over the task's keywords (known before planning), and `plannedBreak`, over
// its plan and what it reads (known only once planned against the predictions). A task that breaks
// the window runs the usual way, after the window's exec, planned against the state it leaves.
import path from 'node:path';
import type { Play } from '../load/model.js';
import type { PlanResult } from '../ops/operation.js';
import type { FileState } from '../state/file-state.js';
import { resourceKey } from '../state/resource.js';
import { StateView, type StateQuery } from '../state/query.js';
import { becomeRequest, type PreparedTask } from './prepare.js';
import { staleAfter } from './refresh.js';

/**
 * Why task `p` cannot join a window that starts at `first` (undefined: it may), from its keywords:
 * what reads its result or decides it from its output must see it before the next change runs; what
 * runs elsewhere, as someone else, once for the batch of hosts, or stops every host must run alone.
 */
export function staticBreak(p: PreparedTask, first: PreparedTask, play: Play): string | undefined {
  const d = p.def;
  if (p.late) return 'it reads a result registered or set in the play';
  if (d.register !== undefined) return 'register: later tasks may read its result';
  if (d.until !== undefined) return 'until: it may run again';
  if (d.changedWhen !== undefined) return 'changed_when: decided from its output';
  if (d.failedWhen !== undefined) return 'failed_when: decided from its output';
  if (d.delegateTo !== undefined) return 'delegate_to: it runs on another host';
  if (d.runOnce) return 'run_once: it runs once for the batch of hosts';
  if (d.throttle !== undefined) return 'throttle: it waits for the other hosts';
  if (d.anyErrorsFatal ?? play.anyErrorsFatal) return 'any_errors_fatal: a failure elsewhere stops this host before it';
  if (d.checkMode !== undefined) return 'check_mode: it is not applied as the others are';
  if (p.op.controllerOnly || p.op.setsVars) return 'it runs on the controller';
  if (p.op.awaitHost) return 'it waits for the host after its change';
  if (JSON.stringify(becomeRequest(p)) !== JSON.stringify(becomeRequest(first))) return 'it becomes another user than the first task of the batch';
  if (JSON.stringify(d.environment ?? {}) !== JSON.stringify(first.def.environment ?? {})) return 'its environment differs from the first task of the batch';
  return undefined;
}

/**
 * The next active task of `rest` and those after it that may share its batch by their keywords (at
 * most `max`): what a change's exec reads again for what comes next, so that their batch does not
 * wait for a read of its own.
 */
export function nextRun(rest: readonly PreparedTask[], play: Play, max = 32): PreparedTask[] {
  const run: PreparedTask[] = [];
  for (const t of rest) {
    if (!t.active) continue;
    if (run.length > 0 && (run.length >= max || staticBreak(t, run[0]!, play) !== undefined || staticBreak(run[0]!, run[0]!, play) !== undefined)) break;
    run.push(t);
  }
  return run;
}

/** Whether later tasks of the window can be planned after `planned`: it only writes files, whose state it predicts. */
export function predictsAll(planned: PlanResult): boolean {
  const { predicts = [], unpredictable } = planned.effects ?? {};
  return unpredictable === undefined && predicts.length > 0 && predicts.every((p) => p.resource.kind === 'file');
}

/** A directory the prediction leaves root's, writable by root alone: what is below it is as it was read. */
function rootDirectory(st: FileState | undefined): boolean {
  if (!st?.exists || st.type !== 'directory' || st.owner !== 'root' || st.mode === undefined) return false;
  const bits = parseInt(st.mode, 8);
  return (bits & 0o002) === 0 && ((bits & 0o020) === 0 || st.group === 'root' || st.group === 'wheel');
}

/**
 * Why a planned task cannot join the window (undefined: it may): what it reads must not be what the
 * earlier tasks of the window may alter — unless it lies below a directory they leave root's alone: a
 * new directory is empty, a mode change alters nothing below it, and the way to it (the directory
 * the change enters, who may write on the way) is as it was read. Anything else (the file an earlier
 * task writes, a parent of it, a package database) is read again after their exec, so the task waits.
 */
export function plannedBreak(p: PreparedTask, earlier: readonly PlanResult[], read: StateView, linked: () => boolean = () => anyLinked(read)): string | undefined {
  // Nothing before it in the window has a change to make (a no-change run): none runs, nothing it reads is altered.
  if (earlier.every((e) => e.changes.length === 0)) return undefined;
  if (linked()) return 'a file of the play is reached through a symbolic link (one file, two names)';
  const predicted = earlier.flatMap((e) => e.effects?.predicts ?? []);
  const dirs = predicted.flatMap((pr) => (pr.resource.kind === 'file' ? [{ path: path.posix.normalize(pr.resource.path), st: pr.value as FileState }] : []));
  for (const q of staleAfter({ changes: [], effects: { predicts: predicted } }, p.queries, read, false)) {
    const why = readsPredicted(q, dirs, read);
    if (why) return why;
  }
  return undefined;
}

/** Whether a file of the play's state is reached through a symbolic link (read once per window: planning does not change it). */
export function anyLinked(read: StateView): boolean {
  return read.some((v) => (v as FileState | undefined)?.linked === true);
}

function readsPredicted(q: StateQuery, predicted: readonly { path: string; st: FileState }[], read: StateView): string | undefined {
  const altered = `it reads ${q.resource?.kind === 'file' ? q.resource.path : q.key}, which an earlier change of the batch alters`;
  if (q.resource?.kind !== 'file' || !read.has(q.key)) return altered;
  const own = read.get(q) as FileState;
  if (own.link || own.followed || own.foreignLink) return altered;
  const target = path.posix.normalize(q.resource.path);
  for (const { path: dir, st } of predicted) {
    if (!related(dir, target)) continue;
    if (!target.startsWith(`${dir}/`) || !rootDirectory(st)) return altered;
    // A directory a user may write at or below the changed one: the change may make it root's.
    if (own.userWritable && related(dir, path.posix.normalize(own.userWritable.path)) && own.userWritable.path.length >= dir.length) return altered;
  }
  return undefined;
}

function related(a: string, b: string): boolean {
  return a === b || b.startsWith(`${a}/`) || a.startsWith(`${b}/`) || a === '/' || b === '/';
}

/** The play's state as read, with what the window's earlier tasks predict over it (the real view is never written). */
export class WindowView extends StateView {
  private readonly own = new Map<string, unknown>();

  constructor(private readonly base: StateView) {
    super();
  }

  override set(key: string, value: unknown): void {
    this.base.set(key, value);
  }

  override has(key: string): boolean {
    return this.base.has(key);
  }

  override some(test: (value: unknown) => boolean): boolean {
    return this.base.some(test);
  }

  override get<T>(query: StateQuery<T>): T {
    if (query.resource !== undefined && this.own.has(resourceKey(query.resource))) return this.own.get(resourceKey(query.resource)) as T;
    return this.base.get(query);
  }

  override predict(resource: Parameters<StateView['predict']>[0], value: unknown): void {
    this.own.set(resourceKey(resource), value);
  }

  override prediction<T>(resource: Parameters<StateView['predict']>[0]): T | undefined {
    return (this.own.get(resourceKey(resource)) as T | undefined) ?? this.base.prediction<T>(resource);
  }
}
