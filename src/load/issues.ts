// How loading reports problems: collect every InputError of a pass (so an operator fixes them all in
// one go), and suggest the nearest known name for a typo.
import { InputError, InputErrors, type SourcePos } from '../core/errors.js';

export class Issues {
  readonly list: InputError[] = [];
  readonly #seen = new Set<string>();

  /** Add an error; the same message at the same place is kept once (shared role files, many plays). */
  add(pos: SourcePos | undefined, message: string): void {
    const err = new InputError(message, { pos });
    const key = err.describe();
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.list.push(err);
  }

  /** Absorb errors thrown by a nested loader (a file that failed to parse). */
  absorb(err: unknown): void {
    if (err instanceof InputErrors) for (const e of err.errors) this.add(e.pos, e.message);
    else if (err instanceof InputError) this.add(err.pos, err.message);
    else throw err;
  }

  /** Run `fn`, turning its InputError(s) into collected issues; returns undefined on failure. */
  try<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.absorb(err);
      return undefined;
    }
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Throw what was collected, in file/line/column order. */
  throwIfAny(): void {
    if (this.list.length === 1) throw this.list[0];
    if (this.list.length > 1) throw new InputErrors(sortErrors(this.list));
  }
}

/** Sort errors by file, line, column so reports read top to bottom. */
export function sortErrors(errors: InputError[]): InputError[] {
  return [...errors].sort((a, b) =>
    (a.pos?.file ?? '').localeCompare(b.pos?.file ?? '') ||
    (a.pos?.line ?? 0) - (b.pos?.line ?? 0) ||
    (a.pos?.col ?? 0) - (b.pos?.col ?? 0));
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** " (did you mean 'template'?)" when a known name is close enough, else "". */
export function didYouMean(name: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  const limit = Math.max(1, Math.floor(name.length / 3));
  return best !== undefined && bestD <= limit ? ` (did you mean '${best}'?)` : '';
}

/** "a, b or c": a list of alternatives in a message. */
export function orList(items: readonly string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items.at(-1)}` : items.join('');
}

/** "string 'x'", "number 644", "mapping", "list", "null": how a wrong value is named in messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'list';
  // A long value (a 64 KiB command) is cut: the message is about where it is, not all of it.
  if (typeof value === 'string') return value.length > 200 ? `string ${JSON.stringify(`${value.slice(0, 200)}…`)} (${value.length} characters)` : `string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (typeof value === 'object' && value.constructor?.name === 'Secret') return 'secret string';
  if (typeof value === 'object') return 'mapping';
  return typeof value;
}
