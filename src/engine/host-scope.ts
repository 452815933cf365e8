// A host's variables for a play, or for a role of it: every layer merged (inventory, plan, role
// defaults and per-OS vars, role parameters, extra vars), facts included, the roles' secret_vars made
// secrets. Each is resolved once per host and reused by every task of that play or role. The engine
// (host-session.ts) and `fleetplan dns` read a host's variables through this one function.
import type { SecretRegistry } from '../core/secret.js';
import type { Facts } from '../facts/facts.js';
import type { Inventory, Plan, Play, RoleRef, Vars } from '../load/model.js';
import { resolveVars } from '../load/resolve-vars.js';
import { secretVarNames, varsFor } from '../load/vars.js';

export type HostScope = (play: Play, role?: RoleRef) => Vars;

export function hostScope(run: { plan: Plan; inventory: Inventory; extraVars: Vars; secrets: SecretRegistry }, host: string, facts: Facts): HostScope {
  const { plan, inventory, extraVars, secrets } = run;
  const cache = new Map<string, Vars>();
  return (play, ref) => {
    const key = `${plan.plays.indexOf(play)}/${ref ? play.roles.indexOf(ref) : '-'}`;
    let v = cache.get(key);
    if (!v) cache.set(key, (v = resolveVars(varsFor({ inventory, host, play, roleRef: ref, extraVars, facts }), secrets, secretVarNames(play))));
    return v;
  };
}
