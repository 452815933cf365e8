// A value marked `!secret` in YAML. It renders as itself (templates and commands need the real value)
// but serialises as "[redacted]", and every secret value is remembered so that reporters can mask it
// wherever it appears in output (command lines, diffs, error messages).

const known = new Set<string>();

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
    registerSecret(value);
  }
  /** The real value: used by template rendering (string concatenation) and by operations. */
  toString(): string {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  /** Keep console.log / util.inspect from printing the value while debugging. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret([redacted])';
  }
}

/** Every secret value seen so far, for reporters to redact. */
export function secretValues(): ReadonlySet<string> {
  return known;
}

/** Record a value as secret without wrapping it (e.g. an unwrapped task argument). */
export function registerSecret(value: string): void {
  if (value !== '' && !known.has(value)) {
    known.add(value);
    longestFirst = undefined;
  }
}

/** `known`, longest first; sorted again only when a secret was added (every string of every event is redacted). */
let longestFirst: string[] | undefined;

/** Replace every known secret value in `text` with "[redacted]" (longest first, so overlaps mask fully). */
export function redact(text: string): string {
  if (known.size === 0) return text;
  longestFirst ??= [...known].sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of longestFirst) if (out.includes(v)) out = out.split(v).join('[redacted]');
  return out;
}

/** Unwrap a Secret (anything else is returned unchanged): comparisons and schemas see plain values. */
export function reveal<T>(value: T): T | string {
  return value instanceof Secret ? value.toString() : value;
}

/** Deeply unwrap Secrets in plain data (arrays and plain objects); other values are returned as-is. */
export function revealDeep(value: unknown): unknown {
  if (value instanceof Secret) return value.toString();
  if (Array.isArray(value)) return value.map(revealDeep);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = revealDeep(v);
    return out;
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
