// One play on one host: is the play selected for it (its `when:`) → prepare its task tree (render,
// validate, resolve every task — so a bad variable fails before anything changes; includes expanded
// for the host) → read all their state in one batch → walk the tree (blocks.ts: tasks in order, each
// through its lifecycle, task-step.ts; rescues, always, handler flushes) → the notified handlers → the
// follow-ups the changes asked for. The host itself (connection, facts, lock) is host-context.ts.
import { FleetplanError, formatPos } from '../core/errors.js';
import { evaluateWhen } from '../load/when.js';
import type { Play } from '../load/model.js';
import { playTaskLists } from '../load/plan.js';
import { eachTask, reportedAlone } from '../load/task-tree.js';
import { prepareTasks, readingBecome, type PreparedTask } from './prepare.js';
import { preparePlayTree, type PreparedNode } from './prepare-tree.js';
import { FreshConfig } from './superseded.js';
import { FollowUps } from './follow-ups.js';
import { FreshState } from './refresh.js';
import { DryRun } from './dry-run.js';
import type { HostContext } from './host-context.js';
import { queriesOf, type PlayContext } from './play-context.js';
import { interrupted, tasksOf, TreeWalk } from './blocks.js';
import { taskVars } from './host-results.js';
import { stoppedByFatal } from './coordinate.js';
import type { PlayBatch } from './play-batch.js';
import { ResultBuilder, reportResult } from './task-result.js';
import type { StateView } from '../state/query.js';

export interface PreparedPlay {
  nodes: PreparedNode[];
  handlers: PreparedTask[];
}

/** A play prepared, and its state read, with the host's facts (first-read.ts). */
export interface PlayAhead {
  play: Play;
  prepared: PreparedPlay;
  /** Its state as read with the facts; undefined: it was not read there. */
  state: Promise<StateView | undefined>;
}

/**
 * Runs one play on one host. Returns false when the host failed (later plays are not run on it).
 * `ahead`: the play prepared and read with the facts (a play without when:, from these very facts).
 */
export async function runPlay(ctx: HostContext, play: Play, batch?: PlayBatch, ahead?: PlayAhead): Promise<boolean> {
  const selected = ahead ? 'run' : selectPlay(ctx, play);
  if (selected !== 'run') return selected === 'skipped';
  const prepared = ahead?.prepared ?? preparePlay(ctx, play);
  if (!prepared) return false;
  const pc = await readPlayState(ctx, play, prepared, ahead?.state);
  if (!pc) return false;
  pc.batch = batch;
  const walk = new TreeWalk(pc, prepared.nodes, prepared.handlers);
  const tasks = await walk.run(prepared.nodes);
  // A fatal failure elsewhere (any_errors_fatal) after this host's last task still stops it.
  const fatal = tasks.status === 'done' && stoppedByFatal(pc);
  batch?.leave(ctx.host);
  if (tasks.status === 'interrupted') return false;
  let failed = tasks.status === 'failed' || fatal;
  // Handlers: once, in definition order, only if notified — after a failure only with force_handlers.
  if (!failed || play.forceHandlers || ctx.opts.forceHandlers) {
    const handlers = await walk.flush(() => []);
    if (handlers.status === 'interrupted') return false;
    failed ||= handlers.status === 'failed';
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
    // With what earlier plays registered or set on the host (set_fact).
    selected = evaluateWhen(play.when, taskVars(ctx, play, undefined, false), ctx.opts.secrets);
  } catch (err) {
    ctx.emit({ type: 'host-failed', host: ctx.host, error: `play '${play.name}' when: ${(err as Error).message} (${formatPos(play.pos)})` });
    ctx.stats.failed++;
    return 'failed';
  }
  if (selected) return 'run';
  eachTask(playTaskLists(play).flat(), (def, at) => {
    if (reportedAlone(def, at)) reportResult(ctx, new ResultBuilder(ctx, play, def, false).skipped('play when: condition is false'));
  });
  return 'skipped';
}

/** The play's tasks and handlers prepared for the host; throws what the first bad one says. */
export function preparePlayTasks(ctx: HostContext, play: Play): PreparedPlay {
  const refs = [...play.roles, ...(play.taskRoles ?? [])];
  return {
    nodes: preparePlayTree(ctx, play),
    handlers: play.handlers.flatMap((def) => prepareTasks(ctx, play, def, refs.find((r) => r.role.name === def.role), true)),
  };
}

/** Everything prepared first: an undefined variable or bad argument anywhere fails the host before its first change. */
function preparePlay(ctx: HostContext, play: Play): PreparedPlay | undefined {
  try {
    return preparePlayTasks(ctx, play);
  } catch (err) {
    const message = err instanceof FleetplanError ? err.describe() : (err as Error).message;
    ctx.emit({ type: 'host-failed', host: ctx.host, error: message });
    ctx.stats.failed++;
    return undefined;
  }
}

/**
 * One batched read of everything every active task and handler needs (unless `ahead`, made with the
 * facts, has it); the play's context around it.
 */
async function readPlayState(ctx: HostContext, play: Play, { nodes, handlers }: PreparedPlay, ahead?: Promise<StateView | undefined>): Promise<PlayContext | undefined> {
  const tasks = tasksOf(nodes);
  const reading = { become: readingBecome([...tasks, ...handlers]), play: play.name };
  let state: FreshState;
  try {
    const view = await ahead;
    state = view ? FreshState.from(view, ctx.conn, reading) : await FreshState.read(ctx.conn, [...queriesOf(tasks), ...queriesOf(handlers)], reading);
  } catch (err) {
    ctx.emit({ type: 'host-failed', host: ctx.host, error: `reading state: ${(err as Error).message}` });
    ctx.stats.failed++;
    return undefined;
  }
  const dryRun = ctx.opts.check ? new DryRun(state.view, (ctx.dryRunChanges ??= {})) : undefined;
  return { ctx, play, state, dryRun, notifications: new FreshConfig(), followUps: new FollowUps() };
}
