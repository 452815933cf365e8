// One task (or handler) to the result the play goes on with: its lifecycle (task-step.ts), then what
// the play makes of the result — the seam for the per-task keywords of the plan language, one
// function per keyword:
//   late preparation   a task reading a value registered or set in the play is prepared now (prepare.ts)
//   delegate_to        the step runs on the delegate (delegate.ts), else runTask (task-step.ts)
//   until/retries      the step again, `delay` seconds apart, until the condition over the result holds
//   failed_when        the status of a task that executed nothing (executed ones: apply-phase.ts)
//   register           the result stored in the host's variables (register.ts)
//   set_fact           the variables stored for the later tasks and plays on the host (or, with
//                      delegate_facts, on its delegate from the next play on: delegated-facts.ts)
//   ignore_errors      a failure reported, not stopping the host
// In a dry run, a value only a real run can know is Unknown (core/unknown.ts): a task reading it is
// reported deferred, naming the task it depends on.
import { setTimeout as sleep } from 'node:timers/promises';
import { FleetplanError } from '../core/errors.js';
import { Deferred, Unknown, unknownResult } from '../core/unknown.js';
import { evaluateWhen } from '../load/when.js';
import { taskRegisteredNames } from '../load/registered.js';
import type { TaskResult } from './events.js';
import { currentVars, hostResults, setHostVars } from './host-results.js';
import { outcomeOf } from './outcomes.js';
import { reportResult, ResultBuilder } from './task-result.js';
import { prepareNow, type PreparedTask } from './prepare.js';
import type { Lookahead, PlayContext } from './play-context.js';
import { register, resultValue, type Registered } from './register.js';
import { decideFailed, withResult } from './result-conditions.js';
import { factsDelegate, runMaybeDelegated } from './delegate.js';

/** Ansible's defaults for until. */
const DEFAULT_RETRIES = 3;
const DEFAULT_DELAY = 5;

export async function settle(pc: PlayContext, p: PreparedTask, handler: boolean, ahead: Lookahead): Promise<TaskResult> {
  if (!p.late) return settleOne(pc, p, handler, ahead);
  const items = prepareLate(pc, p, handler);
  if (!Array.isArray(items)) return items;
  await pc.state.readNow(items.flatMap((i) => (i.active ? i.queries : [])), items.some((i) => i.active && i.become));
  // A loop's items but the last are reported here; the first failure (not ignored) ends the task.
  for (const [i, item] of items.entries()) {
    const r = await settleOne(pc, item, handler, ahead);
    if (i === items.length - 1 || (r.status === 'failed' && !r.ignored)) return r;
    reportResult(pc.ctx, r);
  }
  // A loop over an empty list: nothing ran.
  return new ResultBuilder(pc.ctx, pc.play, p.def, handler).skipped('loop: no items');
}

/** Prepared now, with what the run has set; or the task's result when it cannot be (deferred, or bad input). */
function prepareLate(pc: PlayContext, p: PreparedTask, handler: boolean): PreparedTask[] | TaskResult {
  try {
    return prepareNow(pc.ctx, pc.play, p.def, p.ref, handler, p.outer);
  } catch (err) {
    if (err instanceof Deferred && pc.dryRun) return deferred(pc, p, handler, err.dependsOn);
    const message = err instanceof FleetplanError ? err.describe() : (err as Error).message;
    return withIgnore(p, handler, new ResultBuilder(pc.ctx, pc.play, p.def, handler).untimed({ status: 'failed', error: message }));
  }
}

/**
 * A task a dry run cannot prepare: it reads a value only a real run knows. What it registers or
 * sets is unknown too; one that may change the host is reported as a change depending on that task
 * (it notifies its handlers, and later tasks it may affect depend on it), as an unplannable task is.
 */
function deferred(pc: PlayContext, p: PreparedTask, handler: boolean, dependsOn: string): TaskResult {
  // A check_mode: false task is a read-only probe (the keyword's contract): deferred, it changes nothing.
  const changesNothing = p.op.controllerOnly || p.def.checkMode === false;
  const r = new ResultBuilder(pc.ctx, pc.play, p.def, handler).untimed({
    status: changesNothing ? 'ok' : 'changed',
    reason: `deferred: depends on '${dependsOn}'`,
    dependsOn,
  });
  if (!changesNothing) {
    pc.notifications.changed(p.displayName, p.def.notify);
    pc.dryRun?.changing(p.displayName, { changes: [], effects: { unpredictable: 'may-create-anything' } });
    pc.dryRun?.noteChange(p.displayName);
  }
  // What it registers or sets is unknown as a whole (any path below a registered result, too); what it
  // sets is its delegate's with delegate_facts (the register stays here).
  const to = p.def.delegateFacts ? factsDelegate(pc, p, currentVars(pc.ctx, pc.ctx.scope(pc.play, p.ref))) : undefined;
  for (const k of taskRegisteredNames(p.def)) {
    if (k === p.def.register) hostResults(pc.ctx)[k] = unknownResult(dependsOn);
    else if (to !== undefined) pc.ctx.delegates!.facts.set(to, pc.play, { [k]: new Unknown(dependsOn) });
    else hostResults(pc.ctx)[k] = new Unknown(dependsOn);
  }
  return r;
}

