// --json: one JSON document on stdout at the end of the run (schema in docs/usage.md "Machine-readable output").
import type { RunEvent, RunSummary, TaskResult } from '../engine/events.js';
import type { FileDiff, PlannedFile } from '../core/change.js';
import type { Reporter } from './reporter.js';
import { RunRecorder, type HostRecord, type RunRecord } from './run-record.js';

interface JsonTask {
  name: string;
  role?: string;
  operation: string;
  handler: boolean;
  status: TaskResult['status'];
  reason?: string;
  depends_on?: string;
  error?: string;
  ignored?: boolean;
  /** The failure was caught by a block's rescue (also `ignored`). */
  rescued?: boolean;
  /** until/retries: how many times the task ran. */
  attempts?: number;
  commands?: string[];
  diff?: FileDiff[];
  /** Each file's content hash and attributes after the task: what a dry run promises the run writes. */
  files?: PlannedFile[];
}

interface JsonHost {
  changed: number;
  failed: number;
  ok: number;
  skipped: number;
  unreachable: boolean;
  /** Stopped by Ctrl-C / SIGTERM before its end. */
  interrupted?: boolean;
  tasks: JsonTask[];
  error?: string;
  notes?: string[];
}

function jsonTask(r: TaskResult): JsonTask {
  const diffs = r.changes.flatMap((c) => (c.diff ? [c.diff] : []));
  const commands = r.changes.flatMap((c) => (c.kind === 'run' ? [c.command] : []));
  const files = r.changes.flatMap((c) => (c.file ? [c.file] : []));
  return {
    name: r.task,
    role: r.role,
    operation: r.op,
    handler: r.handler,
    status: r.status,
    reason: r.reason,
    depends_on: r.dependsOn,
    error: r.error,
    ignored: r.ignored,
    rescued: r.rescued,
    attempts: r.attempts,
    commands: commands.length ? commands : undefined,
    diff: diffs.length ? diffs : undefined,
    files: files.length ? files : undefined,
  };
}

function jsonHost(h: HostRecord): JsonHost {
  const s = h.stats;
  return {
    changed: s?.changed ?? 0,
    failed: s?.failed ?? 0,
    ok: s?.ok ?? 0,
    skipped: s?.skipped ?? 0,
    unreachable: h.unreachable,
    interrupted: s?.interrupted || undefined,
    tasks: h.tasks.map(jsonTask),
    error: h.error,
    notes: h.notes.length ? h.notes : undefined,
  };
}

/** The --json document of a finished run (also `fleetplan history show --json`'s `result`). */
export function runDocument(record: RunRecord, summary: RunSummary) {
  const stats = Object.values(summary.hosts);
  return {
    check: summary.check,
    hosts: Object.fromEntries([...record.hosts.values()].map((h) => [h.name, jsonHost(h)])),
    summary: {
      hosts: stats.length,
      changed: stats.filter((s) => s.changed > 0).length,
      failed: stats.filter((s) => s.failed > 0).length,
      unreachable: stats.filter((s) => s.unreachable).length,
      interrupted: summary.interrupted,
      ms: summary.ms,
    },
  };
}

export class JsonReporter implements Reporter {
  private readonly recorder = new RunRecorder();
  constructor(private readonly out: NodeJS.WritableStream) {}

  handle(e: RunEvent): void {
    this.recorder.handle(e);
    if (e.type !== 'run-end') return;
    this.out.write(JSON.stringify(runDocument(this.recorder.record, e.summary), null, 2) + '\n');
  }
}
