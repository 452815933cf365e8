// A value marked `!secret` in YAML. It renders as itself (templates and commands need the real value)
// but serialises as "[redacted]", and every secret value is remembered so that reporters can mask it
// wherever it appears in output (command lines, diffs, error messages).
//
// Taint: reading a Secret's value (toString) marks its registry's current tracking scope as touched, so
// a template render, a helper call or a derived variable knows it saw a secret (marks values, not
// names; see SecretRegistry.track).
//
// The registry is an object, one per run: the command line creates it and hands it to the loader (YAML
// tags, vault, templates, variable resolution, conditions), the engine, the operations (through their
// context) and the reporters. There is no process-global registry: whoever creates a Secret names the
// registry it belongs to.

/** The secret values of one run, and the taint scope of the renders that read them. */
export class SecretRegistry {
  readonly #known = new Set<string>();
  /** Values registered (each adds its forms to `#known`). */
  readonly #registered = new Set<string>();
  /** `#known`, longest first; sorted again only when a secret was added (every string of every event is redacted). */
  #longestFirst: string[] | undefined;
  /** Set when a Secret of this registry is read inside the innermost track scope. */
  #touched = false;

  /** Record a value as secret (a Secret does on creation; also an unwrapped task argument, a passphrase). */
  register(value: string): void {
    if (value === '' || this.#registered.has(value)) return;
    this.#registered.add(value);
    // The forms a value takes inside a shell word or a JSON string (commands quote with shQuote, error
    // texts may hold JSON.stringify): masked as well as the raw value. A value may already be known as
    // another's form (`a\\b` is the JSON form of `a\b`): its own forms are added all the same.
    for (const form of [value, value.replaceAll("'", "'\\''"), JSON.stringify(value).slice(1, -1)]) this.#known.add(form);
    this.#longestFirst = undefined;
  }

  /** Every secret value seen so far, for reporters to redact. */
  values(): ReadonlySet<string> {
    return this.#known;
  }

  /** Replace every known secret value in `text` with "[redacted]" (longest first, so overlaps mask fully). */
  redact(text: string): string {
    if (this.#known.size === 0) return text;
    this.#longestFirst ??= [...this.#known].sort((a, b) => b.length - a.length);
    let out = text;
    for (const v of this.#longestFirst) if (out.includes(v)) out = out.split(v).join('[redacted]');
    return out;
  }

  /** A Secret of this registry was read. */
  touch(): void {
    this.#touched = true;
  }

  /**
   * Run `fn`, reporting whether it read any Secret's value. Scopes nest: a secret read inside marks
   * every enclosing scope too (a helper's subexpression taints the whole render).
   */
  track<T>(fn: () => T): { value: T; tainted: boolean } {
    const outer = this.#touched;
    this.#touched = false;
    try {
      const value = fn();
      return { value, tainted: this.#touched };
    } finally {
      this.#touched = outer || this.#touched;
    }
  }
}

export class Secret {
  readonly #value: string;
  readonly #registry: SecretRegistry;
  constructor(value: string, registry: SecretRegistry) {
    this.#value = value;
    this.#registry = registry;
    registry.register(value);
  }
  /** The real value: used by template rendering (string concatenation) and by operations. */
  toString(): string {
    this.#registry.touch();
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

/** A value declared secret by name: every string or number in it (deeply) becomes a Secret. */
export function asSecret(value: unknown, registry: SecretRegistry): unknown {
  if (value instanceof Secret) return value;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value === '' ? value : new Secret(String(value), registry);
  if (Array.isArray(value)) return value.map((v) => asSecret(v, registry));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asSecret(v, registry)]));
  return value;
}

/** Strings (deeply) that hold a registered secret become Secrets: rendered data keeps its taint. */
export function markSecrets(value: unknown, registry: SecretRegistry): unknown {
  if (typeof value === 'string') return registry.redact(value) === value ? value : new Secret(value, registry);
  if (Array.isArray(value)) return value.map((v) => markSecrets(v, registry));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markSecrets(v, registry)]));
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
