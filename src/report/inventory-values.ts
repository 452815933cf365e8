// The values grouping treats as a host's own (src/report/group.ts): besides its name and its
// hostname, fqdn and address facts, each inventory variable that EVERY host of the run sets for
// itself (inventory entry and host_vars/) and not all to the same value — a DKIM selector, an
// address. A variable only some hosts set is an override: a real difference, shown as is. Only
// plain strings and numbers; never a secret, never a template.
import type { SecretRegistry } from '../core/secret.js';
import type { Inventory } from '../load/model.js';
import { hostValues, type HostValues, type ValuesOf } from './group.js';

function plainValue(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && !v.includes('{{')) return v;
  return undefined;
}

/** `hosts`: the run's hosts. A variable counts when every host sets it and two hosts' values differ. */
export function inventoryValues(inventory: Inventory, hosts: readonly string[], secrets: SecretRegistry): ValuesOf {
  const own = new Map<string, Map<string, string>>();
  const seen = new Map<string, Set<string>>();
  for (const name of hosts) {
    const vars = new Map<string, string>();
    for (const [k, raw] of Object.entries(inventory.hosts.get(name)?.vars ?? {})) {
      const v = plainValue(raw);
      if (v === undefined) continue;
      vars.set(k, v);
      if (!seen.has(k)) seen.set(k, new Set());
      seen.get(k)!.add(v);
    }
    own.set(name, vars);
  }
  const differing = new Set([...seen].filter(([k, vals]) => vals.size > 1 && hosts.every((h) => own.get(h)!.has(k))).map(([k]) => k));
  return (host, facts) => {
    const vars: HostValues = {};
    // Checked when asked (a host's secrets are known once its variables were resolved).
    for (const [k, v] of own.get(host) ?? []) if (differing.has(k) && secrets.redact(v) === v) vars[`{vars.${k}}`] = v;
    return hostValues(host, facts, vars);
  };
}
