// What `fleetplan pull` applies and to whom: the plan in the bundle (given, else ansible-pull's
// choice: <hostname>.yml, <short hostname>.yml, local.yml) and an inventory of this host alone — the
// bundle's own (-i, limited to this host's name) or one written for it: the host under its short
// hostname, also in a group `localhost`, so that a play's `hosts:` may be `all`, `localhost` or the
// host's name. Paths given for the bundle stay inside it.
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { refused } from './errors.js';

/** This host's inventory name: its hostname up to the first dot. */
export const localHostName = (): string => os.hostname().split('.')[0] || 'localhost';

/** `rel` resolved inside `root`; refused when absolute or climbing out of it. */
export function insideBundle(root: string, rel: string, what: string): string {
  const abs = path.resolve(root, rel);
  if (path.isAbsolute(rel) || (abs !== root && !abs.startsWith(`${root}${path.sep}`))) throw refused(`${what} ${rel}: a path inside the bundle, relative to its top`);
  return abs;
}

export function choosePlan(root: string, given: string | undefined): string {
  if (given !== undefined) {
    const plan = insideBundle(root, given, 'the plan');
    if (!existsSync(plan)) throw refused(`the bundle has no ${given}`);
    return plan;
  }
  const names = [...new Set([`${os.hostname()}.yml`, `${localHostName()}.yml`, 'local.yml'])];
  const found = names.map((n) => path.join(root, n)).find((p) => existsSync(p));
  if (!found) throw refused(`the bundle has none of ${names.join(', ')}: name the plan to apply`);
  return found;
}

/** Writes the one-host inventory into the pull's directory. */
export function writeLocalInventory(dir: string, name = localHostName()): string {
  const file = path.join(dir, 'inventory.yml');
  const host = JSON.stringify(name);
  const lines = ['# Written by fleetplan pull: this host alone, reached with the local connection.', 'all:', '  hosts:', `    ${host}: { connection: local }`];
  if (name !== 'localhost') lines.push('  children:', '    localhost:', '      hosts:', `        ${host}: {}`);
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}
