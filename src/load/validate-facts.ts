// What `fleetplan validate` knows of a run beside a host's own variables: which facts each host will
// have (the extended ones only when one of its plays gathers facts) and the run-wide magic variables
// (groups, hostvars). Values are opaque: validation checks names, not what a host will report.
import { CORE_FACT_NAMES, EXTENDED_FACT_NAMES } from '../facts/facts.js';
import { groupVarLayers, selectHosts } from './inventory.js';
import { groupsOf, lazyGroupAddresses, lazyHostvars } from './magic-vars.js';
import type { Inventory, Plan, Vars } from './model.js';
import { delegatedFactNames } from './registered.js';
import { buildHostVars } from './vars.js';

/** Stand-in for fact values: present, but nothing is known about them. */
export const OPAQUE = Symbol('opaque');

/** What validation knows of the run beside a host's own variables. */
export interface RunKnowledge {
  extraVars: Vars;
  /** The fact names a host has (all, or the core ones when none of its plays gathers facts), opaque values. */
  facts: Vars;
  /** groups, hostvars, play_hosts, ... */
  magic: Vars;
}

/**
 * The facts each host will have (extended ones only when one of its plays gathers facts) and the
 * run-wide magic variables; `hostvars.<h>` is h's inventory variables with its facts (and the names
 * delegate_facts tasks set), computed when a template reads it.
 */
export function factsKnowledge(plan: Plan, inventory: Inventory): { of: (host: string) => Vars; magic: Vars } {
  const gathering = new Set<string>();
  for (const p of plan.plays) {
    if (p.gatherFacts === false) continue;
    try {
      for (const h of selectHosts(inventory, p.hosts)) gathering.add(h);
    } catch {
      // a bad pattern is reported by the play loop
    }
  }
  const core = Object.fromEntries(CORE_FACT_NAMES.map((n) => [n, OPAQUE]));
  const all = { ...core, ...Object.fromEntries(EXTENDED_FACT_NAMES.map((n) => [n, OPAQUE])) };
  const of = (host: string) => (gathering.has(host) ? all : core);
  // What delegate_facts tasks set: defined in a hostvars entry (the delegate's, known only at run time).
  const delegated = Object.fromEntries([...delegatedFactNames(plan)].map((n) => [n, OPAQUE]));
  const entries = new Map<string, Vars>();
  const entryOf = (h: string): Vars => {
    let e = entries.get(h);
    if (!e) {
      const entry = inventory.hosts.get(h);
      const layers = { groupVars: groupVarLayers(inventory, h), hostVars: entry?.vars, facts: of(h), inventoryHostname: h };
      entries.set(h, (e = { ...buildHostVars({ ...layers, groupNames: entry?.groups.filter((g) => g !== 'all') ?? [] }), ...delegated }));
    }
    return e;
  };
  const hostvars = lazyHostvars(inventory, entryOf);
  return { of, magic: { groups: groupsOf(inventory), hostvars, group_addresses: lazyGroupAddresses(inventory, entryOf) } };
}

