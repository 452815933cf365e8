// One host, start to end: connect once, gather facts once, then per play: prepare every task (render,
// validate, resolve — so a bad variable fails before anything changes), read all their state in one
// batch, and walk the tasks: plan → (check: stop here) → execute, re-reading in the same script what
// the next task needs and the change may have altered (the rest of what it altered: when needed).
import type { Connection } from '../connectors/connection.js';
import { FleetplanError, OperationError, formatPos } from '../core/errors.js';
import { acquireScript, describeOwner, lockProblem, readLock, staleToken, takeoverScript, type LockOwner, type LockState } from './host-lock.js';
import { evaluateWhen } from '../load/when.js';
import type { Facts } from '../facts/facts.js';
import { gatherFacts, parseRaw } from '../facts/gather.js';
import { selectBackends } from '../backends/select.js';
import type { Backends } from '../backends/backends.js';
import type { Play, RoleRef, TaskDef, Vars } from '../load/model.js';
import { Unresolved, type PlanResult } from '../ops/operation.js';
import { readState, uniqueQueries } from '../state/batch.js';
import { StateView, type StateQuery } from '../state/query.js';
import type { Emit, HostStats, TaskResult } from './events.js';
import { execScript, parseExec } from './executor.js';
import { prepareTasks, type PreparedTask } from './prepare.js';
import type { RunOptions } from './options.js';
import { decideChanged } from './changed-when.js';
import { FreshConfig } from './superseded.js';
import { FollowUps } from './follow-ups.js';
import { staleAfter } from './refresh.js';
import { signalName } from './interrupt.js';

export interface HostContext {
  host: string;
  conn: Connection;
  facts: Facts;
  backends: Backends;
  opts: RunOptions;
  emit: Emit;
  stats: HostStats;
  /** The host's variables for a task of this role (or of the play itself), all layers merged, facts included. */
  scope: (play: Play, role?: RoleRef) => Vars;
  /** The run lock this run holds on the host (a real run), and whether it was taken through become. */
  lock?: HostLock & { become: boolean };
}

export interface HostLock {
  owner: LockOwner;
  breakLock: boolean;
  /** The lock's directory on the host; tests point it elsewhere. Default LOCK_PARENT. */
  parent?: string;
}

/** Facts (and, for a real run, the host's run lock, in the same exec); throws when the host is locked. */
export async function startHost(
  base: Omit<HostContext, 'facts' | 'backends' | 'scope' | 'lock'>,
  scopeFor: (facts: Facts) => HostContext['scope'],
  lock?: HostLock,
): Promise<HostContext> {
  const t0 = Date.now();
  const { facts, extra } = await gatherFacts(base.conn, base.host, lock ? acquireScript(lock.owner, lock.breakLock, lock.parent) : '');
  const held = lock && (await takeLock(base, lock, readLock(extra)));
  base.emit({ type: 'host-facts', host: base.host, facts, ms: Date.now() - t0 });
  return { ...base, facts, backends: selectBackends(facts), scope: scopeFor(facts), lock: held };
}

/**
 * The rest of taking the lock, only when the facts exec did not: as root through become for a
 * non-root login (in the become shell the tasks use), and the takeover of a lock left by a dead run
 * of this controller (one more exec, only in that case). Throws naming why the host is not ours.
 */
async function takeLock(base: Pick<HostContext, 'conn' | 'host' | 'emit'>, lock: HostLock, first: LockState): Promise<HostLock & { become: boolean }> {
  let state = first;
  const become = state.kind === 'needroot';
  const run = async (script: string, label: string) => {
    try {
      return readLock(parseRaw((await base.conn.script(script, { become, label })).stdout.toString()));
    } catch (err) {
      if (!become) throw err;
      throw new OperationError(`the run lock needs root on the host and become failed: ${(err as Error).message}`, { host: base.host });
    }
  };
  if (become) state = await run(acquireScript(lock.owner, lock.breakLock, lock.parent), 'take run lock (become)');
  const stale = staleToken(state);
  if (stale && state.kind === 'held' && state.owner) {
    const dead = describeOwner(state.owner);
    state = await run(takeoverScript(lock.owner, stale, lock.parent), 'take over stale run lock');
    if (state.kind === 'acquired') base.emit({ type: 'host-note', host: base.host, note: `took over a stale run lock (${dead}, no longer running)` });
  }
  const problem = lockProblem(state, lock.parent);
  if (problem) throw new OperationError(problem, { host: base.host });
  return { ...lock, become };
}

