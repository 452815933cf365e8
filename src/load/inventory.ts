// Inventory loading, Ansible's YAML shape:
//
//   all:
//     vars: {...}
//     hosts: {web1: {ansible_host: 10.0.0.1}, web2: }
//     children:
//       relays: {hosts: {...}, children: {...}, vars: {...}}
//
// plus group_vars/<group>.yml (or group_vars/<group>/*.yml) and host_vars/<host>.yml beside the file.
// Top-level groups other than `all` are children of `all`. A host listed in several groups is one host.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, type SourcePos } from '../core/errors.js';
import type { SecretRegistry } from '../core/secret.js';
import type { Inventory, InventoryGroup, InventoryHost, Vars } from './model.js';
import { findCycles } from './cycles.js';
import { Issues, didYouMean, orList } from './issues.js';
import { GROUP_KEYS } from './keywords/inventory.js';
import { displayPath } from '../core/paths.js';
import { YamlSource, isMap, nodeKind, type MapEntry, type Node } from './yaml.js';

export { selectHosts, groupHosts } from './patterns.js';

interface GroupDraft {
  name: string;
  hosts: Set<string>;
  children: Map<string, SourcePos>;
  vars: Vars;
  pos: SourcePos;
}

interface HostDraft {
  name: string;
  vars: Vars;
  direct: Set<string>;
  pos: SourcePos;
}

/** `secrets`: the run's registry, which the inventory's and its vars files' secrets register into. */
export function loadInventory(file: string, secrets: SecretRegistry): Inventory {
  const issues = new Issues();
  const src = YamlSource.read(file, secrets);
  const { groups, hosts } = new InventoryReader(src, issues).read();
  for (const h of hosts.values()) {
    if (groups.has(h.name)) issues.add(h.pos, `'${h.name}' is both a host and a group`);
  }
  // Each cycle in `children` once, at the child entry that closes it.
  findCycles(groups.keys(), (name) => groups.get(name)!.children, (cycle, pos) => issues.add(pos, `group cycle: ${cycle.join(' → ')}`));
  issues.throwIfAny();

  // Files beside the inventory override its inline vars (top-level keys replace).
  const dir = path.dirname(src.abs);
  for (const g of groups.values()) Object.assign(g.vars, issues.try(() => varFiles(dir, 'group_vars', g.name, secrets)) ?? {});
  for (const h of hosts.values()) Object.assign(h.vars, issues.try(() => varFiles(dir, 'host_vars', h.name, secrets)) ?? {});
  issues.throwIfAny();
  return buildInventory(src.abs, groups, hosts);
}

/** The groups and hosts of an inventory file as written (problems go to `issues`). */
class InventoryReader {
  readonly groups = new Map<string, GroupDraft>();
  readonly hosts = new Map<string, HostDraft>();
  constructor(private readonly src: YamlSource, private readonly issues: Issues) {}

  read(): this {
    const { src, issues } = this;
    const root = src.root;
    const all = this.group('all', src.pos(root));
    if (!root || src.value(root) === null) return this;
    if (!isMap(root)) {
      issues.add(src.pos(root), `inventory: expected a mapping of groups (usually 'all:'), got ${nodeKind(root)}`);
      return this;
    }
    for (const e of src.entries(root)) {
      const pos = src.pos(e.keyNode);
      if (e.key !== 'all' && !all.children.has(e.key)) all.children.set(e.key, pos);
      this.readGroup(this.group(e.key, pos), e.value);
    }
    return this;
  }

  group(name: string, pos: SourcePos): GroupDraft {
    let g = this.groups.get(name);
    if (!g) this.groups.set(name, (g = { name, hosts: new Set(), children: new Map(), vars: {}, pos }));
    return g;
  }

  /** A mapping (or nothing) of variables; anything else is an error at the node. */
  varsOf(node: Node | null, what: string): Vars {
    const { src } = this;
    if (!node || src.value(node) === null) return {};
    if (!isMap(node)) {
      this.issues.add(src.pos(node), `${what}: expected a mapping of variables, got ${nodeKind(node)}`);
      return {};
    }
    return src.value(node) as Vars;
  }

  readGroup(g: GroupDraft, node: Node | null): void {
    const { src, issues } = this;
    if (!node || (src.value(node) ?? null) === null) return;
    if (!isMap(node)) {
      issues.add(src.pos(node), `group '${g.name}': expected a mapping with ${orList(GROUP_KEYS)}, got ${nodeKind(node)}`);
      return;
    }
    for (const e of src.entries(node)) {
      if (e.key === 'vars') Object.assign(g.vars, this.varsOf(e.value, `vars of group '${g.name}'`));
      else if (e.key === 'hosts') this.readHosts(g, e.value);
      else if (e.key === 'children') this.readChildren(g, e.value);
      else issues.add(src.pos(e.keyNode), `unknown key '${e.key}' in group '${g.name}' (expected ${orList(GROUP_KEYS)})${didYouMean(e.key, GROUP_KEYS)}`);
    }
  }

