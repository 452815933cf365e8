// The apply phase of a task (a real run): its changes in ONE exec (executor.ts), which also re-reads
// what the next task needs and the changes may have altered (refresh.ts), then the task's result from
// the changes' exit status and output.
import type { TaskDef } from '../load/model.js';
import type { ExecOutcome, PlanResult } from '../ops/operation.js';
import { decideChanged, decideFailed, withResult } from './result-conditions.js';
import { currentVars } from './host-results.js';
import { withOutcome } from './outcomes.js';
import { outputFields } from './register.js';
import { hostHandle } from './await-host.js';
import type { TaskResult } from './events.js';
import { execScript, parseExec, type ExecPlan } from './executor.js';
import { isStreamed, streamWrites } from './streamed-write.js';
import { requesterOf, type Lookahead, type PlayContext } from './play-context.js';
import { becomeRequest, type PreparedTask } from './prepare.js';
import type { ResultBuilder } from './task-result.js';

export async function applyPhase(pc: PlayContext, p: PreparedTask, planned: PlanResult, ahead: Lookahead, result: ResultBuilder): Promise<TaskResult> {
  // A read-only probe makes nothing stale: a check_mode: false task in a dry run, and in a real run one
  // that also says it never changes anything (changed_when: false) — the documented probe. A task that
  // waits for the host (reboot) reads nothing in its exec: the host it read would be gone.
  const probe = p.def.checkMode === false && (pc.dryRun !== undefined || p.def.changedWhen === false);
  const refresh = probe ? [] : pc.state.changing(planned, ahead.later(), p.op.awaitHost ? [] : ahead.next());
  // A large file's bytes go first, in an exec of their own (streamed-write.ts); the script then makes
  // the other changes (none, for a copy) and reads again what they altered.
  const streamed = planned.changes.some(isStreamed) ? await streamWrites(pc.ctx.conn, planned.changes, becomeRequest(p), pc.ctx.opts.secrets) : undefined;
  const rest = streamed ? (streamed.exitCode === 0 ? planned.changes.filter((c) => !isStreamed(c)) : []) : planned.changes;
  const plan = execScript(rest, refresh);
  const res = await pc.ctx.conn.script(plan.script, { become: becomeRequest(p), label: execLabel(p.def, planned), reportedExit: (r) => reportedExit(r, plan) });
  if (res.exitCode !== 0 && res.stdout.length === 0) return result.failed(`exit ${res.exitCode}: ${res.stderr.trim()}`, planned.changes);
  let parsed: ReturnType<typeof parseExec>;
  try {
    parsed = parseExec(res.stdout, plan);
  } catch (err) {
    const detail = res.stderr.trim().split('\n').slice(-3).join('\n');
    return result.failed(`${(err as Error).message}${detail ? `: ${detail}` : ''}`, planned.changes);
  }
  pc.state.refreshed(plan.refresh, parsed.refresh, refresh);
  const outcome = { exitCode: parsed.change.exitCode, stdout: parsed.change.out.toString('utf8'), stderr: res.stderr };
  return concludeApply(pc, p, planned, streamed ? joined(streamed, outcome) : outcome, result);
}

/** The streamed writes' outcome, then the script's (which made nothing after a failed write). */
function joined(streamed: ExecOutcome, script: ExecOutcome): ExecOutcome {
  if (streamed.exitCode !== 0) return streamed;
  return { exitCode: script.exitCode, stdout: streamed.stdout + script.stdout, stderr: streamed.stderr + script.stderr };
}

/**
 * The task's result from its changes' exit status and output — made by its own exec (above) or by a
 * batch of several tasks' changes (batch-apply.ts).
 */
export async function concludeApply(pc: PlayContext, p: PreparedTask, planned: PlanResult, outcome: ExecOutcome, result: ResultBuilder): Promise<TaskResult> {
  // Whether or not every change succeeded, the ones before a failure were made.
  pc.followUps.add(planned.changes, requesterOf(p));
  const verdict = p.op.interpret
    ? p.op.interpret(p.resolved, outcome)
    : outcome.exitCode === 0
      ? { changed: true }
      : { changed: false, failed: `exited ${outcome.exitCode}: ${outcome.stderr.trim().split('\n').slice(-5).join('\n')}` };
  // changed_when, then failed_when (which may read `<register>.changed`), over the result so far.
  const output = { ...outputFields(outcome), skipped: false };
  const vars = (changed: boolean, failed: boolean) => () => withResult(currentVars(pc.ctx, p.opCtx!.vars), p.def.register, { ...output, changed, failed });
  const { changedWhen, failedWhen } = p.def;
  if (verdict.failed && failedWhen === undefined) return withOutcome(result.failed(verdict.failed, planned.changes), outcome);
  if (!verdict.failed && p.op.awaitHost) {
    const waited = await p.op.awaitHost(p.resolved, outcome, hostHandle(pc.ctx, p.become));
    if (waited.failed) return withOutcome(result.failed(waited.failed, planned.changes), outcome);
  }
  const changed = decideChanged(changedWhen, outcome, verdict.failed ? true : verdict.changed, pc.ctx.opts.secrets, vars(verdict.changed, verdict.failed !== undefined));
  const failed = decideFailed(failedWhen, outcome, verdict.failed, pc.ctx.opts.secrets, vars(changed, verdict.failed !== undefined));
  if (failed) return withOutcome(result.failed(failed, planned.changes), outcome);
  if (changed) pc.notifications.changed(p.displayName, p.def.notify, planned.effects);
  return withOutcome(result.timed({ status: changed ? 'changed' : 'ok', changes: planned.changes, reason: planned.reason }), outcome);
}

/** How --verbose shows the exec: its commands and the files it writes (just the task's name when no_log). */
export function execLabel(t: TaskDef, planned: PlanResult): string {
  return t.noLog ? `${t.name}: [no_log]` : planned.changes.map((c) => (c.kind === 'run' ? c.command : `write ${c.write.path}`)).join('; ');
}

/** --verbose reports the status of the task's commands, which the script carries in its output. */
function reportedExit(r: { stdout: Buffer; exitCode: number }, plan: ExecPlan): number {
  try {
    return parseExec(r.stdout, plan).change.exitCode;
  } catch {
    return r.exitCode;
  }
}
