// A relay inventory over a test fleet: the fleet's own inventory (key and known_hosts made
// absolute) plus a `relays` group of every host with the relay variables — what an operator's
// group_vars would hold. The smarthost is reached at 127.0.0.1 inside each host's own namespace.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Fleet } from '../fleet/fleet.js';

export interface RelaySettings {
  relayPort?: number;
  relayUser?: string;
  relayPassword: string;
  /** Extra YAML lines for the relays group's vars (already indented by the caller is not needed). */
  extraVars?: Record<string, string>;
}

export function writeRelayInventory(fleet: Fleet, file: string, s: RelaySettings): string {
  const base = readFileSync(fleet.inventoryPath, 'utf8')
    .replace('ssh_private_key_file: id_ed25519', `ssh_private_key_file: ${fleet.keyPath}`)
    .replace('ssh_known_hosts_file: known_hosts', `ssh_known_hosts_file: ${fleet.knownHostsPath}`);
  const groups = [...new Set(fleet.hosts.map((h) => h.os.replace(/-/g, '_')))];
  const vars: Record<string, string> = {
    relay_host: '127.0.0.1',
    relay_port: String(s.relayPort ?? 2525),
    relay_user: s.relayUser ?? 'relayuser',
    relay_password: `!secret ${JSON.stringify(s.relayPassword)}`,
    mail_domain: 'example.org',
    // Each relay signs with its own key, so each has its own selector.
    dkim_selector: '"{{inventory_hostname}}"',
    ...s.extraVars,
  };
  const text = [
    base.trimEnd(),
    '    relays:',
    `      children: { ${groups.map((g) => `${g}: {}`).join(', ')} }`,
    '      vars:',
    ...Object.entries(vars).map(([k, v]) => `        ${k}: ${v}`),
    '',
  ].join('\n');
  writeFileSync(file, text);
  return path.resolve(file);
}
