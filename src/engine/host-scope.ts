// A host's variables for a play, or for a role of it: every layer merged (inventory, plan, role
// defaults and per-OS vars, role parameters, extra vars), facts included, the roles' secret_vars made
// secrets. Each is resolved once per host and reused by every task of that play or role. The engine
// (host-session.ts) and `fleetplan dns` read a host's variables through this one function.
import type { Facts } from '../facts/facts.js';
import type { Inventory, Plan, Play, RoleRef, Vars } from '../load/model.js';
import { resolveVars } from '../load/resolve-vars.js';
import { secretVarNames, varsFor } from '../load/vars.js';

export type HostScope = (play: Play, role?: RoleRef) => Vars;

export function hostScope(run: { plan: Plan; inventory: Inventory; extraVars: Vars }, host: string, facts: Facts): HostScope {
  const { inventory, extraVars } = run;
  // By play, then by role reference (one a task list imports is not among the play's roles:).
  const cache = new Map<Play, Map<RoleRef | undefined, Vars>>();
  return (play, ref) => {
    let byRef = cache.get(play);
    if (!byRef) cache.set(play, (byRef = new Map()));
    let v = byRef.get(ref);
    if (!v) byRef.set(ref, (v = resolveVars(varsFor({ inventory, host, play, roleRef: ref, extraVars, facts }), secretVarNames(play))));
    return v;
  };
}
