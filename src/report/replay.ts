// `fleetplan report merge`: the --json documents of several shards of one run (docs/scale.md) turned
// back into the events of one run over all their hosts, so that the console, --json and --report
// reporters print exactly what they print for a run — the same code, not a second rendering.
import type { Change } from '../core/change.js';
import { InputError } from '../core/errors.js';
import type { HostStats, RunEvent, RunSummary, TaskResult } from '../engine/events.js';
import type { InterruptSignal } from '../engine/interrupt.js';
import type { Facts } from '../facts/facts.js';
import type { HostValues, ValuesOf } from './group.js';
import type { JsonDocument, JsonHost, JsonTask } from './json.js';

export interface ShardDocument {
  /** Where it was read from, for errors. */
  file: string;
  doc: JsonDocument;
}

export interface ReplayedRun {
  events: RunEvent[];
  plan?: string;
  check: boolean;
  /** Each host's own values, as the shards' groups recorded them. */
  valuesOf: ValuesOf;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The document as --json writes it, or an input error naming the file. */
export function shardDocument(file: string, parsed: unknown): ShardDocument {
  const bad = (why: string) => new InputError(`not a fleetplan --json document of a run: ${why}`, { pos: { file } });
  if (!isObject(parsed)) throw bad('not a JSON object');
  if (typeof parsed.check !== 'boolean' || !isObject(parsed.hosts) || !isObject(parsed.summary)) throw bad('"check", "hosts" or "summary" missing');
  const run = parsed.run;
  if (!isObject(run) || !Array.isArray(run.hosts) || !Array.isArray(run.plays)) throw bad('no "run" section (written by an older fleetplan?)');
  for (const [name, h] of Object.entries(parsed.hosts)) if (!isObject(h) || !Array.isArray(h.tasks)) throw bad(`host ${name}: no "tasks"`);
  return { file, doc: parsed as unknown as JsonDocument };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The shards must be of one run (same mode, plays, hosts) and together hold each of its hosts once. */
function checkShards(shards: ShardDocument[]): void {
  const [first] = shards;
  if (!first) throw new InputError('report merge: no input');
  for (const s of shards.slice(1)) {
    const where = { pos: { file: s.file } };
    if (s.doc.check !== first.doc.check) throw new InputError(`a ${s.doc.check ? 'dry run' : 'real run'}, unlike ${first.file}`, where);
    if (!same(s.doc.run.plays, first.doc.run.plays) || s.doc.run.plan !== first.doc.run.plan) throw new InputError(`another plan than ${first.file}'s (${s.doc.run.plan ?? '?'}: ${s.doc.run.plays.join(', ')})`, where);
    if (!same(s.doc.run.hosts, first.doc.run.hosts)) throw new InputError(`a run over other hosts than ${first.file}'s (another inventory or --limit?)`, where);
  }
  const from = new Map<string, string>();
  for (const s of shards) {
    for (const host of Object.keys(s.doc.hosts)) {
      const other = from.get(host);
      if (other !== undefined) throw new InputError(`host ${host} is also in ${other}: the same shard given twice, or shards of different sizes?`, { pos: { file: s.file } });
      from.set(host, s.file);
    }
  }
  const missing = first.doc.run.hosts.filter((h) => !from.has(h));
  if (missing.length) {
    const named = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '');
    throw new InputError(`report merge: ${missing.length} host(s) of the run are in no input (a shard missing?): ${named}`);
  }
}

/** The task's changes in order, each taking its command, diff and file from the task's lists in turn. */
function changesOf(t: JsonTask): Change[] {
  const commands = [...(t.commands ?? [])];
  const diffs = [...(t.diff ?? [])];
  const files = [...(t.files ?? [])];
  return (t.changes ?? []).map((c) => {
    const diff = c.diff ? diffs.shift() : undefined;
    const file = c.file ? files.shift() : undefined;
    if (c.kind === 'run') return { kind: 'run', description: c.description, command: commands.shift() ?? '', diff, file };
    // The write itself (content, place) is not recorded: no reporter shows it.
    return { kind: 'write', description: c.description, write: { path: diff?.path ?? file?.path ?? '', content: Buffer.alloc(0) }, diff, file };
  });
}

function taskResult(host: string, check: boolean, t: JsonTask): TaskResult {
  return {
    host,
    play: t.play,
    task: t.name,
    role: t.role,
    op: t.operation,
    handler: t.handler,
    status: t.status,
    check,
    changes: changesOf(t),
    reason: t.reason,
    dependsOn: t.depends_on,
    error: t.error,
    ignored: t.ignored,
    rescued: t.rescued,
    attempts: t.attempts,
    pos: t.pos,
    ms: t.ms ?? 0,
  };
}

function statsOf(h: JsonHost): HostStats {
  return { ok: h.ok, changed: h.changed, failed: h.failed, skipped: h.skipped, unreachable: h.unreachable, execs: 0, ms: h.ms ?? 0, interrupted: h.interrupted };
}

function hostEvents(name: string, h: JsonHost, check: boolean): RunEvent[] {
  const events: RunEvent[] = [{ type: 'host-start', host: name }];
  // Only what the reports show of a host's facts was recorded.
  if (h.system) events.push({ type: 'host-facts', host: name, facts: h.system as Facts, ms: 0 });
  for (const note of h.notes ?? []) events.push({ type: 'host-note', host: name, note });
  for (const t of h.tasks) events.push({ type: 'task-result', result: taskResult(name, check, t) });
  if (h.error !== undefined) events.push(h.unreachable ? { type: 'host-unreachable', host: name, error: h.error } : { type: 'host-failed', host: name, error: h.error });
  if (h.ms !== undefined) events.push({ type: 'host-done', host: name, stats: statsOf(h) });
  return events;
}

/** One run's events from its shards' documents: hosts in the run's inventory order. */
export function replayShards(shards: ShardDocument[]): ReplayedRun {
  checkShards(shards);
  const first = shards[0]!.doc;
  const byHost = new Map(shards.flatMap((s) => Object.entries(s.doc.hosts)));
  const values = new Map<string, HostValues>();
  for (const s of shards) for (const g of s.doc.groups ?? []) for (const [h, v] of Object.entries(g.values ?? {})) values.set(h, { ...values.get(h), ...v });
  const started = shards.map((s) => s.doc.run.started).filter((t): t is string => typeof t === 'string').sort()[0];
  const events: RunEvent[] = [{ type: 'run-start', hosts: first.run.hosts, check: first.check, plays: first.run.plays, startedAt: started ? new Date(started) : undefined }];
  const summary: RunSummary = { check: first.check, hosts: {}, ms: Math.max(0, ...shards.map((s) => s.doc.summary.ms)) };
  for (const name of first.run.hosts) {
    const h = byHost.get(name)!;
    events.push(...hostEvents(name, h, first.check));
    summary.hosts[name] = statsOf(h);
  }
  summary.interrupted = shards.map((s) => s.doc.summary.interrupted as InterruptSignal | undefined).find(Boolean);
  events.push({ type: 'run-end', summary });
  return { events, plan: first.run.plan, check: first.check, valuesOf: (host) => values.get(host) ?? {} };
}
