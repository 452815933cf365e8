// A first apply's lever at a distance: consecutive tasks whose changes do not depend on each other's
// outcome (batch-window.ts) have their changes made in ONE exec instead of one each — each task's
// changes in a frame of their own, a task's changes running only when the ones before them succeeded
// (as one exec per task would), then one refresh of what the task after the window needs. The walk
// (blocks.ts) then goes through the window's tasks as usual: each takes its planned changes and their
// outcome from here (task-step.ts) and is concluded, reported, notified and settled on its own, with
// its own exit status, output and stderr. A task whose change failed ends the window: the tasks after
// it did not run and go the usual way (planned against the state then, ignore_errors honoured).
// A dry run never batches: it executes nothing.
import type { PlanResult } from '../ops/operation.js';
import type { StateQuery } from '../state/query.js';
import { batchExecScript, parseBatchExec, type BatchExecPlan } from './executor.js';
import { execLabel } from './apply-phase.js';
import { anyLinked, plannedBreak, predictsAll, staticBreak, WindowView } from './batch-window.js';
import type { PlayContext } from './play-context.js';
import { AppliedBatch } from './applied-batch.js';
import { isStreamed } from './streamed-write.js';
import { becomeRequest, type PreparedTask } from './prepare.js';

/** What the window's exec must know of the play around it (TreeWalk's lookahead). */
export interface WindowAhead {
  /** Every query of the tasks and handlers after the window's first task (they may run the usual way). */
  later: () => StateQuery[];
  /** What the task after `last` needs, read again in the exec. */
  nextAfter: (last: PreparedTask) => StateQuery[];
}

/**
 * `candidates`: consecutive tasks of one list, the first not yet run. When at least two of them have
 * changes to make and can share an exec, the exec is made now and its outcomes kept for the walk.
 * Otherwise the tasks planned before the first change (planned against the state as read, as the walk
 * would plan them) are kept too: a no-change run plans each task once.
 */
export async function applyWindow(pc: PlayContext, candidates: readonly PreparedTask[], ahead: WindowAhead): Promise<void> {
  if (pc.dryRun || candidates.length < 2 || pc.applied?.has(candidates[0]!)) return;
  const window = await planWindow(pc, candidates, ahead);
  while (window.length > 0 && window[window.length - 1]!.planned.changes.length === 0) window.pop();
  const changing = window.filter((w) => w.planned.changes.length > 0);
  const applied = (pc.applied ??= new AppliedBatch());
  if (changing.length < 2) {
    for (const w of window) {
      if (w.planned.changes.length > 0) break;
      applied.set(w.p, { planned: w.planned });
    }
    return;
  }
  const refresh = pc.state.toRefresh(merged(changing.map((w) => w.planned)), ahead.nextAfter(window[window.length - 1]!.p));
  const plan = batchExecScript(changing.map((w) => w.planned.changes), refresh);
  const label = changing.map((w) => execLabel(w.p.def, w.planned)).join('; ');
  const res = await pc.ctx.conn.script(plan.script, { become: becomeRequest(candidates[0]!), label, reportedExit: (r) => reportedExit(r, plan) });
  const parsed = parseBatchExec(res.stdout, res.stderr, plan);
  // What the changes that ran (or may have begun) may have altered is stale for every later task.
  const { parts } = parsed;
  const started = parts.length < changing.length && (parts[parts.length - 1]?.exitCode ?? 0) === 0 ? parts.length + 1 : parts.length;
  pc.state.changing(merged(changing.slice(0, started).map((w) => w.planned)), ahead.later(), []);
  if (parsed.refresh) pc.state.refreshed(plan.refresh, parsed.refresh, refresh);
  let k = 0;
  for (const w of window) {
    if (w.planned.changes.length === 0) {
      applied.set(w.p, { planned: w.planned });
      continue;
    }
    const part = parsed.parts[k++];
    // Its changes did not come back (the exec failed as a whole): this task failed; the later ones did not run.
    if (part === undefined) return applied.set(w.p, { planned: w.planned, failure: execFailure(res, parsed.truncated !== undefined) });
    applied.set(w.p, { planned: w.planned, outcome: { exitCode: part.exitCode, stdout: part.out.toString('utf8'), stderr: part.stderr } });
    // A failed change ends the window: the tasks after it go the usual way (ignore_errors honoured there).
    if (part.exitCode !== 0) return;
  }
}

/** The window's tasks, planned in order against what the earlier ones predict, up to the first that breaks it. */
async function planWindow(pc: PlayContext, candidates: readonly PreparedTask[], ahead: WindowAhead): Promise<{ p: PreparedTask; planned: PlanResult }[]> {
  const first = candidates[0]!;
  // What the first task needs is read as the walk would read it; a later one needing a read waits for it.
  await pc.state.ensureFresh(first.queries, () => ahead.later());
  const view = new WindowView(pc.state.view);
  const window: { p: PreparedTask; planned: PlanResult }[] = [];
  let linked: boolean | undefined;
  const isLinked = (): boolean => (linked ??= anyLinked(pc.state.view));
  for (const p of candidates) {
    if (!p.active || !p.opCtx) continue;
    if (staticBreak(p, first, pc.play) !== undefined || pc.state.anyStale(p.queries)) break;
    let planned: PlanResult;
    try {
      planned = p.op.plan(p.resolved, view, p.opCtx);
    } catch {
      break;
    }
    if (plannedBreak(p, window.map((w) => w.planned), pc.state.view, isLinked) !== undefined) break;
    // A large file's bytes travel on an exec's stdin of their own, never in a batch's script.
    if (planned.changes.some(isStreamed)) break;
    window.push({ p, planned });
    if (planned.changes.length > 0 && !predictsAll(planned)) break;
    for (const pr of planned.effects?.predicts ?? []) view.predict(pr.resource, pr.value);
  }
  return window;
}

/** The changes and effects of several plans, as one (what they may alter together). */
function merged(plans: readonly PlanResult[]): PlanResult {
  const unpredictable = plans.every(predictsAll) ? undefined : 'other-changes';
  return { changes: plans.flatMap((p) => p.changes), effects: { predicts: plans.flatMap((p) => p.effects?.predicts ?? []), unpredictable } };
}

/** Why the exec failed as a whole, for the first task whose changes did not come back. */
function execFailure(res: { exitCode: number; stderr: string }, truncated: boolean): string {
  const detail = res.stderr.trim().split('\n').slice(-3).join('\n');
  if (truncated) return `the change script output is truncated (connection lost?)${detail ? `: ${detail}` : ''}`;
  return `exit ${res.exitCode}: ${res.stderr.trim()}`;
}

/** --verbose reports the status of the first change that failed (0 when all succeeded). */
function reportedExit(r: { stdout: Buffer; stderr?: string; exitCode: number }, plan: BatchExecPlan): number {
  const parts = parseBatchExec(r.stdout, r.stderr ?? '', plan).parts;
  return parts.find((p) => p.exitCode !== 0)?.exitCode ?? (parts.length === plan.tasks ? 0 : r.exitCode);
}
