// Ansible's "magic" variables about the inventory and the run: `groups` (every group's hosts, `all`
// and `ungrouped` included), `hostvars` (every inventory host's variables, computed when read, never
// materialised per task: a template over 1000 hosts costs what it reads) and the names of the play's
// hosts. Built here so `fleetplan validate` knows them statically as the engine does at run time.
// `group_addresses` is fleetplan's own (Ansible spells it `groups[g] | map('extract', hostvars,
// 'ansible_host')`): every host of a group at its inventory address, the same list on every host, so
// a template listing a group's relays costs one render per run, not one per host (render-cache.ts).
import type { Inventory, Vars } from './model.js';
import { runConstant } from './render-cache.js';

/** The variable names this module's values are set under (reserved: no layer can override them). */
export const MAGIC_VARS = [
  'groups', 'hostvars', 'group_addresses', 'inventory_hostname_short', 'play_hosts', 'ansible_play_hosts', 'ansible_play_hosts_all', 'ansible_play_batch',
] as const;

const groupsCache = new WeakMap<Inventory, Record<string, string[]>>();

/** Group → its hosts (children's included), inventory order; `all` every host, `ungrouped` hosts in no group but all. */
export function groupsOf(inventory: Inventory): Record<string, string[]> {
  let out = groupsCache.get(inventory);
  if (out) return out;
  out = { all: [], ungrouped: [] };
  for (const g of inventory.groups.keys()) out[g] ??= [];
  for (const h of inventory.hosts.values()) {
    const groups = new Set(['all', ...h.groups]);
    if ([...groups].every((g) => g === 'all' || g === 'ungrouped')) groups.add('ungrouped');
    for (const g of groups) (out[g] ??= []).push(h.name);
  }
  for (const list of Object.values(out)) Object.freeze(list);
  groupsCache.set(inventory, runConstant(Object.freeze(out)));
  return out;
}

/**
 * `hostvars`: a mapping of every inventory host name to `entry(name)`, computed on first read of that
 * host (the caller caches). A Proxy over a plain object, so templates, conditions and validation read
 * it as any mapping (`hostvars.relay1.ansible_host`, `lookup hostvars name`, `#each hostvars`).
 */
export function lazyHostvars(inventory: Inventory, entry: (host: string) => Vars): Vars {
  return lazyMapping([...inventory.hosts.keys()], (k) => inventory.hosts.has(k), entry);
}

/** A read-only mapping of `names` whose values are `entry(name)`, computed when read. */
function lazyMapping(names: string[], isName: (k: string) => boolean, entry: (name: string) => unknown): Vars {
  const has = (k: string | symbol): k is string => typeof k === 'string' && isName(k);
  return new Proxy({} as Vars, {
    has: (t, k) => has(k) || Reflect.has(t, k),
    get: (t, k, r) => (has(k) ? entry(k) : Reflect.get(t, k, r)),
    ownKeys: () => names,
    getOwnPropertyDescriptor: (_t, k) => (has(k) ? { value: entry(k), enumerable: true, configurable: true, writable: false } : undefined),
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

/** The variables saying where a host is, in the order a relay's inventory address is taken from (then its name). */
export const ADDRESS_VARS = ['ssh_host', 'ansible_host'] as const;

/**
 * `group_addresses`: every group (as `groups`) → its hosts' inventory addresses (`ssh_host`, else
 * `ansible_host`, else the host name; an empty value counts as unset), in the group's order, each
 * host read as `hostvars`' entry for it says (`entry` may give just those variables). A group's list is computed when
 * first read and kept: the mapping is one value for the whole play (its entries do not change within
 * a play), registered as such for the render cache.
 */
export function lazyGroupAddresses(inventory: Inventory, entry: (host: string) => Vars): Vars {
  const groups = groupsOf(inventory);
  const lists = new Map<string, readonly unknown[]>();
  const addressOf = (group: string, host: string): unknown => {
    let vars: Vars;
    try {
      vars = entry(host);
    } catch (err) {
      if (err instanceof Error) err.message = `group_addresses.${group}: ${err.message}`;
      throw err;
    }
    for (const name of ADDRESS_VARS) {
      const v = vars[name];
      if (v !== undefined && v !== null && v !== '' && v !== false) return v;
    }
    return host;
  };
  return runConstant(
    lazyMapping(Object.keys(groups), (g) => Object.hasOwn(groups, g), (g) => {
      let list = lists.get(g);
      if (!list) lists.set(g, (list = Object.freeze(groups[g]!.map((h) => addressOf(g, h)))));
      return list;
    }),
  );
}

/** `inventory_hostname_short`: the name up to its first dot. */
export function shortName(host: string): string {
  return host.split('.')[0]!;
}

/** The run's host lists of a play, as the engine knows them (after --limit; `serial:` batches). */
export function playHostVars(playHosts: readonly string[], batch: readonly string[]): Vars {
  return { play_hosts: playHosts, ansible_play_hosts: playHosts, ansible_play_hosts_all: playHosts, ansible_play_batch: batch };
}
