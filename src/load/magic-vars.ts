// Ansible's "magic" variables about the inventory and the run: `groups` (every group's hosts, `all`
// and `ungrouped` included), `hostvars` (every inventory host's variables, computed when read, never
// materialised per task: a template over 1000 hosts costs what it reads) and the names of the play's
// hosts. Built here so `fleetplan validate` knows them statically as the engine does at run time.
import type { Inventory, Vars } from './model.js';

/** The variable names this module's values are set under (reserved: no layer can override them). */
export const MAGIC_VARS = [
  'groups', 'hostvars', 'inventory_hostname_short', 'play_hosts', 'ansible_play_hosts', 'ansible_play_hosts_all', 'ansible_play_batch',
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
  groupsCache.set(inventory, Object.freeze(out));
  return out;
}

/**
 * `hostvars`: a mapping of every inventory host name to `entry(name)`, computed on first read of that
 * host (the caller caches). A Proxy over a plain object, so templates, conditions and validation read
 * it as any mapping (`hostvars.relay1.ansible_host`, `lookup hostvars name`, `#each hostvars`).
 */
export function lazyHostvars(inventory: Inventory, entry: (host: string) => Vars): Vars {
  const names = [...inventory.hosts.keys()];
  const isHost = (k: string | symbol): k is string => typeof k === 'string' && inventory.hosts.has(k);
  return new Proxy({} as Vars, {
    has: (t, k) => isHost(k) || Reflect.has(t, k),
    get: (t, k, r) => (isHost(k) ? entry(k) : Reflect.get(t, k, r)),
    ownKeys: () => names,
    getOwnPropertyDescriptor: (_t, k) => (isHost(k) ? { value: entry(k), enumerable: true, configurable: true, writable: false } : undefined),
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

/** `inventory_hostname_short`: the name up to its first dot. */
export function shortName(host: string): string {
  return host.split('.')[0]!;
}

/** The run's host lists of a play, as the engine knows them (after --limit; `serial:` batches). */
export function playHostVars(playHosts: readonly string[], batch: readonly string[]): Vars {
  return { play_hosts: playHosts, ansible_play_hosts: playHosts, ansible_play_hosts_all: playHosts, ansible_play_batch: batch };
}
