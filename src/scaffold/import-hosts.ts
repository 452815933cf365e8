// The hosts of an existing inventory, reduced to what reaching them takes, for a scaffolded inventory
// in another directory: each host's name and connection variables (from every group it is in and its
// host_vars), with key and known_hosts paths made absolute so they still work from the new directory.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { CONNECTION_PATH_VARS, CONNECTION_VARS, HOST_ADDRESS_VARS } from '../connectors/address.js';
import { InputError } from '../core/errors.js';
import { hostVars, loadInventory, selectHosts } from '../load/inventory.js';
import type { Vars } from '../load/model.js';
import { Secret, type SecretRegistry } from '../core/secret.js';

export interface ImportedHosts {
  /** The inventory they came from (absolute). */
  source: string;
  /** Connection variables every host has with the same value: the new group's vars. */
  shared: Vars;
  /** Each host and the connection variables of its own, in the source inventory's order. */
  hosts: { name: string; vars: Vars }[];
  /** Secret connection variables (passwords) left out, as "host: variable", to tell the operator. */
  secretsLeftOut: string[];
}

/** `~/…` and absolute paths stay as written; relative ones were relative to the source inventory. */
function portablePath(value: unknown, sourceDir: string): unknown {
  if (Array.isArray(value)) return value.map((v) => portablePath(v, sourceDir));
  if (typeof value !== 'string' || value === '' || value === '~' || value.startsWith('~/') || path.isAbsolute(value)) return value;
  return path.resolve(sourceDir, value);
}

/** `secrets`: the run's registry (the inventory's secrets register into it; they are left out of the copy). */
export function importHosts(inventoryFile: string, secrets: SecretRegistry, limit?: string): ImportedHosts {
  if (!existsSync(inventoryFile)) throw new InputError('inventory file not found (--hosts)', { pos: { file: inventoryFile } });
  const inventory = loadInventory(path.resolve(inventoryFile), secrets);
  const names = selectHosts(inventory, 'all', limit);
  if (names.length === 0) {
    throw new InputError(limit ? `--limit '${limit}' selects no host of this inventory` : 'the inventory has no hosts', { pos: { file: inventoryFile } });
  }
  const sourceDir = path.dirname(inventory.file);
  const secretsLeftOut: string[] = [];
  const perHost = names.map((name) => {
    const all = hostVars(inventory, name);
    const vars: Vars = {};
    for (const key of CONNECTION_VARS) {
      const value = all[key];
      if (value === undefined || value === null) continue;
      // A password must not land in a plain file; the operator sets it again (!secret_env, !vault).
      if (value instanceof Secret) {
        secretsLeftOut.push(`${name}: ${key}`);
        continue;
      }
      vars[key] = CONNECTION_PATH_VARS.includes(key) ? portablePath(value, sourceDir) : value;
    }
    return { name, vars };
  });

  // Hoisting what all hosts share keeps one line per host; where a host is stays with the host.
  const shared: Vars = {};
  for (const key of CONNECTION_VARS) {
    if (HOST_ADDRESS_VARS.includes(key)) continue;
    const first = perHost[0]!.vars[key];
    if (first !== undefined && perHost.every((h) => isDeepStrictEqual(h.vars[key], first))) shared[key] = first;
  }
  const hosts = perHost.map(({ name, vars }) => ({
    name,
    vars: Object.fromEntries(Object.entries(vars).filter(([k]) => !(k in shared))),
  }));
  return { source: inventory.file, shared, hosts, secretsLeftOut };
}
