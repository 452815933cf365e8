// The lifecycle of one task (or handler) on one host, once it is prepared (prepare.ts) and the play's
// state is read (refresh.ts):
//   skipped? → superseded handler? → read what of its state is stale → plan (the operation's pure
//   `plan`) → nothing to do: ok │ check: report what would change (check-phase.ts)
//                                │ apply: one exec, its result (apply-phase.ts)
// Every ending is built by task-result.ts. What the play then makes of the result (ignore_errors,
// and the seam for register, failed_when, retries, block/rescue, run_once) is in host-run.ts.
import { Unresolved, type OpContext, type PlanResult } from '../ops/operation.js';
import type { TaskResult } from './events.js';
import { applyPhase, concludeApply } from './apply-phase.js';
import type { Batched } from './applied-batch.js';
import { checkOnly, checkPhase, unplannable } from './check-phase.js';
import type { Lookahead, PlayContext } from './play-context.js';
import type { PreparedTask } from './prepare.js';
import { ResultBuilder } from './task-result.js';

export async function runTask(pc: PlayContext, p: PreparedTask, handler: boolean, ahead: Lookahead): Promise<TaskResult> {
  const result = new ResultBuilder(pc.ctx, pc.play, p.def, handler, p.displayName);
  if (!p.active || !p.opCtx) return result.skipped(p.skipReason);
  pc.ctx.emit({ type: 'task-start', host: pc.ctx.host, play: pc.play.name, task: p.displayName, handler });
  const superseded = handler ? pc.notifications.supersession(p.names, p.op.supersededBy?.(p.resolved)) : undefined;
  if (superseded) return result.ok(`nothing to do: '${superseded.by}' (re)started it after the change that notified this handler`);
  const batched = pc.applied?.take(p);
  if (batched) return concludeBatched(pc, p, batched, result);
  await pc.state.ensureFresh(p.queries, ahead.later);
  const planned = plan(pc, p, p.opCtx, result);
  if ('status' in planned) return planned;
  if (planned.changes.length === 0) {
    pc.dryRun?.unchanged(planned);
    return result.ok(planned.reason);
  }
  // check_mode: false runs a (read-only) probe in a dry run too — unless an earlier task would change
  // the host first: what it reads then is not what the real run reads, so it is not run and its result
  // is unknown. check_mode: true never applies.
  const probeAfter = pc.dryRun && p.def.checkMode === false ? pc.dryRun.lastChange : undefined;
  if (pc.dryRun && (p.def.checkMode !== false || probeAfter !== undefined)) return checkPhase(pc, pc.dryRun, p, planned, result, probeAfter);
  if (!pc.dryRun && p.def.checkMode === true) return checkOnly(planned, result);
  return applyPhase(pc, p, planned, ahead, result);
}

/** The operation plans against the state read (or predicted); a task that cannot be planned ends here. */
function plan(pc: PlayContext, p: PreparedTask, opCtx: OpContext, result: ResultBuilder): PlanResult | TaskResult {
  const rebootedBy = pc.dryRun?.restartedBy;
  if (rebootedBy !== undefined) return unplannable(pc, p, new Unresolved(`the host reboots first ('${rebootedBy}')`), rebootedBy, result);
  try {
    return p.op.plan(p.resolved, pc.state.view, opCtx);
  } catch (err) {
    const dependsOn = pc.dryRun?.dependsOn(err);
    if (dependsOn !== undefined) return unplannable(pc, p, err as Unresolved, dependsOn, result);
    const hint = err instanceof Unresolved && err.hint ? ` (${err.hint})` : '';
    return result.failed(`${(err as Error).message}${hint}`);
  }
}

/** A task planned and applied with others in one exec (batch-apply.ts): its own result from its own part. */
function concludeBatched(pc: PlayContext, p: PreparedTask, b: Batched, result: ResultBuilder): Promise<TaskResult> | TaskResult {
  if (b.failure !== undefined) return result.failed(b.failure, b.planned.changes);
  if (b.outcome === undefined) return result.ok(b.planned.reason);
  return concludeApply(pc, p, b.planned, b.outcome, result);
}
