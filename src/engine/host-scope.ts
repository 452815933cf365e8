// A host's variables for a play, or for a role of it: every layer merged (inventory, plan, role
// defaults and per-OS vars, role parameters, extra vars), facts included, the roles' secret_vars made
// secrets, and the run's magic variables (groups, hostvars, play_hosts, ...). Each is resolved once
// per host and reused by every task of that play or role. The engine (host-session.ts) and
// `fleetplan dns` read a host's variables through this one function.
import { InputError } from '../core/errors.js';
import { ANSIBLE_FACT_VARS } from '../facts/aliases.js';
import type { SecretRegistry } from '../core/secret.js';
import type { Facts } from '../facts/facts.js';
import { ADDRESS_VARS, groupsOf, lazyGroupAddresses, lazyHostvars, playHostVars } from '../load/magic-vars.js';
import type { Inventory, Plan, Play, RoleRef, Vars } from '../load/model.js';
import { selectHosts } from '../load/patterns.js';
import { resolveVars } from '../load/resolve-vars.js';
import { secretVarNames, varsFor } from '../load/vars.js';
import type { DelegatedFacts } from './delegated-facts.js';

export type HostScope = (play: Play, role?: RoleRef) => Vars;

interface RunInputs {
  plan: Plan;
  inventory: Inventory;
  extraVars: Vars;
  secrets: SecretRegistry;
  /** --limit: play_hosts are the play's hosts after it. */
  limit?: string;
  /** The `serial:` batch of a play that holds this host (ansible_play_batch); the play's hosts when absent. */
  batchOf?: (play: Play, host: string) => readonly string[];
  /** What delegate_facts tasks of earlier plays set for a host: in its hostvars entry (delegated-facts.ts). */
  delegated?: DelegatedFacts;
}

/**
 * What the hosts of one run share for their variables: the facts of every host as it starts, and per
 * play its host list and the other hosts' `hostvars` entries (each computed once, when first read).
 */
export class RunVars {
  private readonly gathered = new Map<string, { facts: Facts; play: number }>();
  private readonly plays = new Map<Play, { index: number; hosts: string[]; entries: Map<string, Vars>; addresses?: Vars }>();
  /** What each host registered or set (set_fact) by the end of each play it ran, by play index. */
  private readonly results = new Map<string, { play: number; vars: Vars }[]>();
  constructor(readonly inputs: RunInputs) {}

  /** The host finished `play` with these run-time variables (register, set_fact): a copy is kept. */
  played(host: string, play: Play, vars: Vars): void {
    const index = this.inputs.plan.plays.indexOf(play);
    // Read only by later plays (resultsBefore): after the last play, nothing would read this copy.
    if (index === this.inputs.plan.plays.length - 1) return;
    let list = this.results.get(host);
    if (!list) this.results.set(host, (list = []));
    list.push({ play: index, vars: { ...vars } });
  }

  /**
   * What `host` registered or set by the end of its last play before play `index`: plays end on every
   * host before the next begins, so this never depends on timing (what it sets during the current
   * play is its own until the next).
   */
  private resultsBefore(host: string, index: number): Vars | undefined {
    return [...(this.results.get(host) ?? [])].reverse().find((r) => r.play < index)?.vars;
  }

  /** A host's facts, gathered when it started, during `play`. */
  started(host: string, facts: Facts, play: Play | undefined): void {
    if (!this.gathered.has(host)) this.gathered.set(host, { facts, play: play ? this.inputs.plan.plays.indexOf(play) : -1 });
  }

  /** Facts registered for `host` from a prediction that turned out wrong (first-read.ts): its real ones come next. */
  forget(host: string): void {
    this.gathered.delete(host);
  }

  private playOf(play: Play) {
    let p = this.plays.get(play);
    if (!p) {
      const { inventory, limit, plan } = this.inputs;
      const hosts = selectHosts(inventory, play.hosts, limit, { pos: play.hostsPos ?? play.pos });
      this.plays.set(play, (p = { index: plan.plays.indexOf(play), hosts, entries: new Map() }));
    }
    return p;
  }

  /** groups, group_addresses, play_hosts, ansible_play_batch, ... of `host` in `play` (hostvars: see hostvars()). */
  magic(play: Play, host: string): Vars {
    const p = this.playOf(play);
    // One mapping per play, read as the entries every host shares say: the same value on every host.
    p.addresses ??= lazyGroupAddresses(this.inputs.inventory, (h) => this.addressVars(play, p, h));
    const { hosts } = p;
    return { groups: groupsOf(this.inputs.inventory), group_addresses: p.addresses, ...playHostVars(hosts, this.inputs.batchOf?.(play, host) ?? hosts) };
  }