  /** The entries of a mapping (or of nothing); anything else is an error at the node. */
  entriesOf(node: Node | null, what: string, expected: string): MapEntry[] {
    const { src } = this;
    if (node && !isMap(node) && src.value(node) !== null) {
      this.issues.add(src.pos(node), `${what}: expected ${expected}, got ${nodeKind(node)}`);
      return [];
    }
    return src.entries(node);
  }

  readHosts(g: GroupDraft, node: Node | null): void {
    for (const h of this.entriesOf(node, `hosts of group '${g.name}'`, 'a mapping of host names')) {
      const pos = this.src.pos(h.keyNode);
      let host = this.hosts.get(h.key);
      if (!host) this.hosts.set(h.key, (host = { name: h.key, vars: {}, direct: new Set(), pos }));
      host.direct.add(g.name);
      g.hosts.add(h.key);
      Object.assign(host.vars, this.varsOf(h.value, `host '${h.key}'`));
    }
  }

  readChildren(g: GroupDraft, node: Node | null): void {
    for (const c of this.entriesOf(node, `children of group '${g.name}'`, 'a mapping of group names')) {
      const pos = this.src.pos(c.keyNode);
      if (!g.children.has(c.key)) g.children.set(c.key, pos);
      this.readGroup(this.group(c.key, pos), c.value);
    }
  }
}

/** The loaded inventory: each host's groups in precedence order (ancestors first, then by depth and name). */
function buildInventory(file: string, groups: Map<string, GroupDraft>, hosts: Map<string, HostDraft>): Inventory {
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

  const inventory: Inventory = { file, hosts: new Map(), groups: new Map() };
  for (const g of groups.values()) {
    const out: InventoryGroup = {
      name: g.name, hosts: [...g.hosts], children: [...g.children.keys()], vars: g.vars, depth: depth.get(g.name)!, pos: g.pos,
    };
    inventory.groups.set(g.name, out);
  }
  for (const h of hosts.values()) {
    const acc = new Set<string>(['all']);
    for (const d of h.direct) ancestors(d, acc);
    const out: InventoryHost = { name: h.name, groups: [...acc].sort(byPrecedence), vars: h.vars, pos: h.pos };
    inventory.hosts.set(h.name, out);
  }
  return inventory;
}

/**
 * A host's inventory variables: group vars in precedence order (all < parents < children; groups of
 * equal depth alphabetically, as Ansible), then the host's own vars. Top-level keys replace.
 */
export function hostVars(inventory: Inventory, hostName: string): Vars {
  const host = inventory.hosts.get(hostName);
  if (!host) throw new InputError(`unknown host '${hostName}'${didYouMean(hostName, inventory.hosts.keys())}`, { pos: { file: displayPath(inventory.file) } });
  const out: Vars = {};
  for (const g of host.groups) Object.assign(out, inventory.groups.get(g)?.vars);
  return Object.assign(out, host.vars);
}

/** The group vars layers of a host, lowest precedence first (for the variable layering in vars.ts). */
export function groupVarLayers(inventory: Inventory, hostName: string): Vars[] {
  const host = inventory.hosts.get(hostName);
  return (host?.groups ?? ['all']).map((g) => inventory.groups.get(g)?.vars ?? {});
}

/** `<dir>/<kind>/<name>.yml|.yaml`, then `<dir>/<kind>/<name>/*.yml` in name order; must be mappings. */
function varFiles(dir: string, kind: 'group_vars' | 'host_vars', name: string, secrets: SecretRegistry): Vars {
  const base = path.join(dir, kind, name);
  const files: string[] = [];
  for (const ext of ['.yml', '.yaml']) if (existsSync(base + ext)) files.push(base + ext);
  if (existsSync(base) && statSync(base).isDirectory()) {
    for (const f of readdirSync(base).sort()) if (/\.ya?ml$/.test(f)) files.push(path.join(base, f));
  }
  const issues = new Issues();
  const out: Vars = {};
  for (const f of files) {
    const src = issues.try(() => YamlSource.read(f, secrets));
    if (!src) continue;
    const v = src.value(src.root);
    if (v === null || v === undefined) continue;
    if (!isMap(src.root)) {
      issues.add(src.pos(src.root), `${kind} file: expected a mapping of variables, got ${nodeKind(src.root)}`);
      continue;
    }
    Object.assign(out, v);
  }
  issues.throwIfAny();
  return out;
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
