// What a run adds to a host's variables as it goes: registered results (`register:`) and set_fact
// variables, visible to the later tasks and plays on the same host, above the play's own variables.
// A dry run keeps here what it knows — and, as Unknown (core/unknown.ts), what it cannot.
import type { Play, RoleRef, Vars } from '../load/model.js';
import { playRegisteredNames } from '../load/registered.js';
import { PENDING, unknownResult, type Unknown } from '../core/unknown.js';
import type { HostContext } from './host-context.js';

// Keyed by the host's stats, the one object every view of the host in this run shares (a delegated
// or copied context keeps it), and that ends with the run.
const byHost = new WeakMap<object, Vars>();

/** The variables this run set on the host so far (mutable: the engine adds to it). */
export function hostResults(ctx: Pick<HostContext, 'stats'>): Vars {
  let v = byHost.get(ctx.stats);
  if (!v) byHost.set(ctx.stats, (v = {}));
  return v;
}

/** The host has ended: what it set is not read again (later plays read RunVars' copy). */
export function dropHostResults(ctx: Pick<HostContext, 'stats'>): void {
  byHost.delete(ctx.stats);
}

/** Set run-time variables on the host. */
export function setHostVars(ctx: Pick<HostContext, 'stats'>, vars: Vars): void {
  Object.assign(hostResults(ctx), vars);
}

const playNames = new WeakMap<Play, Set<string>>();

/** The names the play registers or sets while it runs (load/registered.ts), once per play. */
export function runtimeNames(play: Play): Set<string> {
  let names = playNames.get(play);
  if (!names) playNames.set(play, (names = playRegisteredNames(play)));
  return names;
}

/**
 * A task's variables now: the play's (or role's) with what the run has set on the host over them.
 * `pending`: while the play's tasks are prepared up front, every name the play itself registers or
 * sets is a pending Unknown, so a task that reads one is prepared again just before it runs. Plans
 * that register nothing get the play's variables as they are (no copy per task).
 */
export function taskVars(ctx: Pick<HostContext, 'stats' | 'scope'>, play: Play, ref: RoleRef | undefined, pending: boolean): Vars {
  const base = ctx.scope(play, ref);
  const results = byHost.get(ctx.stats);
  const names = pending ? runtimeNames(play) : undefined;
  if ((!results || Object.keys(results).length === 0) && !names?.size) return base;
  // A play's tasks are prepared one after the other with the same base and, mostly, the same results:
  // the merged copy (hundreds of names, facts included) is made again only when one of them changed.
  const key = pending ? 'pending' : 'now';
  const seen = merged.get(base)?.[key];
  if (seen && sameResults(seen.results, results)) return seen.vars;
  const vars: Vars = { ...base, ...results };
  if (names) {
    pendingResult ??= unknownResult(PENDING);
    for (const n of names) vars[n] = pendingResult;
  }
  let entry = merged.get(base);
  if (!entry) merged.set(base, (entry = {}));
  entry[key] = { results: { ...results }, vars };
  return vars;
}

/**
 * What every pending name is bound to: one value for all of them, on every host (it holds nothing but
 * PENDING, and results are replaced, never changed inside), instead of a proxy made per name for each
 * scope of each host (profiled: 37 names × 7 scopes × 20 hosts on the relay plan).
 */
let pendingResult: Unknown | undefined;

/** The last merge of each base scope (by whether the play's own names are pending), with the results it was made of. */
const merged = new WeakMap<Vars, { pending?: { results: Vars; vars: Vars }; now?: { results: Vars; vars: Vars } }>();

/** The same names holding the same values (results are replaced, never changed inside, when set). */
function sameResults(a: Vars, b: Vars | undefined): boolean {
  const keys = Object.keys(b ?? {});
  if (keys.length !== Object.keys(a).length) return false;
  return keys.every((k) => Object.hasOwn(a, k) && a[k] === b![k]);
}

/** A prepared task's variables (its loop item included) with what the run has set on the host since. */
export function currentVars(ctx: Pick<HostContext, 'stats'>, prepared: Vars): Vars {
  const results = byHost.get(ctx.stats);
  return results ? { ...prepared, ...results } : prepared;
}
