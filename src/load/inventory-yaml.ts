// Ansible's YAML inventory layout:
//
//   all:
//     vars: {...}
//     hosts: {web1: {ansible_host: 10.0.0.1}, web2: }
//     children:
//       relays: {hosts: {...}, children: {...}, vars: {...}}
//
// Top-level groups other than `all` are children of `all`. A host listed in several groups is one host.
import type { GroupDraft, InventoryDraft } from './inventory-draft.js';
import type { Vars } from './model.js';
import { Issues, didYouMean, orList } from './issues.js';
import { GROUP_KEYS } from './keywords/inventory.js';
import { isMap, nodeKind, type MapEntry, type Node, type YamlSource } from './yaml.js';

/** The groups and hosts of a YAML inventory, into `draft` (problems go to `issues`). */
export function readYamlInventory(src: YamlSource, draft: InventoryDraft, issues: Issues): void {
  new YamlInventoryReader(src, draft, issues).read();
}

class YamlInventoryReader {
  constructor(private readonly src: YamlSource, private readonly draft: InventoryDraft, private readonly issues: Issues) {}

  read(): void {
    const { src, issues, draft } = this;
    const root = src.root;
    const all = draft.group('all', src.pos(root));
    if (!root || src.value(root) === null) return;
    if (!isMap(root)) {
      issues.add(src.pos(root), `inventory: expected a mapping of groups (usually 'all:'), got ${nodeKind(root)}`);
      return;
    }
    for (const e of src.entries(root)) {
      const pos = src.pos(e.keyNode);
      this.readGroup(e.key === 'all' ? all : draft.child(all, e.key, pos), e.value);
    }
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
      this.draft.host(h.key, g, this.src.pos(h.keyNode), this.varsOf(h.value, `host '${h.key}'`));
    }
  }

  readChildren(g: GroupDraft, node: Node | null): void {
    for (const c of this.entriesOf(node, `children of group '${g.name}'`, 'a mapping of group names')) {
      this.readGroup(this.draft.child(g, c.key, this.src.pos(c.keyNode)), c.value);
    }
  }
}
