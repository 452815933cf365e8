// Records an apply into the run history (history-store.ts): it listens to the run like --json and
// --report do, and is saved once the exit code is known. A history that cannot be written is a
// warning, never a failed run: the hosts were changed either way.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../engine/events.js';
import type { SecretRegistry } from '../core/secret.js';
import { HISTORY_FORMAT, newRunId, runsDir, saveRecord, type Digest, type HistoryOptions } from './history-store.js';
import { HistorySpool } from './history-spool.js';
import type { Reporter } from './reporter.js';
import { RunRecorder } from './run-record.js';

export interface HistoryRun {
  planFile: string;
  /** One source, or several (`-i` repeated). */
  inventoryFile: string | string[];
  /** The command line's words (redacted when saved, once every secret is known). */
  argv: string[];
  version: string;
  secrets: SecretRegistry;
  options: HistoryOptions;
}

/** Several inventory sources as one: their paths, and a SHA-256 over theirs (absent when one could not be read). */
function digestAll(files: string | string[]): Digest {
  const list = (Array.isArray(files) ? files : [files]).map(digest);
  if (list.length === 1) return list[0]!;
  const known = list.every((d) => d.sha256 !== undefined);
  return { file: list.map((d) => d.file).join(', '), ...(known ? { sha256: createHash('sha256').update(list.map((d) => d.sha256).join('\n')).digest('hex') } : {}) };
}

function digest(file: string): Digest {
  const abs = path.resolve(file);
  try {
    return { file: abs, sha256: createHash('sha256').update(readFileSync(abs)).digest('hex') };
  } catch {
    return { file: abs };
  }
}

export class HistoryRecorder implements Reporter {
  private readonly recorder = new RunRecorder();
  private readonly plan: Digest;
  private readonly inventory: Digest;
  private readonly spool: HistorySpool;

  constructor(private readonly run: HistoryRun) {
    // As the files were when the run started: a later edit does not change what this run applied.
    this.plan = digest(run.planFile);
    this.inventory = digestAll(run.inventoryFile);
    this.spool = new HistorySpool(runsDir(run.options.dir));
  }

  handle(e: RunEvent): void {
    this.recorder.handle(e);
    // A finished host's tasks wait on disk for the record (history-spool.ts).
    if (e.type === 'host-done') this.spool.setAside(this.recorder.record.hosts.get(e.host)!);
  }

  /** Saves the run (if it started); returns the record's id, or why it could not be written. */
  save(exitCode: number): { id?: string; problem?: string } {
    const r = this.recorder.record;
    if (!r.startedAt) return {};
    const id = newRunId(r.startedAt, randomBytes(3).toString('hex'));
    try {
      saveRecord(
        {
          format: HISTORY_FORMAT,
          id,
          version: this.run.version,
          startedAt: r.startedAt.toISOString(),
          endedAt: new Date().toISOString(),
          check: r.check,
          argv: this.run.argv.map((w) => this.run.secrets.redact(w)),
          cwd: process.cwd(),
          plan: this.plan,
          inventory: this.inventory,
          exitCode,
          plays: r.plays,
          hosts: (function* (spool) {
            for (const h of r.hosts.values()) yield spool.hostText(h);
          })(this.spool),
          summary: r.summary,
        },
        this.run.options,
      );
      return { id };
    } catch (err) {
      return { problem: `run history not written to ${this.run.options.dir}: ${(err as Error).message}` };
    } finally {
      this.spool.close();
    }
  }
}
