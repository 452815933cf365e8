// What a template helper is: a name, its arguments, the Ansible filter or test it stands for, and a
// function over plain values. One declaration per helper drives registration (template.ts), the
// did-you-mean of unknown helpers and the generated reference (docs/plan-language.md, "Helpers").
import { isPlainObject, reveal, revealDeep, type SecretRegistry } from '../../core/secret.js';

/** Handlebars' last argument to every helper. */
export interface HelperOptions {
  hash?: Record<string, unknown>;
  fn?: unknown;
  data?: unknown;
  name?: string;
}

export interface HelperDef {
  name: string;
  /** Arguments as written in a template: `value fallback [also_empty]`. */
  args: string;
  /** The Ansible (Jinja) filters, tests or lookups this replaces. */
  ansible: readonly string[];
  /** What it returns, in one or two sentences. */
  does: string;
  /** A call as written in a template. */
  example: string;
  /** The helper over its real arguments (Secrets still wrapped: read them with `plain`/`text`). */
  fn: (args: unknown[], options: HelperOptions) => unknown;
}

/** The registry of the render a helper runs in: Handlebars `data.secrets`, set by template.ts per render. */
export function renderSecretsOf(options: HelperOptions | undefined): SecretRegistry {
  const secrets = (options?.data as { secrets?: SecretRegistry } | undefined)?.secrets;
  if (!secrets) throw new Error('a helper was called outside a fleetplan render (no secret registry)');
  return secrets;
}

/** A helper was called with an argument it cannot use: the render error names the helper. */
export class HelperArgError extends Error {}

export function fail(helper: string, message: string): never {
  throw new HelperArgError(`helper '${helper}': ${message}`);
}

/** The value with every Secret revealed (reading a Secret taints the render: see taintHelpers). */
export const plain = (v: unknown): unknown => revealDeep(v);

/** What kind of value this is, for messages. */
export function kindOf(v: unknown): string {
  v = reveal(v);
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isPlainObject(v)) return 'a mapping';
  return `a ${typeof v}`;
}

/** A scalar as text: strings, numbers and booleans; undefined/null are an error naming the helper. */
export function text(helper: string, v: unknown, what = 'value'): string {
  v = reveal(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return fail(helper, `${what} must be a string, got ${kindOf(v)}`);
}

export function list(helper: string, v: unknown, what = 'value'): unknown[] {
  v = reveal(v);
  if (Array.isArray(v)) return v;
  return fail(helper, `${what} must be a list, got ${kindOf(v)}`);
}

export function mapping(helper: string, v: unknown, what = 'value'): Record<string, unknown> {
  v = reveal(v);
  if (isPlainObject(v)) return v;
  return fail(helper, `${what} must be a mapping, got ${kindOf(v)}`);
}

/** The real arguments of a call: Handlebars passes its options object last. */
export function splitArgs(raw: unknown[]): { args: unknown[]; options: HelperOptions } {
  return { args: raw.slice(0, -1), options: (raw.at(-1) ?? {}) as HelperOptions };
}
