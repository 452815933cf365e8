// Events leave the engine redacted: every secret value replaced, file contents dropped (reporters
// show diffs, never raw bytes), no_log tasks reduced to what ran. Subscribers cannot leak what they
// never receive.
import { mapEntries, mapItems } from '../core/copy-on-change.js';
import type { SecretRegistry } from '../core/secret.js';
import type { Change } from '../ops/operation.js';
import type { RunEvent, TaskResult } from './events.js';

// Copies only along the path to a string that held a secret (or to a Buffer, emptied): an event with
// no secret in it, nearly every one, leaves as the very same object (see core/copy-on-change.ts).
// Anything but a plain object or array (a class instance, a Date) still leaves as a plain copy of its
// own entries, as before.
const redactors = new WeakMap<SecretRegistry, (value: unknown) => unknown>();

function redactor(secrets: SecretRegistry): (value: unknown) => unknown {
  let redact = redactors.get(secrets);
  if (redact) return redact;
  redact = (value: unknown): unknown => {
    if (typeof value === 'string') return secrets.redact(value);
    if (value === null || typeof value !== 'object') return value;
    if (Buffer.isBuffer(value)) return Buffer.alloc(0);
    if (Array.isArray(value)) return mapItems(value, redact!);
    const proto = Object.getPrototypeOf(value);
    return mapEntries(value as Record<string, unknown>, redact!, undefined, proto !== Object.prototype && proto !== null);
  };
  redactors.set(secrets, redact);
  return redact;
}

/** `value` with every known secret replaced and file contents dropped; unchanged parts shared, not copied. */
export function deepRedact<T>(value: T, secrets: SecretRegistry): T {
  return redactor(secrets)(value) as T;
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
