// What a run did, host by host in inventory order: the one collector behind --json and --report.
// It keeps the engine's (already redacted) task results as they are, so each output format decides
// for itself what to show.
import type { HostStats, RunEvent, RunSummary, TaskResult } from '../engine/events.js';
import type { Facts } from '../facts/facts.js';
import type { Reporter } from './reporter.js';

export interface HostRecord {
  name: string;
  facts?: Facts;
  /** Final counts, from the host's `host-done`; absent while the host is still running. */
  stats?: HostStats;
  unreachable: boolean;
  /** Why the host was unreachable or stopped before (or between) its tasks. */
  error?: string;
  notes: string[];
  tasks: TaskResult[];
}

export interface RunRecord {
  check: boolean;
  plays: string[];
  /** When the engine started the run (its `run-start`). */
  startedAt?: Date;
  hosts: Map<string, HostRecord>;
  /** Set at `run-end`: absent when the run stopped before its end. */
  summary?: RunSummary;
}

export class RunRecorder implements Reporter {
  readonly record: RunRecord = { check: false, plays: [], hosts: new Map() };

  private host(name: string): HostRecord {
    let h = this.record.hosts.get(name);
    if (!h) this.record.hosts.set(name, (h = { name, unreachable: false, notes: [], tasks: [] }));
    return h;
  }

  handle(e: RunEvent): void {
    switch (e.type) {
      case 'run-start':
        Object.assign(this.record, { check: e.check, plays: e.plays, startedAt: e.startedAt ?? new Date() });
        for (const h of e.hosts) this.host(h);
        break;
      case 'host-facts':
        this.host(e.host).facts = e.facts;
        break;
      case 'task-result':
        this.host(e.result.host).tasks.push(e.result);
        break;
      case 'host-unreachable':
        Object.assign(this.host(e.host), { unreachable: true, error: e.error });
        break;
      case 'host-failed': {
        // A host stopped by a failed play and then by an aborted run has two reasons; keep both.
        const h = this.host(e.host);
        h.error = h.error ? `${h.error}\n${e.error}` : e.error;
        break;
      }
      case 'host-note':
        this.host(e.host).notes.push(e.note);
        break;
      case 'host-done':
        this.host(e.host).stats = e.stats;
        break;
      case 'run-end':
        this.record.summary = e.summary;
        break;
    }
  }
}
