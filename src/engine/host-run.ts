// One play on one host: is the play selected for it (its `when:`) → prepare every task (render,
// validate, resolve — so a bad variable fails before anything changes) → read all their state in one
// batch → the tasks in order, each through its lifecycle (task-step.ts) → the notified handlers →
// the follow-ups the changes asked for. The host itself (connection, facts, lock) is host-context.ts.
import { FleetplanError, formatPos } from '../core/errors.js';
import { evaluateWhen } from '../load/when.js';
import type { Play, RoleRef, TaskDef } from '../load/model.js';
import type { TaskResult } from './events.js';
import { prepareTasks, type PreparedTask } from './prepare.js';
import { FreshConfig } from './superseded.js';
import { FollowUps } from './follow-ups.js';
import { FreshState } from './refresh.js';
import { DryRun } from './dry-run.js';
import { signalName } from './interrupt.js';
import type { HostContext } from './host-context.js';
import { isNotified, queriesOf, type Lookahead, type PlayContext } from './play-context.js';
import { runTask } from './task-step.js';
import { ResultBuilder, reportResult } from './task-result.js';

interface PreparedPlay {
  tasks: PreparedTask[];
  handlers: PreparedTask[];
}

/** How the tasks (or the handlers) of a play ended on a host. */
type Ended = 'done' | 'failed' | 'interrupted';

/** Runs one play on one host. Returns false when the host failed (later plays are not run on it). */
export async function runPlay(ctx: HostContext, play: Play): Promise<boolean> {
  const selected = selectPlay(ctx, play);
  if (selected !== 'run') return selected === 'skipped';
  const prepared = preparePlay(ctx, play);
  if (!prepared) return false;
  const pc = await readPlayState(ctx, play, prepared);
  if (!pc) return false;
  const tasks = await runTasks(pc, prepared);
  if (tasks === 'interrupted') return false;
  let failed = tasks === 'failed';
  // Handlers: once, in definition order, only if notified — after a failure only with force_handlers.
  if (!failed || play.forceHandlers || ctx.opts.forceHandlers) {
    const handlers = await runHandlers(pc, prepared.handlers);
    if (handlers === 'interrupted') return false;
    failed ||= handlers === 'failed';
  }
  // What the changes made need once after them all — also after a failure, as those changes stay made.
  if (interrupted(pc, () => ({ tasks: [], handlers: [] }))) return false;
  for (const r of await pc.followUps.run(ctx, play.name)) {
    reportResult(ctx, r);
    if (r.status === 'failed') failed = true;
  }
  return !failed;
}

/** A play-level `when:` false for this host: every task is reported skipped, nothing is read. */
function selectPlay(ctx: HostContext, play: Play): 'run' | 'skipped' | 'failed' {
  if (play.when === undefined) return 'run';
  let selected: boolean;
  try {
    selected = evaluateWhen(play.when, ctx.scope(play), ctx.opts.secrets);
  } catch (err) {
    ctx.emit({ type: 'host-failed', host: ctx.host, error: `play '${play.name}' when: ${(err as Error).message} (${formatPos(play.pos)})` });
    ctx.stats.failed++;
    return 'failed';
  }
  if (selected) return 'run';
  for (const { def } of playTasks(play)) reportResult(ctx, new ResultBuilder(ctx, play, def, false).skipped('play when: condition is false'));
  return 'skipped';
}

/** Roles' tasks first, in role order, then the play's own tasks (as Ansible). */
function playTasks(play: Play): Array<{ def: TaskDef; ref?: RoleRef }> {
  return [...play.roles.flatMap((ref) => ref.role.tasks.map((def) => ({ def, ref }))), ...play.tasks.map((def) => ({ def }))];
}

/** Everything prepared first: an undefined variable or bad argument anywhere fails the host before its first change. */
function preparePlay(ctx: HostContext, play: Play): PreparedPlay | undefined {
  try {
    return {
      tasks: playTasks(play).flatMap(({ def, ref }) => prepareTasks(ctx, play, def, ref, false)),
      handlers: play.handlers.flatMap((def) => prepareTasks(ctx, play, def, play.roles.find((r) => r.role.name === def.role), true)),
    };
  } catch (err) {
    const message = err instanceof FleetplanError ? err.describe() : (err as Error).message;
    ctx.emit({ type: 'host-failed', host: ctx.host, error: message });
    ctx.stats.failed++;
    return undefined;
  }
}

