// --json: one JSON document on stdout at the end of the run (schema in README "Machine-readable output").
import type { RunEvent, TaskResult } from '../engine/events.js';
import type { FileDiff } from '../ops/operation.js';
import type { Reporter } from './reporter.js';

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
  commands?: string[];
  diff?: FileDiff[];
}

interface JsonHost {
  changed: number;
  failed: number;
  ok: number;
  skipped: number;
  unreachable: boolean;
  error?: string;
  notes?: string[];
  tasks: JsonTask[];
}

export class JsonReporter implements Reporter {
  private readonly hosts: Record<string, JsonHost> = {};
  constructor(private readonly out: NodeJS.WritableStream) {}

  private host(name: string): JsonHost {
    return (this.hosts[name] ??= { changed: 0, failed: 0, ok: 0, skipped: 0, unreachable: false, tasks: [] });
  }

  handle(e: RunEvent): void {
    switch (e.type) {
      case 'task-result': {
        const r = e.result;
        const diffs = r.changes.flatMap((c) => (c.kind === 'write' && c.diff ? [c.diff] : []));
        const commands = r.changes.flatMap((c) => (c.kind === 'run' ? [c.command] : []));
        this.host(r.host).tasks.push({
          name: r.task,
          role: r.role,
          operation: r.op,
          handler: r.handler,
          status: r.status,
          reason: r.reason,
          depends_on: r.dependsOn,
          error: r.error,
          ignored: r.ignored,
          commands: commands.length ? commands : undefined,
          diff: diffs.length ? diffs : undefined,
        });
        break;
      }
      case 'host-unreachable':
        Object.assign(this.host(e.host), { unreachable: true, error: e.error });
        break;
      case 'host-failed':
        this.host(e.host).error = e.error;
        break;
      case 'host-note':
        (this.host(e.host).notes ??= []).push(e.note);
        break;
      case 'host-done': {
        const h = this.host(e.host);
        Object.assign(h, { changed: e.stats.changed, failed: e.stats.failed, ok: e.stats.ok, skipped: e.stats.skipped });
        break;
      }
      case 'run-end': {
        const stats = Object.values(e.summary.hosts);
        const doc = {
          check: e.summary.check,
          hosts: this.hosts,
          summary: {
            hosts: stats.length,
            changed: stats.filter((s) => s.changed > 0).length,
            failed: stats.filter((s) => s.failed > 0).length,
            unreachable: stats.filter((s) => s.unreachable).length,
            ms: e.summary.ms,
          },
        };
        this.out.write(JSON.stringify(doc, null, 2) + '\n');
        break;
      }
    }
  }
}
