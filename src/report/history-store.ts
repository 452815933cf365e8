// The run history on disk: one JSON file per apply (dry run or not) in <history_dir>/runs/, named by
// when it started so that names sort in time. A record holds what the reports show — the engine's
// task results, already redacted — minus the contents of the files a run writes (a secret file's
// bytes are in them): diffs, commands and file hashes stay, exactly as --json and --report show them.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Change } from '../core/change.js';
import type { RunSummary, TaskResult } from '../engine/events.js';
import { writeAtomic } from '../core/write-atomic.js';
import type { HostRecord, RunRecord } from './run-record.js';

export const HISTORY_FORMAT = 1;

export interface Digest {
  /** Absolute path. */
  file: string;
  /** SHA-256 of the file's bytes when the run started; absent when it could not be read. */
  sha256?: string;
}

/** What the history keeps of one change: what reports show, never a written file's content. */
export type StoredChange = { kind: Change['kind']; description: string; command?: string; path?: string; diff?: Change['diff']; file?: Change['file'] };

export interface StoredHost extends Omit<HostRecord, 'tasks'> {
  tasks: (Omit<TaskResult, 'changes'> & { changes: StoredChange[] })[];
}

export interface HistoryRecord {
  format: typeof HISTORY_FORMAT;
  id: string;
  version: string;
  startedAt: string;
  endedAt: string;
  check: boolean;
  /** The command line's words, secrets redacted. */
  argv: string[];
  cwd: string;
  plan: Digest;
  inventory: Digest;
  exitCode: number;
  plays: string[];
  hosts: StoredHost[];
  summary?: RunSummary;
}

export interface HistoryOptions {
  dir: string;
  /** Runs kept; the oldest beyond are removed. */
  keep: number;
  /** Runs older than this many days are removed. */
  maxAgeDays: number;
  /** The oldest runs are removed while all of them together take more than this many MiB (a run of 1000 hosts is ≈ 25 MiB). */
  maxMiB?: number;
}

export const runsDir = (dir: string) => path.join(dir, 'runs');
/** Hidden files in the runs directory holding a running apply's finished hosts (history-spool.ts). */
export const SPOOL_PREFIX = '.spool-';
// Ids of the first records had whole seconds; they are still listed.
const ID = /^\d{8}T\d{6}(?:\.\d{3})?Z-[0-9a-f]{6}$/;

function storeChange(c: Change): StoredChange {
  return c.kind === 'run'
    ? { kind: c.kind, description: c.description, command: c.command, diff: c.diff, file: c.file }
    : { kind: c.kind, description: c.description, path: c.write.path, diff: c.diff, file: c.file };
}

export function storeHosts(record: RunRecord): StoredHost[] {
  return [...record.hosts.values()].map(storeHost);
}

/** One host as the history keeps it. */
export function storeHost(h: HostRecord): StoredHost {
  return { ...h, tasks: h.tasks.map((t) => ({ ...t, changes: t.changes.map(storeChange) })) };
}

/** Back to what the reports read (a write's content is gone: an empty buffer stands in for it). */
export function toRunRecord(r: HistoryRecord): RunRecord {
  const change = (c: StoredChange): Change =>
    c.kind === 'run'
      ? { kind: 'run', description: c.description, command: c.command ?? '', diff: c.diff, file: c.file }
      : { kind: 'write', description: c.description, write: { path: c.path ?? '', content: Buffer.alloc(0) }, diff: c.diff, file: c.file };
  const hosts = new Map<string, HostRecord>(r.hosts.map((h) => [h.name, { ...h, tasks: h.tasks.map((t) => ({ ...t, changes: t.changes.map(change) })) }]));
  return { check: r.check, plays: r.plays, startedAt: new Date(r.startedAt), hosts, summary: r.summary };
}

/** A new run's id: its start time (UTC, to the millisecond — two runs in one second must still sort
 *  in the order they started, `last` depends on it) and a random suffix. */
export function newRunId(startedAt: Date, random: string): string {
  return `${startedAt.toISOString().replace(/[-:]/g, '')}-${random}`;
}