  /**
   * What `hostvars.<host>` says of the address variables (magic-vars.ts's ADDRESS_VARS), without
   * resolving and keeping the host's whole entry when they are plain values (≈ 10 KB a host at 1000
   * hosts): the layers merged, then what earlier plays set. A templated or secret one: from the entry.
   */
  private addressVars(play: Play, p: { index: number; entries: Map<string, Vars> }, host: string): Vars {
    const known = p.entries.get(host);
    if (known) return known;
    const { inventory, extraVars } = this.inputs;
    const merged = { ...varsFor({ inventory, host, play, extraVars }), ...this.resultsBefore(host, p.index), ...this.inputs.delegated?.before(host, play) };
    const secret = secretVarNames(play);
    const out: Vars = {};
    for (const name of ADDRESS_VARS) {
      const v = merged[name];
      if ((typeof v === 'string' && v.includes('{{')) || secret.has(name)) return this.sharedEntry(play, p, host);
      out[name] = v;
    }
    return out;
  }

  /** Another host's `hostvars` entry in `play`, computed once per play. */
  private sharedEntry(play: Play, p: { index: number; entries: Map<string, Vars> }, host: string): Vars {
    let entry = p.entries.get(host);
    if (!entry) p.entries.set(host, (entry = this.entry(play, p.index, host)));
    return entry;
  }

  /**
   * `hostvars` as `self` sees it in `play`: its own entry is its own variables; another host's are its
   * inventory and play variables, with its facts when they were gathered before this play began; in
   * both, what the host registered or set in the plays before this one (hosts
   * start in parallel, so within the play where a host started its facts are not yet everyone's:
   * reading them then is an error, never a value that depends on timing).
   */
  hostvars(play: Play, self: string, own: () => Vars): Vars {
    const p = this.playOf(play);
    return lazyHostvars(this.inputs.inventory, (host) => {
      if (host === self) {
        const earlier = this.resultsBefore(host, p.index);
        return earlier ? { ...own(), ...earlier } : own();
      }
      return this.sharedEntry(play, p, host);
    });
  }

  private entry(play: Play, index: number, host: string): Vars {
    const { inventory, extraVars } = this.inputs;
    const g = this.gathered.get(host);
    const known = g && g.play < index ? g.facts : undefined;
    // Why, worded when read: a host that starts later in this play is still not everyone's until the next.
    const why = () =>
      this.gathered.has(host)
        ? `host '${host}' started in this play ('${play.name}'), in parallel with the others: its facts are everyone's from the next play on (add an earlier play for it, e.g. "- hosts: ${host}" with "tasks: []")`
        : `host '${host}' has not run a play of this run before '${play.name}' (facts come from a host when it starts)`;
    let vars: Vars;
    try {
      vars = resolveVars(varsFor({ inventory, host, play, extraVars, facts: known, magic: this.magic(play, host) }), this.inputs.secrets, secretVarNames(play));
    } catch (err) {
      // The entry is resolved whole: a variable of it that reads facts not yet known fails it, saying why.
      if (!(err instanceof InputError) || known) throw err;
      throw new InputError(`hostvars.${host}: ${err.message}; the facts of ${why()}`, { pos: err.pos });
    }
    Object.assign(vars, this.resultsBefore(host, index), this.inputs.delegated?.before(host, play));
    if (known) return vars;
    for (const name of ['facts', ...ANSIBLE_FACT_VARS]) {
      Object.defineProperty(vars, name, {
        enumerable: false,
        get: () => {
          throw new InputError(`hostvars.${host}.${name}: the facts of ${why()}`);
        },
      });
    }
    return vars;
  }
}

export function hostScope(run: RunInputs, host: string, facts: Facts, shared = new RunVars(run), firstPlay?: Play): HostScope {
  const { inventory, extraVars, secrets } = run;
  shared.started(host, facts, firstPlay);
  // By play, then by role reference (one a task list imports is not among the play's roles:).
  const cache = new Map<Play, Map<RoleRef | undefined, Vars>>();
  // The host's `hostvars` in a play, one mapping for the play's scope and each of its roles' (it reads no role's variables).
  const hostvars = new Map<Play, Vars>();
  const scope: HostScope = (play, ref) => {
    let byRef = cache.get(play);
    if (!byRef) cache.set(play, (byRef = new Map()));
    let v = byRef.get(ref);
    if (!v) {
      let own = hostvars.get(play);
      if (!own) hostvars.set(play, (own = shared.hostvars(play, host, () => scope(play))));
      const magic = { ...shared.magic(play, host), hostvars: own };
      byRef.set(ref, (v = resolveVars(varsFor({ inventory, host, play, roleRef: ref, extraVars, facts, magic }), secrets, secretVarNames(play))));
    }
    return v;
  };
  return scope;
}
