// What the hosts of one batch of a play (all its hosts, or one `serial` batch) share while each runs
// the play on its own: which of them are still in the play, where each has got to, the fatal
// failure (any_errors_fatal) and the per-task throttles. Hosts are not run in lockstep; they meet
// only at a task that needs it (run_once, any_errors_fatal), waiting there for every host of the
// batch still in the play to reach it or to leave. A host waiting gives its --forks slot back, so a
// batch larger than --forks cannot wait forever on hosts that have no slot to get there.
import type { TaskDef } from '../load/model.js';
import { Semaphore } from './semaphore.js';
import { coordinationKey as key } from './coordination-key.js';

/** Where a host stands with one task: reached it (and was it to run there), or not yet. */
type Arrival = 'active' | 'inactive';

export class PlayBatch {
  private readonly left = new Set<string>();
  private readonly arrivals = new Map<TaskDef, Map<string, Arrival>>();
  private readonly finished = new Map<TaskDef, Set<string>>();
  private readonly throttles = new Map<TaskDef, Semaphore>();
  private wakers: Array<() => void> = [];
  /** The first failure of a task with any_errors_fatal: every host stops once it finished that task. */
  fatal?: { task: string; host: string; def: TaskDef };

  constructor(
    /** The batch's hosts, in inventory order (run_once picks the first it can). */
    readonly hosts: readonly string[],
    private readonly forks: Semaphore,
  ) {}

  /** The host reached `def` (the first time: a loop's later items change nothing). */
  arrive(def: TaskDef, host: string, arrival: Arrival): void {
    const seen = this.arrivals.get(key(def)) ?? new Map<string, Arrival>();
    this.arrivals.set(key(def), seen);
    if (seen.has(host)) return;
    seen.set(host, arrival);
    this.wake();
  }

  arrival(def: TaskDef, host: string): Arrival | undefined {
    return this.arrivals.get(key(def))?.get(host);
  }

  /** The host is done with the play's tasks (finished, failed, unreachable): nobody waits for it any more. */
  leave(host: string): void {
    if (this.left.has(host)) return;
    this.left.add(host);
    this.wake();
  }

  hasLeft(host: string): boolean {
    return this.left.has(host);
  }

  /** The host finished `def` (every item of it). */
  finish(def: TaskDef, host: string): void {
    const done = this.finished.get(key(def)) ?? new Set<string>();
    this.finished.set(key(def), done);
    done.add(host);
    this.wake();
  }

  hasFinished(def: TaskDef, host: string): boolean {
    return this.finished.get(key(def))?.has(host) ?? false;
  }

  /** Hosts still in the play that have not finished `def`. */
  unfinished(def: TaskDef): string[] {
    return this.hosts.filter((h) => !this.left.has(h) && !this.finished.get(key(def))?.has(h));
  }

  /** Something another host may be waiting for happened. */
  wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const w of wakers) w();
  }

  /** Waits (without holding a --forks slot) until `ready` holds; it is checked again whenever a host moves on. */
  async until<T>(ready: () => T | undefined): Promise<T> {
    let now = ready();
    if (now !== undefined) return now;
    this.forks.release();
    try {
      while (now === undefined) {
        await new Promise<void>((resolve) => this.wakers.push(resolve));
        now = ready();
      }
    } finally {
      await this.forks.acquire();
    }
    return now;
  }

  /** The throttle of a task: at most `n` hosts of the batch run it at once. */
  throttle(def: TaskDef, n: number): Semaphore {
    let s = this.throttles.get(key(def));
    if (!s) this.throttles.set(key(def), (s = new Semaphore(n)));
    return s;
  }
}
