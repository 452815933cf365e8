// Each distinct change of a run once, with the hosts that share it: what an operator reads at 1000
// hosts instead of 1000 host blocks. A change is a task that changed (or would) or failed, with its
// diffs, commands, reason and error. Before two hosts' changes are compared, each host's own values
// are replaced by placeholders (docs/reports.md "Grouped output"), so that a hostname in main.cf
// does not make 1000 groups of one; the host's values are kept per host and the exact per-host
// results stay in the per-host output.
import { createHash } from 'node:crypto';
import type { Change, FileDiff } from '../core/change.js';
import type { TaskResult } from '../engine/events.js';
import type { Facts } from '../facts/facts.js';
import type { ShownChange } from './diff.js';

/** A host's own values, by placeholder: `{host}` → "relay017", `{hostname}` → "relay017", `{var:dkim_selector}` → "r17". */
export type HostValues = Record<string, string>;

/** A change with the host's values replaced by placeholders: what grouping compares. */
export type NormalChange = ShownChange;

export interface ChangeGroup {
  play: string;
  role?: string;
  task: string;
  operation: string;
  handler: boolean;
  status: TaskResult['status'];
  check: boolean;
  ignored?: boolean;
  reason?: string;
  dependsOn?: string;
  error?: string;
  changes: NormalChange[];
  /** Hosts in the order they were added (the reporters add them in inventory order). */
  hosts: string[];
  /** Per host, the placeholders that occur in this group's text and the host's value for each. */
  values: Record<string, HostValues>;
}

/** Values shorter than this are never replaced: "1" or "no" would turn up everywhere. */
const MIN_VALUE_LENGTH = 3;

/**
 * The values that are the host's own: its inventory name, its hostname, fqdn and address facts, and
 * the `vars` given (the host's own inventory variables that differ between hosts, from the caller).
 */
export function hostValues(host: string, facts: Facts | undefined, vars: HostValues = {}): HostValues {
  const out: HostValues = { '{host}': host };
  if (facts?.fqdn) out['{fqdn}'] = facts.fqdn;
  if (facts?.hostname) out['{hostname}'] = facts.hostname;
  const address = facts?.default_ipv4?.address;
  if (address) out['{address}'] = address;
  return { ...out, ...vars };
}

/** Where a reporter gets a host's values from: facts and the run's inventory (`fleetplan apply`), or a merged run's JSON. */
export type ValuesOf = (host: string, facts?: Facts) => HostValues;

/** The run's groups from its record, hosts in record (inventory) order. */
export function groupRecord(hosts: Iterable<{ name: string; facts?: Facts; tasks: TaskResult[] }>, valuesOf: ValuesOf = (h, f) => hostValues(h, f)): ChangeGroup[] {
  const list = [...hosts];
  const grouper = new ChangeGrouper(list.map((h) => h.name));
  for (const h of list) grouper.add(h.name, h.tasks, valuesOf(h.name, h.facts));
  return grouper.groups();
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces each of the host's values by its placeholder, longest value first (an fqdn before the
 * hostname it starts with), and only where the value is not part of a longer word: not preceded or
 * followed by a letter or digit ("relay1" in "relay10" stays). Values equal to another's are
 * replaced by the first placeholder that names them ({host} before {hostname}).
 */
