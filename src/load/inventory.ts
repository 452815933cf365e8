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
import type { Inventory, InventoryGroup, InventoryHost, Vars } from './model.js';
import { Issues, didYouMean, orList } from './issues.js';
import { GROUP_KEYS } from './keywords/inventory.js';
import { displayPath } from './paths.js';
import { YamlSource, isMap, nodeKind, type Node } from './yaml.js';

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

export function loadInventory(file: string): Inventory {
  const issues = new Issues();
  const src = YamlSource.read(file);
  const groups = new Map<string, GroupDraft>();
  const hosts = new Map<string, HostDraft>();

  const group = (name: string, pos: SourcePos): GroupDraft => {
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { name, hosts: new Set(), children: new Map(), vars: {}, pos }));
    return g;
  };

  /** A mapping (or nothing) of variables; anything else is an error at the node. */
  const varsOf = (node: Node | null, what: string): Vars => {
    if (!node || src.value(node) === null) return {};
    if (!isMap(node)) {
      issues.add(src.pos(node), `${what}: expected a mapping of variables, got ${nodeKind(node)}`);
      return {};
    }
    return src.value(node) as Vars;
  };

  const parseGroup = (g: GroupDraft, node: Node | null): void => {
    if (!node || (src.value(node) ?? null) === null) return;
    if (!isMap(node)) {
      issues.add(src.pos(node), `group '${g.name}': expected a mapping with ${orList(GROUP_KEYS)}, got ${nodeKind(node)}`);
      return;
    }
    for (const e of src.entries(node)) {
      if (e.key === 'vars') {
        Object.assign(g.vars, varsOf(e.value, `vars of group '${g.name}'`));
      } else if (e.key === 'hosts') {
        if (e.value && !isMap(e.value) && src.value(e.value) !== null) {
          issues.add(src.pos(e.value), `hosts of group '${g.name}': expected a mapping of host names, got ${nodeKind(e.value)}`);
          continue;
        }
        for (const h of src.entries(e.value)) {
          const pos = src.pos(h.keyNode);
          let host = hosts.get(h.key);
          if (!host) hosts.set(h.key, (host = { name: h.key, vars: {}, direct: new Set(), pos }));
          host.direct.add(g.name);
          g.hosts.add(h.key);
          Object.assign(host.vars, varsOf(h.value, `host '${h.key}'`));
        }
      } else if (e.key === 'children') {
        if (e.value && !isMap(e.value) && src.value(e.value) !== null) {
          issues.add(src.pos(e.value), `children of group '${g.name}': expected a mapping of group names, got ${nodeKind(e.value)}`);
          continue;
        }
        for (const c of src.entries(e.value)) {
          const pos = src.pos(c.keyNode);
          if (!g.children.has(c.key)) g.children.set(c.key, pos);
          parseGroup(group(c.key, pos), c.value);
        }
      } else {
        issues.add(src.pos(e.keyNode),
          `unknown key '${e.key}' in group '${g.name}' (expected ${orList(GROUP_KEYS)})${didYouMean(e.key, GROUP_KEYS)}`);
      }
    }
  };

  const root = src.root;
  const all = group('all', src.pos(root));
  if (root && src.value(root) !== null) {
    if (!isMap(root)) {
      issues.add(src.pos(root), `inventory: expected a mapping of groups (usually 'all:'), got ${nodeKind(root)}`);
    } else {
      for (const e of src.entries(root)) {
        const pos = src.pos(e.keyNode);
        if (e.key !== 'all' && !all.children.has(e.key)) all.children.set(e.key, pos);
        parseGroup(group(e.key, pos), e.value);
      }
    }
  }

  for (const h of hosts.values()) {
    if (groups.has(h.name)) issues.add(h.pos, `'${h.name}' is both a host and a group`);
  }
  findCycles(groups, issues);
  issues.throwIfAny();

  // Files beside the inventory override its inline vars (top-level keys replace).
  const dir = path.dirname(src.abs);
  for (const g of groups.values()) Object.assign(g.vars, issues.try(() => varFiles(dir, 'group_vars', g.name)) ?? {});
  for (const h of hosts.values()) Object.assign(h.vars, issues.try(() => varFiles(dir, 'host_vars', h.name)) ?? {});
  issues.throwIfAny();

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

  const inventory: Inventory = { file: src.abs, hosts: new Map(), groups: new Map() };
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
function varFiles(dir: string, kind: 'group_vars' | 'host_vars', name: string): Vars {
  const base = path.join(dir, kind, name);
  const files: string[] = [];
  for (const ext of ['.yml', '.yaml']) if (existsSync(base + ext)) files.push(base + ext);
  if (existsSync(base) && statSync(base).isDirectory()) {
    for (const f of readdirSync(base).sort()) if (/\.ya?ml$/.test(f)) files.push(path.join(base, f));
  }
  const issues = new Issues();
  const out: Vars = {};
  for (const f of files) {
    const src = issues.try(() => YamlSource.read(f));
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

/** Report each cycle in `children` once, at the child entry that closes it. */
function findCycles(groups: Map<string, GroupDraft>, issues: Issues): void {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    const g = groups.get(name)!;
    for (const [child, pos] of g.children) {
      const s = state.get(child);
      if (s === 'active') {
        const cycle = [...stack.slice(stack.indexOf(child)), child].join(' → ');
        issues.add(pos, `group cycle: ${cycle}`);
      } else if (s === undefined) {
        visit(child);
      }
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of groups.keys()) if (!state.has(name)) visit(name);
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
