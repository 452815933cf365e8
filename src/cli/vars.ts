// `fleetplan vars <host>`: a host's merged inventory variables, each with the layer it comes from
// (group all < parent groups < child groups < the host < -e; the command line's connection flags
// below them all) and the file that says it (group_vars/, host_vars/ or the inventory, with
// line:col). Secrets (!secret, !vault, vault files, secret connection variables) are masked.
import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, formatPos, InputError } from '../core/errors.js';
import { SecretRegistry } from '../core/secret.js';
import { displayPath } from '../core/paths.js';
import { connectionVars } from '../connectors/connection-vars.js';
import { definitionLocator } from '../load/definition-locator.js';
import { didYouMean } from '../load/issues.js';
import { namedVarLayers } from '../load/inventory.js';
import type { Inventory, Vars } from '../load/model.js';
import { YamlSource } from '../load/yaml.js';
import { visible } from '../report/visible.js';
import { addInventoryOptions, addPlanOptions, extraVars, guard, readInventory, type PlanOpts } from './common.js';
import { commandLineConnection } from './connection-flags.js';
import { runSecrets } from './run-secrets.js';

interface Origin {
  value: unknown;
  layer: string;
  where: string;
}

export function registerVars(program: Command): void {
  addInventoryOptions(
    addPlanOptions(
      program
        .command('vars')
        .description("print a host's merged inventory variables, with the layer and file each comes from (secrets masked)")
        .argument('<host>', 'inventory host name')
        .option('--json', 'one JSON document: {name: {value, layer, where}}', false),
    ),
  ).action((host: string, opts: PlanOpts & { json: boolean }) =>
    guard(async () => {
      const inventory = readInventory(opts.inventory, runSecrets);
      if (!inventory.hosts.has(host)) throw new InputError(`unknown host '${host}'${didYouMean(host, inventory.hosts.keys())}`, { pos: { file: displayPath(inventory.file) } });
      const origins = hostOrigins(inventory, host, extraVars(opts.extraVars, runSecrets), commandLineVars(opts));
      const masked = (v: unknown) => runSecrets.redact(JSON.stringify(v) ?? 'null');
      if (opts.json) {
        const doc = Object.fromEntries([...origins].map(([k, o]) => [k, { value: JSON.parse(masked(o.value)), layer: o.layer, where: o.where }]));
        process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      } else {
        const groups = inventory.hosts.get(host)!.groups;
        const rows = [...origins].map(([k, o]) => [`${k}: ${masked(o.value)}`, o.layer, o.where]);
        const w0 = Math.max(...rows.map((r) => r[0]!.length), 0);
        const w1 = Math.max(...rows.map((r) => r[1]!.length), 0);
        const text = rows.map((r) => `  ${r[0]!.padEnd(w0)}  ${r[1]!.padEnd(w1)}  ${r[2]}`).join('\n');
        process.stdout.write(visible(`${host} (groups: ${groups.join(', ')}; later layers win)\n${text}\n`));
      }
      return ExitCode.ok;
    }),
  );
}

const FLAG_OF: Record<string, string> = {
  ssh_user: '-u', ssh_private_key_file: '--private-key', ssh_password: '-k', become: '-b', become_user: '--become-user', become_method: '--become-method', become_password: '-K',
};

/** The connection flags as the variables they stand for (the lowest layer). */
function commandLineVars(opts: PlanOpts): Vars {
  const c = commandLineConnection(opts);
  return Object.fromEntries(
    Object.entries({ ssh_user: c.user, ssh_private_key_file: c.privateKeyFile, ssh_password: c.password, become: c.become, become_user: c.becomeUser, become_method: c.becomeMethod, become_password: c.becomePassword }).filter(([, v]) => v !== undefined),
  );
}

/** Every variable's winning value and where it comes from, in the order the layers apply. */
function hostOrigins(inventory: Inventory, host: string, extra: Vars, cli: Vars): Map<string, Origin> {
  const locate = definitionLocator({ file: inventory.file, plays: [] }, inventory);
  const out = new Map<string, Origin>();
  const set = (vars: Vars, layer: string, files: string[], flag?: (k: string) => string) => {
    const defined = files.map((f) => ({ f, src: readQuietly(f) })).filter((x) => x.src);
    for (const [k, value] of Object.entries(vars)) {
      const file = [...defined].reverse().find((x) => x.src!.keyPos([k]));
      const pos = file ? file.src!.valuePos([k]) : locate(k, value);
      out.delete(k); // keep the order in which the winning layers apply
      out.set(k, { value, layer, where: flag ? flag(k) : pos ? formatPos(pos) : displayPath(inventory.file) });
    }
  };
  // The inventory's layers as the loader merges them (inline group vars, group_vars/ and host_vars/
  // beside each source and the plan, the host's own).
  const layers = namedVarLayers(inventory, host);
  // Connection flags count only where no spelling of the variable is set in any layer (Ansible's precedence).
  const all: Vars = { ...Object.assign({}, ...layers.map((l) => l.vars)), ...extra };
  const spellings = (name: string) => [name, ...((connectionVars as Record<string, { aliases: string[] }>)[name]?.aliases ?? [])];
  set(Object.fromEntries(Object.entries(cli).filter(([k]) => !spellings(k).some((s) => s in all))), 'command line', [], (k) => FLAG_OF[k] ?? k);
  for (const l of layers) set(l.vars, l.label, l.source ? varFiles(l.source.dir, l.source.kind, l.source.name) : []);
  for (const [k, value] of Object.entries(extra)) {
    out.delete(k);
    out.set(k, { value, layer: 'extra vars', where: '-e' });
  }
  return out;
}

/** group_vars/<name>.yml|.yaml and group_vars/<name>/*.yml, in the order they are merged. */
function varFiles(dir: string, kind: string, name: string): string[] {
  const base = path.join(dir, kind, name);
  const files = ['.yml', '.yaml'].map((e) => base + e).filter((f) => existsSync(f));
  if (existsSync(base) && statSync(base).isDirectory()) files.push(...readdirSync(base).sort().filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(base, f)));
  return files;
}

/** Read again only to find where a key is written (the run's registry already holds its secrets). */
function readQuietly(file: string): YamlSource | undefined {
  try {
    return YamlSource.read(file, new SecretRegistry());
  } catch {
    return undefined;
  }
}