export class Normaliser {
  private readonly rules: { placeholder: string; value: string; re: RegExp }[];
  constructor(values: HostValues) {
    const seen = new Set<string>();
    this.rules = Object.entries(values)
      .filter(([, v]) => v.length >= MIN_VALUE_LENGTH && !seen.has(v) && seen.add(v))
      .sort(([, a], [, b]) => b.length - a.length)
      .map(([placeholder, v]) => ({ placeholder, value: v, re: new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(v)}(?![A-Za-z0-9])`, 'g') }));
  }

  text(s: string): string;
  text(s: string | undefined): string | undefined;
  text(s: string | undefined): string | undefined {
    if (s === undefined) return s;
    let out = s;
    for (const r of this.rules) if (out.includes(r.value)) out = out.replace(r.re, r.placeholder);
    return out;
  }

  diff(d: FileDiff): FileDiff {
    const t = (s: string | null) => (s === null ? null : this.text(s));
    return { ...d, path: this.text(d.path), before: t(d.before), after: t(d.after), attrs: d.attrs?.map((a) => this.text(a)) };
  }

  change(c: Change): NormalChange {
    const diff = c.diff && this.diff(c.diff);
    const description = this.text(c.description);
    return c.kind === 'run' ? { kind: 'run', description, command: this.text(c.command), diff } : { kind: 'write', description, diff };
  }
}

/** Tasks worth grouping: those the per-host output shows without --verbose. */
export const grouped = (r: TaskResult) => r.status === 'changed' || r.status === 'failed';

function normalTask(r: TaskResult, n: Normaliser): Omit<ChangeGroup, 'hosts' | 'values'> {
  return {
    play: r.play,
    role: r.role,
    task: r.task,
    operation: r.op,
    handler: r.handler,
    status: r.status,
    check: r.check,
    ignored: r.ignored || undefined,
    reason: n.text(r.reason),
    dependsOn: r.dependsOn,
    error: n.text(r.error),
    changes: r.changes.map((c) => n.change(c)),
  };
}

/** The placeholders that occur in a group's text. */
function placeholdersIn(key: string, values: HostValues): HostValues {
  return Object.fromEntries(Object.entries(values).filter(([p]) => key.includes(p)));
}

/** One host's result in a group: where it came (inventory position, task index); dropped once a raw group takes it. */
interface Member {
  host: string;
  first: [number, number];
  taken?: boolean;
}

type Pending = Omit<ChangeGroup, 'hosts' | 'values'> & { members: Member[]; values: Record<string, HostValues> };

/**
 * Hosts whose change is exactly the same, with their own values in it (a file listing every relay's
 * address, this host's too): one group as it is. Only their digest is kept until a second host shares
 * it; the task itself is kept then (from that host), once.
 */
interface RawEntry {
  members: Member[];
  task?: Omit<ChangeGroup, 'hosts' | 'values'>;
}

/**
 * Collects hosts' results into groups, one host at a time and in any order (a console sees hosts
 * finish in their own order): the groups come out the same as if the hosts had been added in
 * inventory order. A host's results can be dropped once added.
 *
 * Two hosts are in one group when their change is the same once each host's own values are replaced
 * by placeholders — or the same as it is: when a host's values occur in its change, the change is
 * also keyed as it is, and hosts sharing that exact change are one group (placeholders would have
 * split them: each host's own address in a list of every host's).
 */
export class ChangeGrouper {
  private readonly byKey = new Map<string, Pending>();
  private readonly byRaw = new Map<string, RawEntry>();
  private readonly index: Map<string, number>;
  private readonly identity = new Normaliser({});

  /** `hosts`: the run's hosts in inventory order. */
  constructor(hosts: readonly string[]) {
    this.index = new Map(hosts.map((h, i) => [h, i]));
  }

  get size(): number {
    return this.byKey.size;
  }

  add(host: string, results: readonly TaskResult[], values: HostValues): void {
    // A host with nothing changed or failed (a no-change run) costs no regular expression.
    let n: Normaliser | undefined;
    const at = this.index.get(host) ?? this.index.size;
    results.forEach((r, i) => {
      if (!grouped(r)) return;
      n ??= new Normaliser(values);
      const task = normalTask(r, n);
      const key = JSON.stringify(task);
      let g = this.byKey.get(key);
      if (!g) this.byKey.set(key, (g = { ...task, members: [], values: {} }));
      const member: Member = { host, first: [at, i] };
      g.members.push(member);
      const used = placeholdersIn(key, values);
      if (Object.keys(used).length === 0) return;
      g.values[host] = used;
      // The host's values were in the change: key it as it is too.
      const raw = normalTask(r, this.identity);
      const digest = createHash('sha256').update(JSON.stringify(raw)).digest('base64');
      let e = this.byRaw.get(digest);
      if (!e) this.byRaw.set(digest, (e = { members: [] }));
      e.members.push(member);
      if (e.members.length > 1) e.task ??= raw;
    });
  }

  /**
   * Tasks in the order of their first occurrence (the first host in inventory order that has them,
   * then that host's task order); within one task (play, role, name) the variant most hosts share
   * first: "412 hosts: …", then "3 hosts differ: …". Hosts in inventory order.
   */
  groups(): ChangeGroup[] {
    type Built = Omit<ChangeGroup, 'hosts'> & { members: Member[]; first: [number, number] };
    const all: Built[] = [];
    const add = (g: Omit<Built, 'first'>) => all.push({ ...g, first: g.members.reduce((a, m) => (before(m.first, a) ? m.first : a), g.members[0]!.first) });
    // Raw groups are built anew on each call: a member taken stays taken for the next one too.
    for (const e of this.byRaw.values()) {
      if (!e.task) continue;
      for (const m of e.members) m.taken = true;
      add({ ...e.task, members: e.members, values: {} });
    }
    for (const g of this.byKey.values()) {
      const members = g.members.filter((m) => !m.taken);
      if (members.length) add({ ...g, members });
    }
    const taskFirst = new Map<string, [number, number]>();
    for (const g of all) {
      const t = taskFirst.get(taskKey(g));
      if (!t || before(g.first, t)) taskFirst.set(taskKey(g), g.first);
    }
    const pos = (h: string) => this.index.get(h) ?? Infinity;
    return all
      .sort((a, b) => cmp(taskFirst.get(taskKey(a))!, taskFirst.get(taskKey(b))!) || b.members.length - a.members.length || cmp(a.first, b.first))
      .map(({ members, first: _first, ...g }) => {
        const hosts = members.map((m) => m.host).sort((x, y) => pos(x) - pos(y) || x.localeCompare(y));
        return { ...g, hosts, values: orderedValues(hosts, g.values) };
      });
  }
}

const cmp = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];
const before = (a: [number, number], b: [number, number]) => cmp(a, b) < 0;

function orderedValues(hosts: string[], values: Record<string, HostValues>): Record<string, HostValues> {
  return Object.fromEntries(hosts.filter((h) => values[h]).map((h) => [h, values[h]!]));
}

/** "412 hosts", or for a variant of a task "3 hosts differ" / "1 host differs". */
export function hostsCount(n: number, variant: boolean): string {
  return `${n} host${n === 1 ? '' : 's'}${variant ? (n === 1 ? ' differs' : ' differ') : ''}`;
}

export function taskKey(g: Pick<ChangeGroup, 'play' | 'role' | 'task' | 'handler'>): string {
  return JSON.stringify([g.play, g.role ?? '', g.task, g.handler]);
}
