// Events leave the engine redacted: every secret value replaced, file contents dropped (reporters
// show diffs, never raw bytes), no_log tasks reduced to what ran. Subscribers cannot leak what they
// never receive.
import type { SecretRegistry } from '../core/secret.js';
import type { Change } from '../ops/operation.js';
import type { RunEvent, TaskResult } from './events.js';

function deepRedact<T>(value: T, secrets: SecretRegistry): T {
  if (typeof value === 'string') return secrets.redact(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return Buffer.alloc(0) as T;
  if (Array.isArray(value)) return value.map((v) => deepRedact(v, secrets)) as T;
  const out: Record<string, unknown> = {};
  // Keys by index, not entries: no pair array, no iterator result per property (every result and
  // event of every host comes through here, in code V8 has not optimized in a short run).
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) out[keys[i]!] = deepRedact((value as Record<string, unknown>)[keys[i]!], secrets);
  return out as T;
}

function maskNoLog(c: Change): Change {
  if (c.kind === 'run') return { ...c, description: 'run [redacted: no_log]', command: '[redacted: no_log]', diff: c.diff && { path: c.diff.path, before: null, after: null, masked: 'secret' } };
  return { ...c, diff: c.diff && { path: c.diff.path, before: null, after: null, attrs: c.diff.attrs, masked: 'secret' } };
}

export function redactResult(r: TaskResult, secrets: SecretRegistry): TaskResult {
  if (!r.noLog) return deepRedact(r, secrets);
  const masked = { ...r, changes: r.changes.map(maskNoLog), reason: undefined, error: r.error ? 'failed (output hidden: no_log)' : undefined };
  return deepRedact(masked, secrets);
}

export function redactEvent(e: RunEvent, secrets: SecretRegistry): RunEvent {
  return deepRedact(e, secrets);
}
