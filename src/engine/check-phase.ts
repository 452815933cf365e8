// The check phase of a task (--check): report what it would change, and plan the tasks after it
// against the state it would leave (dry-run.ts). Nothing is executed on the host.
import type { PlanResult, Unresolved } from '../ops/operation.js';
import type { DryRun } from './dry-run.js';
import type { TaskResult } from './events.js';
import { requesterOf, type PlayContext } from './play-context.js';
import type { PreparedTask } from './prepare.js';
import type { ResultBuilder } from './task-result.js';

/**
 * `probeAfter`: a check_mode: false probe not run because that earlier change would alter what it
 * reads — reported (and registered) as not known, depending on it. `waitsFor`: planned for the state
 * that earlier change may bring (Unresolved.planned), `because` the state read does not allow it.
 */
export function checkPhase(
  pc: PlayContext,
  dryRun: DryRun,
  p: PreparedTask,
  planned: PlanResult,
  result: ResultBuilder,
  probeAfter?: string,
  waitsFor?: { task: string; because: string },
): TaskResult {
  const t = p.def;
  pc.followUps.add(planned.changes, requesterOf(p));
  // Something created here may already be created by an earlier package install or command.
  const created = dryRun.changing(p.displayName, planned);
  const dependsOn = waitsFor?.task ?? created ?? probeAfter;
  // changed_when: false tasks report ok in both modes; output-dependent ones say so.
  const status = t.changedWhen === false || p.op.observesOnly ? 'ok' : 'changed';
  const reason = p.op.observesOnly
    ? `would ${planned.reason} (not evaluated in a dry run)`
    : typeof t.changedWhen === 'object' ? `${planned.reason ?? ''} (change depends on its output)`.trim() : planned.reason;
  const why = whyWould(reason, dependsOn, probeAfter, waitsFor);
  if (status === 'changed') {
    pc.notifications.changed(p.displayName, t.notify, planned.effects);
    dryRun.noteChange(p.displayName);
  }
  return result.timed({ status, changes: planned.changes, reason: why, dependsOn });
}

/** The reason a dry run gives: the task's own, and the earlier change it depends on, if any. */
function whyWould(reason: string | undefined, dependsOn: string | undefined, probeAfter?: string, waitsFor?: { task: string; because: string }): string | undefined {
  const and = reason ? `; ${reason}` : '';
  if (waitsFor) return `depends on '${waitsFor.task}': ${waitsFor.because}`;
  if (probeAfter) return `not run in a dry run: '${probeAfter}' would change the host before it${and}`;
  return dependsOn ? `unless '${dependsOn}' already does it${and}` : reason;
}

/**
 * A task the dry run cannot plan, because the state it needs would only exist after `dependsOn`, an
 * earlier change it cannot simulate: reported as a change depending on it, which notifies its
 * handlers and may ask for its follow-ups.
 */
export function unplannable(pc: PlayContext, p: PreparedTask, err: Unresolved, dependsOn: string, result: ResultBuilder): TaskResult {
  if (err.planned && pc.dryRun) return checkPhase(pc, pc.dryRun, p, err.planned, result, undefined, { task: dependsOn, because: err.message });
  pc.notifications.changed(p.displayName, p.def.notify);
  pc.dryRun?.noteChange(p.displayName);
  pc.followUps.addPossible(p.op.followUps?.(p.resolved) ?? [], requesterOf(p));
  return result.timed({ status: 'changed', reason: `depends on '${dependsOn}': ${err.message}`, dependsOn });
}

/**
 * check_mode: true in a real run: what the task would change, not applied. Its handlers are not
 * notified (they would run for real), and the tasks after it meet the state as it is.
 */
export function checkOnly(planned: PlanResult, result: ResultBuilder): TaskResult {
  const why = `check_mode: true: not applied${planned.reason ? `; ${planned.reason}` : ''}`;
  return result.timed({ status: 'changed', changes: planned.changes, reason: why, check: true });
}
