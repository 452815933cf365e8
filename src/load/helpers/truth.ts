// Ansible's truthiness of strings, shared by the `bool` helper and by typed arguments (args.ts): a
// rendered "yes", "no", "true", "0"... is a boolean where a boolean is expected.
const TRUE = new Set(['yes', 'y', 'true', 't', 'on', '1']);
const FALSE = new Set(['no', 'n', 'false', 'f', 'off', '0', '']);

/** The boolean a value stands for, as Ansible's `bool` filter reads it; undefined when it is none. */
export function asBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  return TRUE.has(s) ? true : FALSE.has(s) ? false : undefined;
}

/** The words `asBoolean` accepts, for messages. */
export const BOOLEAN_WORDS = 'yes/no, true/false, on/off, 1/0';

/** A number written as a string ("25", " 0.5 ", "-3"): the number; undefined for anything else. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || !/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return undefined;
  return Number(v);
}
