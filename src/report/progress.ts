// Where every host of a run stands — finished hosts counted by outcome, running hosts with what they
// are doing and since when — so that the status line and the progress lines stay one line whatever
// the number of hosts.
import type { HostStats } from '../engine/events.js';

export type HostOutcome = 'ok' | 'changed' | 'failed' | 'unreachable';

/** A finished host in one word, worst first: unreachable, failed, changed, ok (ignored failures are ok). */
export function outcomeOf(s: HostStats): HostOutcome {
  if (s.unreachable) return 'unreachable';
  if (s.failed > 0) return 'failed';
  if (s.changed > 0) return 'changed';
  return 'ok';
}

export interface RunningHost {
  host: string;
  /** "connecting", "reading state", "task: <name>", "handler: <name>". */
  activity: string;
  /** How long the host has been running. */
  ms: number;
}

export class RunProgress {
  total = 0;
  readonly finished: Record<HostOutcome, number> = { ok: 0, changed: 0, failed: 0, unreachable: 0 };
  private readonly running = new Map<string, { since: number; activity: string }>();

  begin(hosts: number): void {
    this.total = hosts;
  }

  hostStarted(host: string, now: number): void {
    this.running.set(host, { since: now, activity: 'connecting' });
  }

  hostActivity(host: string, activity: string): void {
    const r = this.running.get(host);
    if (r) r.activity = activity;
  }

  hostDone(host: string, stats: HostStats): void {
    this.running.delete(host);
    this.finished[outcomeOf(stats)]++;
  }

  get done(): number {
    const f = this.finished;
    return f.ok + f.changed + f.failed + f.unreachable;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Hosts not started yet (waiting for a fork, or for their play's serial batch). */
  get queued(): number {
    return Math.max(0, this.total - this.done - this.running.size);
  }

  /** The `n` hosts running longest, longest first. */
  slowest(n: number, now: number): RunningHost[] {
    return [...this.running]
      .map(([host, r]) => ({ host, activity: r.activity, ms: now - r.since }))
      .sort((a, b) => b.ms - a.ms || a.host.localeCompare(b.host))
      .slice(0, n);
  }
}