function result(
  ctx: HostContext,
  play: Play,
  t: TaskDef,
  handler: boolean,
  fields: Partial<TaskResult> & Pick<TaskResult, 'status'>,
  name = t.name,
): TaskResult {
  return {
    host: ctx.host,
    play: play.name,
    task: name,
    role: t.role,
    op: t.op,
    handler,
    check: ctx.opts.check,
    changes: [],
    pos: t.pos,
    noLog: t.noLog || undefined,
    ms: 0,
    ...fields,
  };
}

function count(stats: HostStats, r: TaskResult): void {
  if (r.status === 'failed' && r.ignored) stats.ok++;
  else stats[r.status]++;
}

/** Roles' tasks first, in role order, then the play's own tasks (as Ansible). */
function playTasks(play: Play): Array<{ def: TaskDef; ref?: RoleRef }> {
  return [...play.roles.flatMap((ref) => ref.role.tasks.map((def) => ({ def, ref }))), ...play.tasks.map((def) => ({ def }))];
}

/**
 * After Ctrl-C or SIGTERM: the host starts nothing more. When something was left to do it is marked
 * interrupted (and failed), naming what did not run — notified handlers and follow-ups included,
 * since a later run will not know they are owed. Returns whether the host stopped here.
 */
function stopIfInterrupted(ctx: HostContext, play: Play, left: { tasks: PreparedTask[]; handlers: PreparedTask[]; followUps: string[] }): boolean {
  const signal = ctx.opts.interrupt?.signal;
  if (!signal) return false;
  const tasks = left.tasks.filter((t) => t.active);
  if (tasks.length + left.handlers.length + left.followUps.length === 0) return false;
  const next = tasks[0] ?? left.handlers[0];
  const parts = [
    tasks.length ? `${tasks.length} task(s) not run` : '',
    left.handlers.length ? `notified handler(s) not run: ${left.handlers.map((h) => h.displayName).join(', ')}` : '',
    left.followUps.length ? `follow-up(s) not run: ${left.followUps.join(', ')}` : '',
  ].filter(Boolean);
  ctx.stats.interrupted = true;
  ctx.stats.failed++;
  ctx.emit({
    type: 'host-failed',
    host: ctx.host,
    error: `interrupted by ${signalName(signal)}${next ? ` before '${next.displayName}'` : ''} (play '${play.name}'): ${parts.join('; ')}`,
  });
  return true;
}