/** One batched read of everything every active task and handler needs; the play's context around it. */
async function readPlayState(ctx: HostContext, play: Play, { tasks, handlers }: PreparedPlay): Promise<PlayContext | undefined> {
  const become = [...tasks, ...handlers].some((p) => p.become);
  let state: FreshState;
  try {
    state = await FreshState.read(ctx.conn, [...queriesOf(tasks), ...queriesOf(handlers)], { become, play: play.name });
  } catch (err) {
    ctx.emit({ type: 'host-failed', host: ctx.host, error: `reading state: ${(err as Error).message}` });
    ctx.stats.failed++;
    return undefined;
  }
  const dryRun = ctx.opts.check ? new DryRun(state.view) : undefined;
  return { ctx, play, state, dryRun, notifications: new FreshConfig(), followUps: new FollowUps() };
}

/** The tasks in order; the first failure (not ignored) stops them. */
async function runTasks(pc: PlayContext, { tasks, handlers }: PreparedPlay): Promise<Ended> {
  for (let i = 0; i < tasks.length; i++) {
    const p = tasks[i]!;
    if (interrupted(pc, () => ({ tasks: tasks.slice(i), handlers: handlers.filter((h) => isNotified(pc, h)) }))) return 'interrupted';
    const ahead: Lookahead = {
      later: () => [...queriesOf(tasks.slice(i + 1)), ...queriesOf(handlers)],
      // The handlers to run are known only once every task ran: the first of them reads what is stale.
      next: () => tasks.slice(i + 1).find((t) => t.active)?.queries ?? [],
    };
    const r = await settle(pc, p, false, ahead);
    reportResult(pc.ctx, r);
    if (r.status === 'failed' && !r.ignored) return 'failed';
  }
  return 'done';
}

/** The notified handlers in definition order; the first failure (without ignore_errors) stops them. */
async function runHandlers(pc: PlayContext, handlers: PreparedTask[]): Promise<Ended> {
  for (let i = 0; i < handlers.length; i++) {
    const p = handlers[i]!;
    if (!isNotified(pc, p)) continue;
    if (interrupted(pc, () => ({ tasks: [], handlers: handlers.slice(i).filter((h) => isNotified(pc, h)) }))) return 'interrupted';
    const ahead: Lookahead = {
      // Every later handler, notified yet or not: this one may notify it.
      later: () => queriesOf(handlers.slice(i + 1)),
      next: () => handlers.slice(i + 1).find((h) => h.active && isNotified(pc, h))?.queries ?? [],
    };
    const r = await settle(pc, p, true, ahead);
    reportResult(pc.ctx, r);
    if (r.status === 'failed' && !p.def.ignoreErrors) return 'failed';
  }
  return 'done';
}

/**
 * One task (or handler) to the result the play goes on with: its lifecycle (task-step.ts), then what
 * the play makes of the result. This is the seam for the per-task keywords of the plan language:
 * `until`/`retries` repeat runTask here while their condition is false; `failed_when` decides the
 * status here, before ignore_errors; `register` stores the result in the host's scope here (the
 * tasks after a registering one are then prepared after it runs, not all up front). For the play's
 * structure, `block`/`rescue` turns runTasks' list into blocks (a failure in a block runs its rescue
 * instead of ending the tasks), and `run_once` runs the step on one host and hands its result to
 * the others.
 */
async function settle(pc: PlayContext, p: PreparedTask, handler: boolean, ahead: Lookahead): Promise<TaskResult> {
  let r: TaskResult;
  try {
    r = await runTask(pc, p, handler, ahead);
  } catch (err) {
    r = new ResultBuilder(pc.ctx, pc.play, p.def, handler, p.displayName).untimed({ status: 'failed', error: (err as Error).message });
  }
  // A handler's failure is not marked ignored (it is counted failed), but with ignore_errors it does not stop the others.
  if (!handler && r.status === 'failed' && p.def.ignoreErrors) r.ignored = true;
  return r;
}

/** Whether a signal stopped the host here; the signal is checked first: what is `left` is worked out only when one came. */
function interrupted(pc: PlayContext, left: () => { tasks: PreparedTask[]; handlers: PreparedTask[] }): boolean {
  return Boolean(pc.ctx.opts.interrupt?.signal) && stopIfInterrupted(pc.ctx, pc.play, { ...left(), followUps: pc.followUps.pending() });
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