/**
 * Writes a record (private to its user: plans name hosts and accounts) and prunes old ones; returns its
 * path. `hosts` may be each host's JSON text, produced one at a time while the file is written: the
 * bytes are those of JSON.stringify(record), but a 1000-host record is never one string in memory.
 */
export function saveRecord(record: HistoryRecord | (Omit<HistoryRecord, 'hosts'> & { hosts: Iterable<string> }), opts: HistoryOptions): string {
  const dir = runsDir(opts.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${record.id}.json`);
  writeAtomic(file, recordParts(record), 0o600);
  prune(opts, record.id);
  return file;
}

function* recordParts(record: Parameters<typeof saveRecord>[0]): Iterable<string> {
  if (Array.isArray(record.hosts)) {
    yield `${JSON.stringify(record)}\n`;
    return;
  }
  // The record with a stand-in for its hosts, cut where the stand-in is: what comes before and after the list.
  const mark = `\u0000hosts-${randomBytes(8).toString('hex')}`;
  const [before, after] = JSON.stringify({ ...record, hosts: mark }).split(JSON.stringify(mark)) as [string, string];
  yield `${before}[`;
  let first = true;
  for (const host of record.hosts) {
    yield first ? host : `,${host}`;
    first = false;
  }
  yield `]${after}\n`;
}

/** Every run's id, oldest first. */
export function runIds(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(runsDir(dir));
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.json') && ID.test(n.slice(0, -5))).map((n) => n.slice(0, -5)).sort();
}

/**
 * Oldest beyond `keep`, older than `maxAgeDays` (by the file's time), and oldest while the history
 * takes more than `maxMiB`, go; the run just written stays.
 */
export function prune(opts: HistoryOptions, current?: string, now = Date.now()): string[] {
  const cutoff = now - opts.maxAgeDays * 86_400_000;
  const files = runIds(opts.dir).flatMap((id) => {
    try {
      const st = statSync(path.join(runsDir(opts.dir), `${id}.json`));
      return [{ id, size: st.size, mtimeMs: st.mtimeMs }];
    } catch {
      return [];
    }
  });
  removeStaleSpools(opts.dir, cutoff);
  let total = files.reduce((n, f) => n + f.size, 0);
  const budget = (opts.maxMiB ?? Infinity) * 2 ** 20;
  const removed: string[] = [];
  files.forEach((f, i) => {
    if (f.id === current) return;
    if (i < files.length - opts.keep || f.mtimeMs < cutoff || total > budget) {
      rmSync(path.join(runsDir(opts.dir), `${f.id}.json`), { force: true });
      removed.push(f.id);
      total -= f.size;
    }
  });
  return removed;
}

/** Spools of runs that never saved their record (killed), older than the records' age limit. */
function removeStaleSpools(dir: string, cutoff: number): void {
  let names: string[] = [];
  try {
    names = readdirSync(runsDir(dir)).filter((n) => n.startsWith(SPOOL_PREFIX));
  } catch {
    return;
  }
  for (const n of names) {
    const file = path.join(runsDir(dir), n);
    try {
      if (statSync(file).mtimeMs < cutoff) rmSync(file, { force: true });
    } catch {
      // gone meanwhile
    }
  }
}

/** `last`, a whole id or a unique prefix of one → the id, or an error message. */
export function findRun(dir: string, wanted: string): { id?: string; problem?: string } {
  const ids = runIds(dir);
  if (!ids.length) return { problem: `no run recorded in ${dir}` };
  if (wanted === 'last') return { id: ids.at(-1) };
  const matches = ids.filter((id) => id.startsWith(wanted));
  if (matches.length === 1) return { id: matches[0] };
  if (!matches.length) return { problem: `no run '${wanted}' in ${dir}; the latest: ${ids.slice(-3).reverse().join(', ')}` };
  return { problem: `'${wanted}' names ${matches.length} runs (${matches.slice(0, 3).join(', ')}…): give more of the id` };
}

export function readRecord(dir: string, id: string): HistoryRecord {
  const r = JSON.parse(readFileSync(path.join(runsDir(dir), `${id}.json`), 'utf8')) as HistoryRecord;
  if (r.format !== HISTORY_FORMAT) throw new Error(`run ${id}: history format ${String(r.format)}, this fleetplan reads ${HISTORY_FORMAT}`);
  return r;
}
