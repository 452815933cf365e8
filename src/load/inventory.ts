// Inventory loading. Sources, in command-line order (several `-i` merge: a host or group met again is
// the same one; a later source's variables replace an earlier one's key by key, as in Ansible):
//
//   - an executable file: a dynamic inventory script (inventory-script.ts)
//   - *.yml, *.yaml, *.json: Ansible's YAML layout (inventory-yaml.ts)
//   - anything else: YAML when its first line reads like YAML (`all:`, `---`), else Ansible's INI
//     format (inventory-ini.ts) — the order in which Ansible's own plugins try a file
//   - a directory: its files, as Ansible reads an inventory directory (inventory-sources.ts)
//
// plus the group_vars/ and host_vars/ directories beside each source and beside the plan
// (inventory-vars-dirs.ts), layered as Ansible layers them (groupVarLayers). A whole source file may be
// vault-encrypted (fleetplan's or ansible-vault's format).
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../core/errors.js';
import { readInputText } from '../core/input-limits.js';
import { isPlainObject, type SecretRegistry } from '../core/secret.js';
import type { Inventory, InventoryGroup, InventoryHost, Vars, VarsDir } from './model.js';
import { findCycles } from './cycles.js';
import { Issues, didYouMean } from './issues.js';
import { InventoryDraft, type GroupDraft, type HostDraft } from './inventory-draft.js';
import { readIniInventory } from './inventory-ini.js';
import { readListedInventory, readScriptInventory } from './inventory-script.js';
import { readVarsDir } from './inventory-vars-dirs.js';
import { readYamlInventory } from './inventory-yaml.js';
import { inventorySources } from './inventory-sources.js';
import { displayPath } from '../core/paths.js';
import { YamlSource } from './yaml.js';
import { isVaultText, markSecretLeaves, openVaultFile } from '../vault/load.js';

export { selectHosts, groupHosts } from './patterns.js';

export type InventoryFormat = 'script' | 'yaml' | 'ini';

/**
 * Load one inventory source or several (merged in order). `secrets`: the run's registry, which the
 * inventory's and its vars files' secrets register into.
 */
export function loadInventory(files: string | readonly string[], secrets: SecretRegistry): Inventory {
  const { files: sources, varsDirs } = inventorySources((typeof files === 'string' ? [files] : [...files]).map((f) => path.resolve(f)));
  if (!sources.length) throw new InputError('no inventory file in this directory', { pos: { file: displayPath(path.resolve(typeof files === 'string' ? files : files[0] ?? '.')) } });
  const issues = new Issues();
  const draft = new InventoryDraft();
  for (const abs of sources) issues.try(() => readSource(abs, draft, issues, secrets));
  issues.throwIfAny();
  draft.group('all', { file: displayPath(sources[0] ?? '.') });
  draft.reconcile();
  for (const h of draft.hosts.values()) {
    if (draft.groups.has(h.name)) issues.add(h.pos, `'${h.name}' is both a host and a group`);
  }
  // Each cycle in `children` once, at the child entry that closes it.
  findCycles(draft.groups.keys(), (name) => draft.groups.get(name)!.children, (cycle, pos) => issues.add(pos, `group cycle: ${cycle.join(' → ')}`));
  issues.throwIfAny();
  const inventory = buildInventory(sources, draft.groups, draft.hosts);
  for (const dir of varsDirs) issues.try(() => addVarsDir(inventory, dir, 'inventory', secrets));
  issues.throwIfAny();
  return inventory;
}

