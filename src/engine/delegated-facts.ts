// delegate_facts: the variables a delegated task sets (set_fact) belong to its delegate, not to the
// delegating host. They are kept here for the run, by delegate name and the play that set them, and
// read from the NEXT play on — by the delegate's own tasks (settled into its run-time variables when
// its next play starts) and in `hostvars.<delegate>` of every host — because hosts run a play in
// parallel: within the play that set them, whether a delegate's task ran before or after is timing.
// Plays run one after the other (run.ts), so what earlier plays set is final when a play begins.
import type { Plan, Play, Vars } from '../load/model.js';

interface Entry {
  play: number;
  vars: Vars;
}

export class DelegatedFacts {
  /** Per delegate, in the order they were set (so by play too). */
  private readonly byHost = new Map<string, Entry[]>();
  /** Per delegate, how many entries its own variables took already. */
  private readonly taken = new Map<string, number>();

  constructor(private readonly plan: Pick<Plan, 'plays'>) {}

  /** Variables a task of `play` set for `delegate`. */
  set(delegate: string, play: Play, vars: Vars): void {
    let entries = this.byHost.get(delegate);
    if (!entries) this.byHost.set(delegate, (entries = []));
    entries.push({ play: this.plan.plays.indexOf(play), vars });
  }

  /** Everything set for `host` in the plays before `play`, later values over earlier (hostvars). */
  before(host: string, play: Play): Vars | undefined {
    const entries = this.byHost.get(host);
    if (!entries) return undefined;
    const index = this.plan.plays.indexOf(play);
    return merge(entries.filter((e) => e.play < index));
  }

  /** What was set for `host` in the plays before `play` and not taken yet: for its own variables, once. */
  take(host: string, play: Play): Vars | undefined {
    const entries = this.byHost.get(host);
    if (!entries) return undefined;
    const index = this.plan.plays.indexOf(play);
    const from = this.taken.get(host) ?? 0;
    let to = from;
    while (to < entries.length && entries[to]!.play < index) to++;
    this.taken.set(host, to);
    return to > from ? merge(entries.slice(from, to)) : undefined;
  }
}

function merge(entries: Entry[]): Vars | undefined {
  return entries.length ? Object.assign({}, ...entries.map((e) => e.vars)) : undefined;
}
