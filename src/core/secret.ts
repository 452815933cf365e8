// A value marked `!secret` in YAML. It renders as itself (templates and commands need the real value)
// but serialises as "[redacted]", and every secret value is remembered so that reporters can mask it
// wherever it appears in output (command lines, diffs, error messages).
//
// Taint: reading a Secret's value (toString) marks the current tracking scope as touched, so a
// template render, a helper call or a derived variable knows it saw a secret (marks values, not names;
// see trackSecrets). The registry stays process-global: one run per process.

const known = new Set<string>();

/** Set when a Secret's value is read inside the innermost trackSecrets scope. */
let touched = false;

/**
 * Run `fn`, reporting whether it read any Secret's value. Scopes nest: a secret read inside marks
 * every enclosing scope too (a helper's subexpression taints the whole render).
 */
export function trackSecrets<T>(fn: () => T): { value: T; tainted: boolean } {
  const outer = touched;
  touched = false;
  try {
    const value = fn();
    return { value, tainted: touched };
  } finally {
    touched = outer || touched;
  }
}

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
    registerSecret(value);
  }
  /** The real value: used by template rendering (string concatenation) and by operations. */
  toString(): string {
    touched = true;
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
  if (value === '' || known.has(value)) return;
  known.add(value);
  // The forms a value takes inside a shell word or a JSON string (commands quote with shQuote, error
  // texts may hold JSON.stringify): masked as well as the raw value.
  for (const form of [value.replaceAll("'", "'\\''"), JSON.stringify(value).slice(1, -1)]) if (form !== value) known.add(form);
  longestFirst = undefined;
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

/** A value declared secret by name: every string or number in it (deeply) becomes a Secret. */
export function asSecret(value: unknown): unknown {
  if (value instanceof Secret) return value;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value === '' ? value : new Secret(String(value));
  if (Array.isArray(value)) return value.map(asSecret);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asSecret(v)]));
  return value;
}

/** Strings (deeply) that hold a registered secret become Secrets: rendered data keeps its taint. */
export function markSecrets(value: unknown): unknown {
  if (typeof value === 'string') return redact(value) === value ? value : new Secret(value);
  if (Array.isArray(value)) return value.map(markSecrets);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markSecrets(v)]));
  return value;
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
