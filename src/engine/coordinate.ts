// The part of a task's run that involves the other hosts of its batch (play-batch.ts): run_once
// (run-once.ts), throttle (at most N hosts in the task at once) and any_errors_fatal (after the
// task, every host of the batch waits for the others to finish it; a failure on any of them then
// stops the play on all). A play using none of these only records, per task, that the host got there.
import type { TaskResult } from './events.js';
import type { PlayContext } from './play-context.js';
import type { PreparedTask } from './prepare.js';
import { runOnce } from './run-once.js';

/** The items of the task at `i` (consecutive prepared tasks of one definition) and which one `i` is. */
export function itemsAt(tasks: readonly PreparedTask[], i: number): { items: PreparedTask[]; k: number } {
  const def = tasks[i]!.def;
  let start = i;
  while (start > 0 && tasks[start - 1]!.def === def) start--;
  let end = i + 1;
  while (end < tasks.length && tasks[end]!.def === def) end++;
  return { items: tasks.slice(start, end), k: i - start };
}

/** Whether a failure of this task stops the play on every host of the batch. */
function fatalFor(pc: PlayContext, p: PreparedTask): boolean {
  return p.def.anyErrorsFatal ?? pc.play.anyErrorsFatal ?? false;
}

/** Item `k` of a task on this host, with what its batch asks of it; `step` is the task's own run (settle). */
export async function coordinated(pc: PlayContext, items: PreparedTask[], k: number, step: () => Promise<TaskResult>): Promise<TaskResult> {
  const batch = pc.batch;
  if (!batch) return step();
  const p = items[k]!;
  const host = pc.ctx.host;
  if (k === 0) batch.arrive(p.def, host, items.some((t) => t.active) ? 'active' : 'inactive');
  let r: TaskResult;
  if (p.def.runOnce) r = await runOnce(pc, batch, items, k, step);
  else if (p.def.throttle !== undefined && p.active) r = await batch.throttle(p.def, p.def.throttle).with(step);
  else r = await step();
  if (!fatalFor(pc, p)) return r;
  if (r.status === 'failed' && !r.ignored) {
    batch.fatal ??= { task: p.displayName, host, def: p.def };
    batch.wake();
  } else if (k === items.length - 1) {
    // Every host finishes this task before any goes on, so none is past it when another fails it.
    batch.finish(p.def, host);
    await batch.until(() => (batch.unfinished(p.def).length === 0 ? true : undefined));
  }
  return r;
}

/**
 * After a fatal failure elsewhere (any_errors_fatal): this host stops before its next task — once it
 * finished the task that failed there, as every host of the batch runs that task (Ansible's hosts
 * move task by task together; here a host that was behind catches up to it first).
 */
export function stoppedByFatal(pc: PlayContext): boolean {
  const fatal = pc.batch?.fatal;
  if (!fatal || fatal.host === pc.ctx.host || !pc.batch!.hasFinished(fatal.def, pc.ctx.host)) return false;
  pc.ctx.stats.failed++;
  pc.ctx.emit({ type: 'host-failed', host: pc.ctx.host, error: `stopped: '${fatal.task}' failed on ${fatal.host} (any_errors_fatal)` });
  return true;
}
