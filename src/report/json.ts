// --json: one JSON document on stdout at the end of the run (schema in docs/usage.md "Machine-readable output").
import type { RunEvent, TaskResult } from '../engine/events.js';
import type { FileDiff, PlannedFile } from '../core/change.js';
import type { Reporter } from './reporter.js';
import { RunRecorder, type HostRecord } from './run-record.js';

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
  /** `fleetplan run`: what the command said. */
  rc?: number;
  stdout?: string;
  stderr?: string;
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
    ...(r.output ? { rc: r.output.rc, stdout: r.output.stdout, stderr: r.output.stderr } : {}),
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

export class JsonReporter implements Reporter {
  private readonly recorder = new RunRecorder();
  constructor(private readonly out: NodeJS.WritableStream) {}

  handle(e: RunEvent): void {
    this.recorder.handle(e);
    if (e.type !== 'run-end') return;
    const stats = Object.values(e.summary.hosts);
    const doc = {
      check: e.summary.check,
      hosts: Object.fromEntries([...this.recorder.record.hosts.values()].map((h) => [h.name, jsonHost(h)])),
      summary: {
        hosts: stats.length,
        changed: stats.filter((s) => s.changed > 0).length,
        failed: stats.filter((s) => s.failed > 0).length,
        unreachable: stats.filter((s) => s.unreachable).length,
        interrupted: e.summary.interrupted,
        ms: e.summary.ms,
      },
    };
    this.out.write(JSON.stringify(doc, null, 2) + '\n');
  }
}
