// One play on one host: the host (host-context.ts) and what lives for the play — the state read and
// which of it is stale (refresh.ts), the dry run's predictions (dry-run.ts), which handlers were
// notified and which services started since (superseded.ts), the follow-ups the changes asked for
// (follow-ups.ts). Every step of a task (task-step.ts) reads and updates it.
import type { Play } from '../load/model.js';
import type { AppliedBatch } from './applied-batch.js';
import type { StateQuery } from '../state/query.js';
import type { DryRun } from './dry-run.js';
import type { FollowUps } from './follow-ups.js';
import type { HostContext } from './host-context.js';
import type { PlayBatch } from './play-batch.js';
import type { PreparedTask } from './prepare.js';
import type { FreshState } from './refresh.js';
import type { FreshConfig } from './superseded.js';

export interface PlayContext {
  ctx: HostContext;
  play: Play;
  /** What is known of the host's state, and what of it is stale. */
  state: FreshState;
  /** Present only in a dry run. */
  dryRun?: DryRun;
  /** Which handlers were notified, and when services were (re)started (a handler may have nothing left to do). */
  notifications: FreshConfig;
  followUps: FollowUps;
  /** The hosts running this play alongside (run_once, throttle, any_errors_fatal); absent when run alone. */
  batch?: PlayBatch;
  /** Tasks whose changes an earlier exec made with others' (batch-apply.ts), for the walk to conclude. */
  applied?: AppliedBatch;
}

/**
 * What comes after a task, for the state its change makes stale: `later` — every query of the tasks
 * and handlers that may still run; `next` — what the next one needs (re-read in the change's own exec).
 */
export interface Lookahead {
  later: () => StateQuery[];
  next: () => StateQuery[];
}

/** The queries of the tasks that will run here (not skipped by tags or when:, nor delegated: their delegate reads its own). */
export function queriesOf(tasks: readonly PreparedTask[]): StateQuery[] {
  return tasks.filter((p) => p.active && p.def.delegateTo === undefined).flatMap((p) => p.queries);
}

export function isNotified(pc: PlayContext, handler: PreparedTask): boolean {
  return handler.names.some((n) => pc.notifications.isNotified(n));
}

/** A task as the follow-ups its changes ask for name it. */
export function requesterOf(p: PreparedTask): { name: string; op: string; pos: PreparedTask['def']['pos']; become: boolean } {
  return { name: p.displayName, op: p.op.name, pos: p.def.pos, become: p.become };
}
