// `register:` — a task's result as a host variable, Ansible's shape: {changed, failed, skipped, rc,
// stdout, stderr, stdout_lines, stderr_lines, msg} plus the operation's own fields (registerFields).
// In a dry run what only executing the task would tell (its output; its change when decided by its
// output) is Unknown (core/unknown.ts), naming the task; what is known stays known. A loop's items
// are collected in `results`, as Ansible does.
import { Unknown, unknownResult } from '../core/unknown.js';
import { Secret, type SecretRegistry } from '../core/secret.js';
import type { ExecOutcome } from '../ops/operation.js';
import type { TaskResult } from './events.js';
import { hostResults } from './host-results.js';
import type { PlayContext } from './play-context.js';
import type { PreparedTask } from './prepare.js';

export type Registered = Record<string, unknown>;

/** Ansible strips the final newline of a command's output. */
const text = (s: string): string => s.replace(/\r?\n$/, '');
const lines = (s: string): string[] => (s === '' ? [] : s.split(/\r?\n/));

/** What executing the task said: its exit status and output. */
export function outputFields(outcome: ExecOutcome): Registered {
  const stdout = text(outcome.stdout);
  const stderr = text(outcome.stderr);
  return { rc: outcome.exitCode, stdout, stderr, stdout_lines: lines(stdout), stderr_lines: lines(stderr) };
}

/**
 * A no_log task's output stays secret where it goes: a template or argument using it is tracked
 * like any secret (redacted in every report). The exit status is no secret.
 */
function secretOutput(fields: Registered, registry: SecretRegistry): Registered {
  const secret = (s: string) => (s === '' ? s : new Secret(s, registry));
  return {
    ...fields,
    stdout: secret(fields.stdout as string),
    stderr: secret(fields.stderr as string),
    stdout_lines: (fields.stdout_lines as string[]).map(secret),
    stderr_lines: (fields.stderr_lines as string[]).map(secret),
  };
}

/** The same fields, unknown: the task would execute, but a dry run does not. */
function unknownOutput(task: string): Registered {
  const u = new Unknown(task);
  return { rc: u, stdout: u, stderr: u, stdout_lines: u, stderr_lines: u };
}

/** The registered value of one run of a task (one item of a loop), from its result. */
export function resultValue(pc: PlayContext, p: PreparedTask, r: TaskResult, outcome: ExecOutcome | undefined): Registered {
  if (r.status === 'skipped') return { changed: false, failed: false, skipped: true, skip_reason: r.reason ?? 'skipped' };
  const notRun = r.check && !outcome && r.changes.length > 0;
  // A dry run that could not plan the task (it depends on an earlier change) knows nothing of its result.
  if (r.check && r.dependsOn !== undefined && r.changes.length === 0 && !outcome) return unknownResult(p.displayName) as unknown as Registered;
  const decidedByOutput = typeof p.def.changedWhen === 'object';
  const value: Registered = {
    changed: notRun && decidedByOutput ? new Unknown(p.displayName) : r.status === 'changed',
    failed: r.status === 'failed',
    skipped: false,
    ...(outcome ? (p.def.noLog ? secretOutput(outputFields(outcome), pc.ctx.opts.secrets) : outputFields(outcome)) : notRun ? unknownOutput(p.displayName) : {}),
    ...(r.error !== undefined ? { msg: r.error } : r.reason !== undefined ? { msg: r.reason } : {}),
  };
  if (r.attempts !== undefined) value.attempts = r.attempts;
  const fields = r.status === 'changed' && !r.check && p.op.registerAfterChange ? p.op.registerAfterChange : p.op.registerFields;
  if (p.opCtx && p.resolved !== undefined && fields) {
    try {
      Object.assign(value, fields(p.resolved, pc.state.view), value.msg !== undefined ? { msg: value.msg } : {});
    } catch {
      // What the engine does not know of its state (a task that failed before reading it) is left out.
    }
  }
  if (p.loop) value[p.def.loopVar ?? 'item'] = p.loop.item;
  return value;
}

/** Per host (its results object), per looping task: the items' results so far. */
const loopResults = new WeakMap<object, Map<PreparedTask['def'], Registered[]>>();

/** Store `value` under the task's register name: as is, or added to its loop's `results`. */
export function register(pc: PlayContext, p: PreparedTask, value: Registered): void {
  const name = p.def.register;
  if (name === undefined) return;
  if (!p.loop) {
    hostResults(pc.ctx)[name] = value;
    return;
  }
  const host = hostResults(pc.ctx);
  let loops = loopResults.get(host);
  if (!loops) loopResults.set(host, (loops = new Map()));
  let results = loops.get(p.def);
  if (p.loop.index === 0 || !results) loops.set(p.def, (results = []));
  results.push(value);
  host[name] = loopValue(results);
}

/** A loop's registered value, Ansible's: every item's result under `results`, changed/failed if any item was. */
function loopValue(results: Registered[]): Registered {
  const any = (key: string) => (results.some((r) => r[key] instanceof Unknown) ? results.find((r) => r[key] instanceof Unknown)![key] : results.some((r) => r[key] === true));
  return {
    results,
    changed: any('changed'),
    failed: any('failed'),
    skipped: results.every((r) => r.skipped === true),
    msg: 'All items completed',
  };
}
