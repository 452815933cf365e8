// The apply phase of a task (a real run): its changes in ONE exec (executor.ts), which also re-reads
// what the next task needs and the changes may have altered (refresh.ts), then the task's result from
// the changes' exit status and output.
import type { TaskDef } from '../load/model.js';
import type { ExecOutcome, PlanResult } from '../ops/operation.js';
import { hostHandle } from './await-host.js';
import { decideChanged } from './changed-when.js';
import type { TaskResult } from './events.js';
import { execScript, parseExec, type ExecPlan } from './executor.js';
import { requesterOf, type Lookahead, type PlayContext } from './play-context.js';
import type { PreparedTask } from './prepare.js';
import type { ResultBuilder } from './task-result.js';

export async function applyPhase(pc: PlayContext, p: PreparedTask, planned: PlanResult, ahead: Lookahead, result: ResultBuilder): Promise<TaskResult> {
  // A task that waits for the host (reboot) reads nothing in its exec: the host it read would be gone.
  const refresh = pc.state.changing(planned, ahead.later(), p.op.awaitHost ? [] : ahead.next());
  const plan = execScript(planned.changes, refresh);
  const res = await pc.ctx.conn.script(plan.script, { become: p.become, label: execLabel(p.def, planned), reportedExit: (r) => reportedExit(r, plan) });
  if (res.exitCode !== 0 && res.stdout.length === 0) return result.failed(`exit ${res.exitCode}: ${res.stderr.trim()}`, planned.changes);
  let parsed: ReturnType<typeof parseExec>;
  try {
    parsed = parseExec(res.stdout, plan);
  } catch (err) {
    const detail = res.stderr.trim().split('\n').slice(-3).join('\n');
    return result.failed(`${(err as Error).message}${detail ? `: ${detail}` : ''}`, planned.changes);
  }
  // Whether or not every change succeeded, the ones before a failure were made.
  pc.followUps.add(planned.changes, requesterOf(p));
  pc.state.refreshed(plan.refresh, parsed.refresh, refresh);
  const outcome: ExecOutcome = { exitCode: parsed.change.exitCode, stdout: parsed.change.out.toString('utf8'), stderr: res.stderr };
  const verdict = p.op.interpret
    ? p.op.interpret(p.resolved, outcome)
    : outcome.exitCode === 0
      ? { changed: true }
      : { changed: false, failed: `exited ${outcome.exitCode}: ${outcome.stderr.trim().split('\n').slice(-5).join('\n')}` };
  if (verdict.failed) return result.failed(verdict.failed, planned.changes);
  const waited = p.op.awaitHost ? await p.op.awaitHost(p.resolved, outcome, hostHandle(pc.ctx, p.become)) : {};
  if (waited.failed) return result.failed(waited.failed, planned.changes);
  const changed = decideChanged(p.def.changedWhen, outcome, verdict.changed);
  if (changed) pc.notifications.changed(p.displayName, p.def.notify, planned.effects);
  return result.timed({ status: changed ? 'changed' : 'ok', changes: planned.changes, reason: planned.reason });
}

/** How --verbose shows the exec: its commands and the files it writes (just the task's name when no_log). */
function execLabel(t: TaskDef, planned: PlanResult): string {
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
