// `run_once: true`: the task runs on one host of the play's batch and every other host of the batch
// reports that host's result. The host is the first of the batch, in inventory order, that reaches
// the task to run it: a host that left the play (failed, unreachable) or skips the task (when:,
// tags) is passed over, and the next one runs it — so nobody waits on a host that will never run
// it. A looping task runs all its items on that host; the others report its items one by one.
import type { TaskDef } from '../load/model.js';
import type { TaskResult } from './events.js';
import type { PlayBatch } from './play-batch.js';
import type { PlayContext } from './play-context.js';
import type { PreparedTask } from './prepare.js';
import { ResultBuilder } from './task-result.js';
import { coordinationKey } from './coordination-key.js';

interface OnceSlot {
  runner?: string;
  /** The runner's results, item by item. */
  results: TaskResult[];
  /** The runner ran its last item (or stopped at a failure). */
  done: boolean;
}

const slots = new WeakMap<PlayBatch, Map<TaskDef, OnceSlot>>();

function slotOf(batch: PlayBatch, def: TaskDef): OnceSlot {
  let byDef = slots.get(batch);
  if (!byDef) slots.set(batch, (byDef = new Map()));
  let slot = byDef.get(coordinationKey(def));
  if (!slot) byDef.set(coordinationKey(def), (slot = { results: [], done: false }));
  return slot;
}

/** The first host of the batch that is still in the play and runs the task, once it got there. */
function elect(batch: PlayBatch, def: TaskDef, slot: OnceSlot): string | undefined {
  if (slot.runner !== undefined) return slot.runner;
  for (const h of batch.hosts) {
    if (batch.hasLeft(h)) continue;
    const a = batch.arrival(def, h);
    if (a === 'inactive') continue;
    if (a === 'active') slot.runner = h;
    return slot.runner; // the first host that may still run it has not got there yet: wait for it
  }
  return undefined;
}

/**
 * Item `k` of a run_once task on this host: run it (this host is the one), or wait for the runner's
 * result for that item and report it as this host's.
 */
export async function runOnce(pc: PlayContext, batch: PlayBatch, items: PreparedTask[], k: number, step: () => Promise<TaskResult>): Promise<TaskResult> {
  const p = items[k]!;
  const host = pc.ctx.host;
  if (!items.some((t) => t.active)) return step(); // skipped here: reported skipped, another host runs it
  const slot = slotOf(batch, p.def);
  const runner = await batch.until(() => elect(batch, p.def, slot));
  if (runner === host) {
    const r = await step();
    slot.results[k] = r;
    if (k === items.length - 1 || (r.status === 'failed' && !r.ignored)) slot.done = true;
    batch.wake();
    return r;
  }
  const theirs = await batch.until(() => slot.results[k] ?? (slot.done || batch.hasLeft(runner) ? null : undefined));
  const builder = new ResultBuilder(pc.ctx, pc.play, p.def, false, p.displayName);
  if (theirs === null) return builder.skipped(`run once on ${runner}, which ${slot.done ? 'had no such item' : 'stopped before it'}`);
  // A change there notifies this host's handlers too, as Ansible copies the result to every host. What it
  // changed (a delegated directory, a shared file) this host's dry run did not predict: a later task that
  // cannot be planned here (a write into that directory) depends on it instead of failing.
  if (theirs.status === 'changed') {
    pc.notifications.changed(p.displayName, p.def.notify);
    pc.dryRun?.changing(p.displayName, { changes: [], effects: { unpredictable: 'other-changes' } });
  }
  return adopt(host, theirs, runner);
}

/**
 * The runner's result as this host's: same status (a failure there fails this host too, as in
 * Ansible), without the runner's changes (nothing changed here). This is the TaskResult a `register:`
 * on this host stores.
 */
export function adopt(host: string, theirs: TaskResult, runner: string): TaskResult {
  return {
    ...theirs,
    host,
    changes: [],
    reason: `run once on ${runner}${theirs.reason ? `: ${theirs.reason}` : ''}`,
    ms: 0,
  };
}
