// Deep passes over engine events (redaction, making control characters visible) change a string in
// few of them, if any. They copy only along the path to what changed: an unchanged array or object
// comes back as the very same value, not a fresh copy of every result, value and diff per event.

/** `items` with `f` applied to each: the same array when `f` returned every item as it was. */
export function mapItems(items: unknown[], f: (v: unknown) => unknown): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    const mapped = f(v);
    if (!out && mapped !== v) out = items.slice(0, i);
    out?.push(mapped);
  }
  return out ?? items;
}

/**
 * `obj`'s own enumerable string-keyed entries, values through `f` and keys through `key`: `obj` itself
 * when nothing changed, unless `copy` asks for a plain-object copy whatever happens.
 */
export function mapEntries(
  obj: Record<string, unknown>,
  f: (v: unknown) => unknown,
  key?: (k: string) => string,
  copy = false,
): Record<string, unknown> {
  // Keys by index, not entries: no pair array, no iterator result per property (every event of every
  // host comes through here, in code V8 has not optimized in a short run).
  const keys = Object.keys(obj);
  let out: Record<string, unknown> | undefined = copy ? {} : undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = obj[k];
    const mappedKey = key ? key(k) : k;
    const mapped = f(v);
    if (!out && (mappedKey !== k || mapped !== v)) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]!] = obj[keys[j]!];
    }
    if (out) out[mappedKey] = mapped;
  }
  return out ?? obj;
}
