// The groups and hosts of an inventory while its sources are read: every format (YAML, Ansible's
// INI, an inventory script's JSON) writes into one draft, so several `-i` sources merge as Ansible
// merges them — a host or group met again is the same one, and a later source's variables replace an
// earlier one's key by key.
import type { SourcePos } from '../core/errors.js';
import type { Vars } from './model.js';

export interface GroupDraft {
  name: string;
  hosts: Set<string>;
  children: Map<string, SourcePos>;
  vars: Vars;
  pos: SourcePos;
}

export interface HostDraft {
  name: string;
  vars: Vars;
  /** The groups the host is listed in directly (not through children). */
  direct: Set<string>;
  pos: SourcePos;
}

export class InventoryDraft {
  readonly groups = new Map<string, GroupDraft>();
  readonly hosts = new Map<string, HostDraft>();

  group(name: string, pos: SourcePos): GroupDraft {
    let g = this.groups.get(name);
    if (!g) this.groups.set(name, (g = { name, hosts: new Set(), children: new Map(), vars: {}, pos }));
    return g;
  }

  /** `host` listed in `group` (created if new), with these variables over what it had. */
  host(name: string, group: GroupDraft, pos: SourcePos, vars: Vars = {}): HostDraft {
    let host = this.hosts.get(name);
    if (!host) this.hosts.set(name, (host = { name, vars: {}, direct: new Set(), pos }));
    host.direct.add(group.name);
    group.hosts.add(name);
    Object.assign(host.vars, vars);
    return host;
  }

  /** `child` (created if new) is a child of `parent`. */
  child(parent: GroupDraft, child: string, pos: SourcePos): GroupDraft {
    if (!parent.children.has(child)) parent.children.set(child, pos);
    return this.group(child, pos);
  }

  /**
   * As Ansible reconciles an inventory: a group that no group contains is a child of `all`, and a host
   * listed in a group besides `ungrouped` is no longer in `ungrouped`.
   */
  reconcile(): void {
    const all = this.groups.get('all');
    if (!all) return;
    const contained = new Set([...this.groups.values()].flatMap((g) => [...g.children.keys()]));
    for (const g of this.groups.values()) if (g.name !== 'all' && !contained.has(g.name) && !all.children.has(g.name)) all.children.set(g.name, g.pos);
    const ungrouped = this.groups.get('ungrouped');
    if (!ungrouped) return;
    for (const h of this.hosts.values()) {
      if (!h.direct.has('ungrouped') || [...h.direct].every((g) => g === 'ungrouped' || g === 'all')) continue;
      h.direct.delete('ungrouped');
      ungrouped.hosts.delete(h.name);
    }
  }
}