/** A prepared task (or one loop item): its step, repeated while `until` says so; then its keywords. */
async function settleOne(pc: PlayContext, p: PreparedTask, handler: boolean, ahead: Lookahead): Promise<TaskResult> {
  const r = await retried(pc, p, handler, ahead);
  setFacts(pc, p, r);
  return withIgnore(p, handler, r);
}

/** runTask, and again while `until` does not hold (after `delay` seconds, at most `retries` more times). */
async function retried(pc: PlayContext, p: PreparedTask, handler: boolean, ahead: Lookahead): Promise<TaskResult> {
  const until = p.def.until;
  const retries = p.def.retries ?? DEFAULT_RETRIES;
  for (let attempt = 1; ; attempt++) {
    const r = await attemptOnce(pc, p, handler, ahead, until !== undefined ? attempt : undefined);
    if (until === undefined || r.status === 'skipped') return r;
    let ok: boolean;
    try {
      ok = evaluateWhen(until, currentVars(pc.ctx, p.opCtx?.vars ?? {}), pc.ctx.opts.secrets);
    } catch (err) {
      if (!(err instanceof Deferred)) return { ...r, status: 'failed', error: `until: ${(err as Error).message}` };
      // How many attempts a real run needs is unknown too: the whole result is.
      if (p.def.register !== undefined) hostResults(pc.ctx)[p.def.register] = unknownResult(p.displayName);
      return { ...r, reason: join(r.reason, `until: ${err.message}`) };
    }
    if (ok) return { ...r, reason: join(r.reason, `until holds after ${attempt} attempt(s)`) };
    if (attempt > retries) {
      const registered = p.def.register !== undefined ? hostResults(pc.ctx)[p.def.register] : undefined;
      if (registered && typeof registered === 'object' && !p.loop) (registered as Registered).failed = true;
      return { ...r, status: 'failed', error: join(r.error, `until: not met after ${attempt} attempt(s)`) };
    }
    await sleep((p.def.delay ?? DEFAULT_DELAY) * 1000);
  }
}

/** One run of the task: its step, failed_when over a result that executed nothing, and register. */
async function attemptOnce(pc: PlayContext, p: PreparedTask, handler: boolean, ahead: Lookahead, attempt?: number): Promise<TaskResult> {
  let r: TaskResult;
  try {
    r = await runMaybeDelegated(pc, p, handler, ahead);
  } catch (err) {
    r = new ResultBuilder(pc.ctx, pc.play, p.def, handler, p.displayName).untimed({ status: 'failed', error: (err as Error).message });
  }
  const outcome = outcomeOf(r);
  if (attempt !== undefined) r.attempts = attempt;
  if (outcome && pc.ctx.opts.keepOutput && !p.def.noLog) r.output = { rc: outcome.exitCode, stdout: outcome.stdout, stderr: outcome.stderr };
  // A task that executed something had failed_when decided with its output (apply-phase.ts).
  if (!outcome) r = failedWhen(pc, p, r);
  if (p.def.register === undefined) return r;
  // Registered after a change: the state it left is read first (only for a task that registers and changed).
  if (r.status === 'changed' && !r.check && p.active && p.op.registerFields && !p.op.registerAfterChange) await pc.state.readNow(p.queries, p.become);
  register(pc, p, resultValue(pc, p, r, outcome));
  return r;
}

/** failed_when over a result without output (nothing executed, a failed plan, a dry run). */
function failedWhen(pc: PlayContext, p: PreparedTask, r: TaskResult): TaskResult {
  const rule = p.def.failedWhen;
  if (rule === undefined || r.status === 'skipped') return r;
  const value: Registered = resultValue(pc, p, r, undefined);
  try {
    const failed = decideFailed(rule, undefined, r.status === 'failed' ? r.error : undefined, pc.ctx.opts.secrets, () => withResult(currentVars(pc.ctx, p.opCtx?.vars ?? {}), p.def.register, value));
    if (failed) return { ...r, status: 'failed', error: failed };
    // failed_when says it did not fail: a failed plan is reported ok, with why it failed.
    if (r.status === 'failed') return { ...r, status: 'ok', error: undefined, reason: join(r.reason, `failed_when does not hold: ${r.error}`) };
    return r;
  } catch (err) {
    if (err instanceof Deferred) return { ...r, reason: join(r.reason, `failed_when ${err.message}`), dependsOn: r.dependsOn ?? err.dependsOn };
    return { ...r, status: 'failed', error: `failed_when: ${(err as Error).message}` };
  }
}

/** set_fact: the variables it set, for the later tasks and plays on the host — or its delegate's (delegate_facts). */
function setFacts(pc: PlayContext, p: PreparedTask, r: TaskResult): void {
  if (!p.op.setsVars || p.resolved === undefined || (r.status !== 'ok' && r.status !== 'changed')) return;
  const vars = p.op.setsVars(p.resolved);
  const to = factsDelegate(pc, p);
  if (to === undefined) setHostVars(pc.ctx, vars);
  else pc.ctx.delegates!.facts.set(to, pc.play, vars);
}

/** ignore_errors: a task's failure is marked ignored. A handler's is not (it is counted failed), but does not stop the others. */
function withIgnore(p: PreparedTask, handler: boolean, r: TaskResult): TaskResult {
  if (!handler && r.status === 'failed' && p.def.ignoreErrors) r.ignored = true;
  return r;
}

function join(a: string | undefined, b: string): string {
  return a ? `${a}; ${b}` : b;
}