/** How Ansible would read this file (see the top of this file). */
export function inventoryFormat(abs: string, text?: string): InventoryFormat {
  if (isExecutable(abs)) return 'script';
  if (/\.(ya?ml|json)$/i.test(abs)) return 'yaml';
  const first = (text ?? '').split(/\r?\n/).map((l) => l.trim()).find((l) => l && !l.startsWith('#') && !l.startsWith(';'));
  return first !== undefined && (first === '---' || /^[^\s=[\]#;]+:(\s|$)/.test(first) || first.startsWith('{')) ? 'yaml' : 'ini';
}

function isExecutable(abs: string): boolean {
  try {
    accessSync(abs, constants.X_OK);
    return statSync(abs).isFile();
  } catch {
    return false;
  }
}

function readSource(abs: string, draft: InventoryDraft, issues: Issues, secrets: SecretRegistry): void {
  const file = displayPath(abs);
  if (!existsSync(abs)) throw new InputError('inventory file not found', { pos: { file } });
  if (inventoryFormat(abs) === 'script') return readScriptInventory(abs, file, draft, issues);
  const raw = readText(abs, file);
  const encrypted = isVaultText(raw);
  const text = encrypted ? openVaultFile(raw, file, secrets) : raw;
  if (inventoryFormat(abs, text) === 'ini') {
    if (text.startsWith('#!')) throw new InputError('starts with #! but is not executable: make it executable (chmod +x) to run it as an inventory script', { pos: { file, line: 1, col: 1 } });
    return readIniInventory(text, file, draft, issues, secrets, { allSecret: encrypted });
  }
  const src = YamlSource.parse(text, abs, secrets);
  // As any encrypted YAML file: every string in it is a secret.
  if (encrypted) markSecretLeaves(src.doc, secrets);
  const top = src.value(src.root);
  if (isPlainObject(top) && '_meta' in top) return readListedInventory(top, { file }, draft, issues);
  if (isPlainObject(top) && typeof top.plugin === 'string') {
    const at = src.entries(src.root).find((e) => e.key === 'plugin')!;
    throw new InputError(
      `an inventory plugin's configuration (plugin: ${top.plugin}): fleetplan runs no inventory plugins; list its hosts with Ansible once (ansible-inventory -i ${path.basename(abs)} --list > inventory.json) and give that file, or use the plugin's inventory script`,
      { pos: src.pos(at.keyNode) },
    );
  }
  readYamlInventory(src, draft, issues);
}

function readText(abs: string, file: string): string {
  try {
    return readInputText(abs, { file });
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { pos: { file }, cause: err });
  }
}

/**
 * The group_vars/ and host_vars/ beside the plan (Ansible's playbook group_vars), over those beside
 * the inventory. The plan's directory is skipped when it is an inventory source's directory too.
 */
export function addPlanVarsDir(inventory: Inventory, planFile: string, secrets: SecretRegistry): void {
  const dir = path.dirname(path.resolve(planFile));
  if (inventory.varsDirs.some((d) => d.dir === dir)) return;
  addVarsDir(inventory, dir, 'plan', secrets);
}

function addVarsDir(inventory: Inventory, dir: string, beside: VarsDir['beside'], secrets: SecretRegistry): void {
  const vd = readVarsDir(dir, beside, { groups: inventory.groups.keys(), hosts: inventory.hosts.keys() }, secrets);
  if (!vd.files.length) return;
  inventory.varsDirs.push(vd);
  for (const [name, vars] of vd.hosts) Object.assign(inventory.hosts.get(name)!.vars, vars);
}

/** The loaded inventory: each host's groups in precedence order (ancestors first, then by depth and name). */
function buildInventory(files: string[], groups: Map<string, GroupDraft>, hosts: Map<string, HostDraft>): Inventory {
  const depth = depths(groups);
  const parents = new Map<string, string[]>();
  for (const g of groups.values()) for (const c of g.children.keys()) parents.set(c, [...(parents.get(c) ?? []), g.name]);
  const ancestors = (name: string, acc: Set<string>): Set<string> => {
    if (acc.has(name)) return acc;
    acc.add(name);
    for (const p of parents.get(name) ?? []) ancestors(p, acc);
    return acc;
  };
  const byPrecedence = (a: string, b: string) => depth.get(a)! - depth.get(b)! || (a < b ? -1 : a > b ? 1 : 0);

  const inventory: Inventory = { file: files[0] ?? path.resolve('inventory.yml'), files, hosts: new Map(), groups: new Map(), varsDirs: [] };
  for (const g of groups.values()) {
    const out: InventoryGroup = {
      name: g.name, hosts: [...g.hosts], children: [...g.children.keys()], vars: g.vars, depth: depth.get(g.name)!, pos: g.pos,
    };
    inventory.groups.set(g.name, out);
  }
  for (const h of hosts.values()) {
    const acc = new Set<string>(['all']);
    for (const d of h.direct) ancestors(d, acc);
    const out: InventoryHost = { name: h.name, groups: [...acc].sort(byPrecedence), vars: h.vars, inlineVars: { ...h.vars }, pos: h.pos };
    inventory.hosts.set(h.name, out);
  }
  return inventory;
}

/**
 * A host's inventory variables: every group layer (groupVarLayers), then the host's own vars. Top-level
 * keys replace.
 */
export function hostVars(inventory: Inventory, hostName: string): Vars {
  const host = inventory.hosts.get(hostName);
  if (!host) throw new InputError(`unknown host '${hostName}'${didYouMean(hostName, inventory.hosts.keys())}`, { pos: { file: displayPath(inventory.file) } });
  return Object.assign({}, ...groupVarLayers(inventory, hostName), host.vars) as Vars;
}

/**
 * The group vars layers of a host, lowest precedence first, as Ansible layers them: the inventory's
 * own group vars (all, then the host's groups by depth and name), then group_vars/all files (beside
 * each inventory source, then beside the plan), then the other groups' group_vars files (the same
 * order of directories, each in group order).
 */
export function groupVarLayers(inventory: Inventory, hostName: string): Vars[] {
  const groups = inventory.hosts.get(hostName)?.groups ?? ['all'];
  const layers = groups.map((g) => inventory.groups.get(g)?.vars ?? {});
  for (const d of inventory.varsDirs) layers.push(d.groups.get('all') ?? {});
  for (const d of inventory.varsDirs) for (const g of groups) if (g !== 'all') layers.push(d.groups.get(g) ?? {});
  return layers;
}

/**
 * Every inventory layer of a host's variables, lowest precedence first, each named for people (what
 * `hostVars` merges, in the same order): for showing where a value comes from.
 */
export function namedVarLayers(inventory: Inventory, hostName: string): NamedVarLayer[] {
  const host = inventory.hosts.get(hostName);
  const groups = host?.groups ?? ['all'];
  const fromDir = (d: VarsDir, kind: 'group_vars' | 'host_vars', name: string, vars: Vars): NamedVarLayer => ({
    layer: `${displayPath(path.join(d.dir, kind, name))}[.yml|.yaml|.json|/] (beside the ${d.beside})`,
    label: kind === 'group_vars' ? `group ${name}` : 'host',
    vars,
    source: { dir: d.dir, kind, name },
  });
  const out: NamedVarLayer[] = groups.map((g) => ({ layer: `inventory: vars of group ${g}`, label: `group ${g}`, vars: inventory.groups.get(g)?.vars ?? {} }));
  for (const d of inventory.varsDirs) out.push(fromDir(d, 'group_vars', 'all', d.groups.get('all') ?? {}));
  for (const d of inventory.varsDirs) for (const g of groups) if (g !== 'all') out.push(fromDir(d, 'group_vars', g, d.groups.get(g) ?? {}));
  out.push({ layer: `inventory: host ${hostName}`, label: 'host', vars: host?.inlineVars ?? {} });
  for (const d of inventory.varsDirs) out.push(fromDir(d, 'host_vars', hostName, d.hosts.get(hostName) ?? {}));
  return out.filter((l) => Object.keys(l.vars).length);
}

/** One layer of a host's inventory variables; `source`: the group_vars/host_vars entry it was read from. */
export interface NamedVarLayer {
  layer: string;
  /** Short: "group <name>" or "host" (the file says which of a group's layers). */
  label: string;
  vars: Vars;
  source?: { dir: string; kind: 'group_vars' | 'host_vars'; name: string };
}

/** Depth of each group = longest path from `all` (a group nested deeper is more specific). */
function depths(groups: Map<string, GroupDraft>): Map<string, number> {
  const depth = new Map<string, number>([['all', 0]]);
  // The graph is acyclic here; relax edges until stable (inventories are small).
  for (let changed = true; changed; ) {
    changed = false;
    for (const g of groups.values()) {
      const d = depth.get(g.name);
      if (d === undefined) continue;
      for (const c of g.children.keys()) {
        if ((depth.get(c) ?? -1) < d + 1) {
          depth.set(c, d + 1);
          changed = true;
        }
      }
    }
  }
  for (const g of groups.keys()) if (!depth.has(g)) depth.set(g, 1);
  return depth;
}