/** Runs one play on one host. Returns false when the host failed (later plays are not run on it). */
export async function runPlay(ctx: HostContext, play: Play): Promise<boolean> {
  const { host, opts, emit } = ctx;
  const report = (r: TaskResult) => {
    count(ctx.stats, r);
    emit({ type: 'task-result', result: r });
  };

  // 0. A play-level `when:` false for this host: every task is reported skipped, nothing is read.
  if (play.when !== undefined) {
    let selected: boolean;
    try {
      selected = evaluateWhen(play.when, ctx.scope(play));
    } catch (err) {
      emit({ type: 'host-failed', host, error: `play '${play.name}' when: ${(err as Error).message} (${formatPos(play.pos)})` });
      ctx.stats.failed++;
      return false;
    }
    if (!selected) {
      for (const { def } of playTasks(play)) report(result(ctx, play, def, false, { status: 'skipped', reason: 'play when: condition is false' }));
      return true;
    }
  }

  // 1. Prepare everything first: an undefined variable or bad argument anywhere fails the host
  //    before its first change.
  let tasks: PreparedTask[];
  let handlers: PreparedTask[];
  try {
    tasks = playTasks(play).flatMap(({ def, ref }) => prepareTasks(ctx, play, def, ref, false));
    handlers = play.handlers.flatMap((def) => prepareTasks(ctx, play, def, play.roles.find((r) => r.role.name === def.role), true));
  } catch (err) {
    const message = err instanceof FleetplanError ? err.describe() : (err as Error).message;
    emit({ type: 'host-failed', host, error: message });
    ctx.stats.failed++;
    return false;
  }

  // 2. One batched read of everything every active task and handler needs.
  const become = [...tasks, ...handlers].some((p) => p.become);
  const pending = (list: PreparedTask[]) => list.filter((p) => p.active).flatMap((p) => p.queries);
  let view: StateView;
  try {
    view = await readState(ctx.conn, uniqueQueries([...pending(tasks), ...pending(handlers)]), { become, label: `read state: ${play.name}` });
  } catch (err) {
    emit({ type: 'host-failed', host, error: `reading state: ${(err as Error).message}` });
    ctx.stats.failed++;
    return false;
  }

  // Which handlers were notified, and when services were (re)started: a handler whose service was
  // started after its last notification has nothing left to do.
  const fresh = new FreshConfig();
  // In check mode: the last change whose effects are not fully predicted, and the last that may
  // create files nobody declared (a package install).
  let lastOpaque: string | undefined;
  let lastCreator: string | undefined;
  let failed = false;
  // Real run: queries a change may have made stale and that were not read again yet. A change's own
  // exec re-reads only what the next task needs; the rest is read when a task needs it, all stale
  // queries at once, so a run of consecutive changes (a first apply) does not re-read the whole
  // play after each of them.
  const stale = new Set<string>();
  const followUps = new FollowUps();

  const runOne = async (p: PreparedTask, handler: boolean, rest: () => StateQuery[], next: () => StateQuery[]): Promise<TaskResult> => {
    const t = p.def;
    const t0 = Date.now();
    if (!p.active || !p.opCtx) return result(ctx, play, t, handler, { status: 'skipped', reason: p.skipReason }, p.displayName);
    const opCtx = p.opCtx;
    const requester = { name: p.displayName, op: p.op.name, pos: t.pos, become: p.become };
    emit({ type: 'task-start', host, play: play.name, task: p.displayName, handler });
    const superseded = handler ? fresh.supersession(p.names, p.op.supersededBy?.(p.resolved)) : undefined;
    if (superseded) {
      const reason = `nothing to do: '${superseded.by}' (re)started it after the change that notified this handler`;
      return result(ctx, play, t, handler, { status: 'ok', reason, ms: Date.now() - t0 }, p.displayName);
    }
    if (p.queries.some((q) => stale.has(q.key))) {
      const todo = uniqueQueries([...p.queries, ...rest()]).filter((q) => stale.has(q.key));
      await readState(ctx.conn, todo, { become, view, label: `read state again: ${play.name}` });
      for (const q of todo) stale.delete(q.key);
    }
    let planned: PlanResult;
    try {
      planned = p.op.plan(p.resolved, view, opCtx);
    } catch (err) {
      if (err instanceof Unresolved && opts.check && lastOpaque !== undefined) {
        // The state this task needs would only exist after an earlier change we cannot simulate.
        fresh.changed(p.displayName, t.notify);
        followUps.addPossible(p.op.followUps?.(p.resolved) ?? [], requester);
        return result(
          ctx,
          play,
          t,
          handler,
          { status: 'changed', reason: `depends on '${lastOpaque}': ${err.message}`, dependsOn: lastOpaque, ms: Date.now() - t0 },
          p.displayName,
        );
      }
      const hint = err instanceof Unresolved && err.hint ? ` (${err.hint})` : '';
      return result(ctx, play, t, handler, { status: 'failed', error: `${(err as Error).message}${hint}`, ms: Date.now() - t0 }, p.displayName);
    }
    if (planned.changes.length === 0) {
      // Predictions only ever exist in check mode: a real run re-reads state after each change.
      if (opts.check) for (const pr of planned.predicts ?? []) view.predict(pr.key, pr.value);
      return result(ctx, play, t, handler, { status: 'ok', reason: planned.reason, ms: Date.now() - t0 }, p.displayName);
    }
    if (opts.check) {
      followUps.add(planned.changes, requester);
      for (const pr of planned.predicts ?? []) view.predict(pr.key, pr.value);
      // Something created here may already be created by an earlier package install or command.
      const dependsOn = planned.createsMissing ? lastCreator : undefined;
      if (planned.opaque) lastOpaque = p.displayName;
      if (planned.mayCreateAnything) lastCreator = p.displayName;
      // changed_when: false tasks report ok in both modes; output-dependent ones say so.
      const status = t.changedWhen === false ? 'ok' : 'changed';
      const reason = typeof t.changedWhen === 'object' ? `${planned.reason ?? ''} (change depends on its output)`.trim() : planned.reason;
      const why = dependsOn ? `unless '${dependsOn}' already does it${reason ? `; ${reason}` : ''}` : reason;
      if (status === 'changed') fresh.changed(p.displayName, t.notify, planned);
      return result(ctx, play, t, handler, { status, changes: planned.changes, reason: why, dependsOn, ms: Date.now() - t0 }, p.displayName);
    }
    // Apply: run the changes and, in the same exec, re-read what the next task needs and the changes
    // may have altered; what later tasks need is marked stale.
    for (const q of staleAfter(planned, uniqueQueries(rest()), view)) stale.add(q.key);
    const refresh = uniqueQueries(next()).filter((q) => stale.has(q.key));
    const plan = execScript(planned.changes, refresh);
    const label = t.noLog ? `${t.name}: [no_log]` : planned.changes.map((c) => (c.kind === 'run' ? c.command : `write ${c.write.path}`)).join('; ');
    // --verbose reports the status of the task's commands, which the script carries in its output.
    const reportedExit = (r: { stdout: Buffer; exitCode: number }) => {
      try {
        return parseExec(r.stdout, plan).change.exitCode;
      } catch {
        return r.exitCode;
      }
    };
    const res = await ctx.conn.script(plan.script, { become: p.become, label, reportedExit });
    if (res.exitCode !== 0 && res.stdout.length === 0) {
      return result(ctx, play, t, handler, { status: 'failed', changes: planned.changes, error: `exit ${res.exitCode}: ${res.stderr.trim()}`, ms: Date.now() - t0 }, p.displayName);
    }
    let parsed: ReturnType<typeof parseExec>;
    try {
      parsed = parseExec(res.stdout, plan);
    } catch (err) {
      const detail = res.stderr.trim().split('\n').slice(-3).join('\n');
      return result(ctx, play, t, handler, { status: 'failed', changes: planned.changes, error: `${(err as Error).message}${detail ? `: ${detail}` : ''}`, ms: Date.now() - t0 }, p.displayName);
    }
    const { change, refresh: frames } = parsed;
    // Whether or not every change succeeded, the ones before a failure were made.
    followUps.add(planned.changes, requester);
    plan.refresh.store(view, frames);
    for (const q of refresh) stale.delete(q.key);
    const outcome = { exitCode: change.exitCode, stdout: change.out.toString('utf8'), stderr: res.stderr };
    const verdict = p.op.interpret
      ? p.op.interpret(p.resolved, outcome)
      : outcome.exitCode === 0
        ? { changed: true }
        : { changed: false, failed: `exited ${outcome.exitCode}: ${outcome.stderr.trim().split('\n').slice(-5).join('\n')}` };
    if (verdict.failed) {
      return result(ctx, play, t, handler, { status: 'failed', changes: planned.changes, error: verdict.failed, ms: Date.now() - t0 }, p.displayName);
    }
    const changed = decideChanged(t.changedWhen, outcome, verdict.changed);
    if (changed) fresh.changed(p.displayName, t.notify, planned);
    return result(ctx, play, t, handler, { status: changed ? 'changed' : 'ok', changes: planned.changes, reason: planned.reason, ms: Date.now() - t0 }, p.displayName);
  };

  const notifiedFrom = (i: number) => handlers.slice(i).filter((h) => h.names.some((n) => fresh.isNotified(n)));

  // 3. Tasks in order.
  for (let i = 0; i < tasks.length; i++) {
    const p = tasks[i]!;
    // The signal is checked first: what is left is worked out only when one came.
    if (opts.interrupt?.signal && stopIfInterrupted(ctx, play, { tasks: tasks.slice(i), handlers: notifiedFrom(0), followUps: followUps.pending() })) return false;
    const rest = () => [...pending(tasks.slice(i + 1)), ...pending(handlers)];
    // The handlers to run are known only once every task ran: the first of them reads what is stale.
    const next = () => tasks.slice(i + 1).find((t) => t.active)?.queries ?? [];
    let r: TaskResult;
    try {
      r = await runOne(p, false, rest, next);
    } catch (err) {
      r = result(ctx, play, p.def, false, { status: 'failed', error: (err as Error).message }, p.displayName);
    }
    if (r.status === 'failed' && p.def.ignoreErrors) r.ignored = true;
    report(r);
    if (r.status === 'failed' && !r.ignored) {
      failed = true;
      break;
    }
  }

  // 4. Handlers: once, in definition order, only if notified — after a failure only with force_handlers.
  if (!failed || play.forceHandlers || opts.forceHandlers) {
    for (let i = 0; i < handlers.length; i++) {
      const p = handlers[i]!;
      if (!p.names.some((n) => fresh.isNotified(n))) continue;
      if (opts.interrupt?.signal && stopIfInterrupted(ctx, play, { tasks: [], handlers: notifiedFrom(i), followUps: followUps.pending() })) return false;
      // Every later handler, notified yet or not: this one may notify it.
      const rest = () => pending(handlers.slice(i + 1));
      const next = () => handlers.slice(i + 1).find((h) => h.active && h.names.some((n) => fresh.isNotified(n)))?.queries ?? [];
      let r: TaskResult;
      try {
        r = await runOne(p, true, rest, next);
      } catch (err) {
        r = result(ctx, play, p.def, true, { status: 'failed', error: (err as Error).message }, p.displayName);
      }
      report(r);
      if (r.status === 'failed' && !p.def.ignoreErrors) {
        failed = true;
        break;
      }
    }
  }
  // 5. What the changes made need once after them all — also after a failure, as those changes stay made.
  if (opts.interrupt?.signal && stopIfInterrupted(ctx, play, { tasks: [], handlers: [], followUps: followUps.pending() })) return false;
  for (const r of await followUps.run(ctx, play.name)) {
    report(r);
    if (r.status === 'failed') failed = true;
  }
  return !failed;
}
