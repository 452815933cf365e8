// --json: one JSON document on stdout at the end of the run (schema in docs/usage.md "Machine-readable output").
import type { RunEvent, RunSummary, TaskResult } from '../engine/events.js';
import type { Change, FileDiff, PlannedFile } from '../core/change.js';
import type { SourcePos } from '../core/errors.js';
import type { Facts } from '../facts/facts.js';
import type { Reporter } from './reporter.js';
import { RunRecorder, type HostRecord, type RunRecord } from './run-record.js';
import { jsonGroups, type JsonGroup } from './json-groups.js';
import { groupRecord, type ValuesOf } from './group.js';

export interface JsonTask {
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
  /** What `fleetplan report merge` needs to print the task as the run did (docs/scale.md). */
  play: string;
  ms: number;
  pos?: SourcePos;
  /** The task's changes in order; each takes its command, diff and file from the lists above, in turn. */
  changes?: JsonChange[];
  /** `fleetplan run`: what the command said. */
  rc?: number;
  stdout?: string;
  stderr?: string;
}

/** A change by reference: `command`, `diff`, `file` say it takes the next entry of the task's list. */
export interface JsonChange {
  kind: Change['kind'];
  description: string;
  diff?: true;
  file?: true;
}

/** The facts the reports show of a host. */
export type JsonSystem = Pick<Facts, 'distribution' | 'distribution_version' | 'init'>;

export interface JsonHost {
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
  /** The host's duration: present once it finished. */
  ms?: number;
  system?: JsonSystem;
}

/** The run as a whole: what `report merge` checks and joins (docs/scale.md). */
export interface JsonRun {
  /** The plan file as given on the command line. */
  plan?: string;
  plays: string[];
  started?: string;
  /** Every host of the run in inventory order — with --shard, of the whole run, not only this shard's. */
  hosts: string[];
  /** "i/n" with --shard. */
  shard?: string;
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
    play: r.play,
    ms: r.ms,
    pos: r.pos,
    changes: r.changes.length ? r.changes.map((c) => ({ kind: c.kind, description: c.description, diff: c.diff && true, file: c.file && true })) : undefined,
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
    ms: s?.ms,
    system: h.facts && { distribution: h.facts.distribution, distribution_version: h.facts.distribution_version, init: h.facts.init },
  };
}

export interface JsonOptions {
  plan?: string;
  /** A host's own values for grouping (default: its name and facts). */
  valuesOf?: ValuesOf;
  /** With --shard: this shard ("i/n") and every host of the whole run, in inventory order. */
  shard?: { label: string; hosts: string[] };
}

/** The whole document, from a finished run's record (also what `report merge` writes). */
export function jsonDocument(record: RunRecord, summary: RunSummary, o: JsonOptions = {}) {
  const stats = Object.values(summary.hosts);
  const hosts = [...record.hosts.values()];
  const run: JsonRun = { plan: o.plan, plays: record.plays, started: record.startedAt?.toISOString(), hosts: o.shard?.hosts ?? hosts.map((h) => h.name), shard: o.shard?.label };
  return {
    check: summary.check,
    hosts: Object.fromEntries(hosts.map((h) => [h.name, jsonHost(h)])),
    summary: {
      hosts: stats.length,
      changed: stats.filter((s) => s.changed > 0).length,
      failed: stats.filter((s) => s.failed > 0).length,
      unreachable: stats.filter((s) => s.unreachable).length,
      interrupted: summary.interrupted,
      ms: summary.ms,
    },
    groups: jsonGroups(groupRecord(hosts, o.valuesOf)) satisfies JsonGroup[],
    run,
  };
}

export type JsonDocument = ReturnType<typeof jsonDocument>;

export class JsonReporter implements Reporter {
  private readonly recorder = new RunRecorder();
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly opts: JsonOptions = {},
  ) {}

  handle(e: RunEvent): void {
    this.recorder.handle(e);
    if (e.type !== 'run-end') return;
    this.out.write(JSON.stringify(jsonDocument(this.recorder.record, e.summary, this.opts), null, 2) + '\n');
  }
}
