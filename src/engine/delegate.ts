// delegate_to: a task of this host run over another host's connection — an inventory host, or the
// controller (localhost) — with THIS host's variables, and the delegate's facts and backends (a
// package task delegated to a FreeBSD host uses pkg). The task is prepared again for the delegate,
// its state read there (growing task by task: each play keeps what it read on each delegate, so a
// dry run plans a delegated task against what earlier delegated tasks would have left there), then
// checked or applied there. The result is this host's, named "host → delegate". Handlers it
// notifies are this host's. Dry run: the delegate's state is read and diffed, nothing is executed.
import { InputError, formatPos } from '../core/errors.js';
import type { Vars } from '../load/model.js';
import { renderString } from '../load/template.js';
import type { TaskResult } from './events.js';
import { DryRun } from './dry-run.js';
import type { DelegateHost } from './delegate-pool.js';
import { FollowUps } from './follow-ups.js';
import type { HostContext } from './host-context.js';
import type { Lookahead, PlayContext } from './play-context.js';
import { becomeRequest, prepareTask, type PreparedTask } from './prepare.js';
import { FreshState } from './refresh.js';
import { outcomeOf, withOutcome } from './outcomes.js';
import { runTask } from './task-step.js';
import { ResultBuilder, reportResult } from './task-result.js';

/** Per play on this host: the state read (and predicted) on each delegate so far. */
const delegateStates = new WeakMap<PlayContext, Map<string, PlayContext>>();

/** The delegate's name for this task: its delegate_to, rendered with this host's variables. */
function delegateName(pc: PlayContext, p: PreparedTask, vars: Vars = p.opCtx!.vars): string {
  const where = { pos: p.def.pos, host: pc.ctx.host, task: p.def.name };
  const name = renderString(p.def.delegateTo!, vars, pc.ctx.opts.secrets, { pos: p.def.pos, what: 'delegate_to' });
  if (typeof name !== 'string' || !pc.ctx.delegates?.knows(name)) {
    throw new InputError(`delegate_to: ${JSON.stringify(name)} is not a host of the inventory (nor localhost)`, where);
  }
  return name;
}

/**
 * delegate_facts: the delegate the variables this task sets belong to; undefined when they are this
 * host's (no delegate_facts, or delegated to itself). `vars`: this host's, for a task a dry run could
 * not prepare (its delegate_to is rendered with them; one that reads an unknown value stays here).
 */
export function factsDelegate(pc: PlayContext, p: PreparedTask, vars?: Vars): string | undefined {
  if (!p.def.delegateFacts || p.def.delegateTo === undefined) return undefined;
  let name: string;
  try {
    name = delegateName(pc, p, vars);
  } catch {
    return undefined;
  }
  return name === pc.ctx.host ? undefined : name;
}

/** The task run on its delegate, or on this host when it is not delegated (or to itself). */
export async function runMaybeDelegated(pc: PlayContext, p: PreparedTask, handler: boolean, ahead: Lookahead): Promise<TaskResult> {
  if (p.def.delegateTo === undefined || !p.active || !p.opCtx) return runTask(pc, p, handler, ahead);
  let name: string;
  try {
    name = delegateName(pc, p);
  } catch (err) {
    const result = new ResultBuilder(pc.ctx, pc.play, p.def, handler, p.displayName);
    return result.failed(`${(err as Error).message} (${formatPos(p.def.pos)})`);
  }
  if (name === pc.ctx.host) {
    // Delegated to itself: the play's batched read left it out, as it does every delegated task.
    await pc.state.include(p.queries);
    return runTask(pc, p, handler, ahead);
  }
  const r = await pc.ctx.delegates!.use(name, (d) => runOn(pc, p, handler, d));
  const named = { ...r, reason: `${pc.ctx.host} → ${name}${r.reason ? `: ${r.reason}` : ''}` };
  // What it executed said (rc, output) stays with the result this host registers.
  const outcome = outcomeOf(r);
  return outcome ? withOutcome(named, outcome) : named;
}

async function runOn(pc: PlayContext, p: PreparedTask, handler: boolean, d: DelegateHost): Promise<TaskResult> {
  const dctx: HostContext = { ...pc.ctx, conn: d.conn, facts: d.facts, backends: d.backends };
  const item = { vars: p.opCtx!.vars, label: '' };
  const dp: PreparedTask = { ...prepareTask(dctx, pc.play, p.def, p.ref, handler, item), displayName: p.displayName };
  const dpc = await delegatePlay(pc, d, dctx, dp);
  await dpc.state.include(dp.queries);
  const r = await runTask(dpc, dp, handler, { later: () => [], next: () => [] });
  // What the change asked for once after it (a daemon-reload) is done on the delegate now.
  for (const f of await dpc.followUps.run(dctx, pc.play.name)) reportResult(pc.ctx, { ...f, reason: `${pc.ctx.host} → ${d.name}: ${f.reason ?? ''}` });
  return r;
}

/** The play's context on the delegate: its own state and dry run, this host's handler notifications. */
async function delegatePlay(pc: PlayContext, d: DelegateHost, dctx: HostContext, dp: PreparedTask): Promise<PlayContext> {
  let byName = delegateStates.get(pc);
  if (!byName) delegateStates.set(pc, (byName = new Map()));
  const known = byName.get(d.name);
  if (known) return { ...known, followUps: new FollowUps() };
  const label = `${pc.play.name} (delegated to ${d.name})`;
  const state = await FreshState.read(d.conn, dp.queries, { become: becomeRequest(dp), play: label });
  const dpc: PlayContext = {
    ctx: dctx,
    play: pc.play,
    state,
    dryRun: pc.dryRun ? new DryRun(state.view, {}, pc.dryRun) : undefined,
    notifications: pc.notifications,
    followUps: new FollowUps(),
  };
  byName.set(d.name, dpc);
  return dpc;
}
