// Checking a task's arguments against its operation's zod schema at load time, with each problem
// mapped back to the YAML node that caused it. A string holding `{{` may render to something valid
// (or to another type), so problems with such values are left to the engine, which re-validates
// after rendering.
import type { z } from 'zod';
import type { SourcePos } from '../core/errors.js';
import type { Operation } from '../ops/operation.js';
import { parseArgs } from '../ops/parse-args.js';
import { describeValue, didYouMean } from './issues.js';
import { isTemplated } from '../core/templated.js';
import type { YamlSource, Node } from './yaml.js';
import { BOOLEAN_WORDS, asBoolean, asNumber } from './helpers/truth.js';
import { isPlainObject, reveal, SecretRegistry } from '../core/secret.js';
import { renderString, templateRefsOf } from './template.js';

type Issue = z.core.$ZodIssue;
type AnySchema = { _zod: { def: Record<string, unknown> }; description?: string };


/** The value at a path of plain data (undefined when absent). */
function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** Is any value along the path (or the value itself) a template string? Then rendering decides. */
function templatedAlong(data: unknown, path: readonly PropertyKey[]): boolean {
  for (let i = 0; i <= path.length; i++) if (isTemplated(valueAt(data, path.slice(0, i)))) return true;
  return false;
}

/** Unwrap optional/default/nullable/pipe wrappers, collecting the first description on the way. */
function unwrap(schema: AnySchema | undefined): { inner?: AnySchema; description?: string } {
  let description: string | undefined;
  let cur = schema;
  for (let i = 0; cur && i < 10; i++) {
    description ??= cur.description;
    const def = cur._zod.def;
    const next = (def.innerType ?? (def.type === 'pipe' ? def.in : undefined)) as AnySchema | undefined;
    if (!next) break;
    cur = next;
  }
  return { inner: cur, description };
}

/** The sub-schema at a data path (objects, records, arrays), best effort. */
function schemaAt(schema: AnySchema, path: readonly PropertyKey[]): { inner?: AnySchema; description?: string } {
  let cur = unwrap(schema);
  for (const p of path) {
    const def = cur.inner?._zod.def;
    if (!def) return {};
    if (def.type === 'object') cur = unwrap((def.shape as Record<string, AnySchema>)[String(p)]);
    else if (def.type === 'record') cur = unwrap(def.valueType as AnySchema);
    else if (def.type === 'array') cur = unwrap(def.element as AnySchema);
    else return {};
  }
  return cur;
}

/** Argument names an object schema accepts (for did-you-mean). */
export function schemaKeys(schema: unknown, path: readonly PropertyKey[] = []): string[] {
  const def = schemaAt(schema as AnySchema, path).inner?._zod.def;
  return def?.type === 'object' ? Object.keys(def.shape as object) : [];
}

/** The schema of one top-level argument, for reading a value written as a string (Ansible's key=value). */
export function fieldSchema(schema: unknown, key: string): z.ZodType | undefined {
  const def = schemaAt(schema as AnySchema, []).inner?._zod.def;
  return def?.type === 'object' ? (def.shape as Record<string, z.ZodType>)[key] : undefined;
}

/** 'boolean' or 'number' when that is what the schema expects at `path` of the arguments. */
function expectedScalar(schema: unknown, path: readonly PropertyKey[]): 'boolean' | 'number' | undefined {
  const type = schemaAt(schema as AnySchema, path).inner?._zod.def.type;
  return type === 'boolean' || type === 'number' ? type : undefined;
}

/**
 * Typed arguments accept rendered values: where the schema expects a boolean, a string Ansible reads as
 * one (yes/no, true/false, on/off, 1/0) is that boolean; where it expects a number, a numeric string is
 * that number. Anything else is left for the schema to reject.
 */
export function coerceTyped(schema: unknown, value: unknown): unknown {
  return coerceAt(unwrapped(schema as AnySchema), value);
}

// Every task of every host is coerced: the sub-schema is followed down with the value (as schemaAt
// would find it from the top for each path), each wrapper unwrapped once per schema.
function coerceAt(at: { inner?: AnySchema }, value: unknown): unknown {
  const def = at.inner?._zod.def;
  if (typeof value === 'string') {
    const v = def?.type === 'boolean' ? asBoolean(value) : def?.type === 'number' ? asNumber(value) : undefined;
    return v ?? value;
  }
  if (Array.isArray(value)) return value.map((x, i) => coerceAt(childSchema(def, String(i)), x));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, coerceAt(childSchema(def, k), x)]));
  return value;
}

/** The sub-schema at key (or index) `k` under an object, record or array schema (nothing under anything else), as schemaAt. */
function childSchema(def: Record<string, unknown> | undefined, k: string): { inner?: AnySchema } {
  if (def?.type === 'object') return unwrapped((def.shape as Record<string, AnySchema>)[k]);
  if (def?.type === 'record') return unwrapped(def.valueType as AnySchema);
  if (def?.type === 'array') return unwrapped(def.element as AnySchema);
  return {};
}

const unwrappedCache = new WeakMap<AnySchema, { inner?: AnySchema; description?: string }>();
function unwrapped(schema: AnySchema | undefined): { inner?: AnySchema; description?: string } {
  if (!schema) return {};
  let u = unwrappedCache.get(schema);
  if (!u) unwrappedCache.set(schema, (u = unwrap(schema)));
  return u;
}

/** Why `value` (known before any host is contacted) cannot be the boolean or number expected at `path`. */
export function typedValueProblem(schema: unknown, path: readonly PropertyKey[], value: unknown): string | undefined {
  const want = expectedScalar(schema, path);
  if (want === 'boolean' && asBoolean(value) === undefined) return `expected a boolean (${BOOLEAN_WORDS}), got ${describeValue(value)}`;
  if (want === 'number' && asNumber(value) === undefined) return `expected a number, got ${describeValue(value)}`;
  return undefined;
}

const SINGLE_REF = /^\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}$/;

/**
 * For validation: an argument that is exactly one variable (`enabled: "{{start}}"`) whose value is
 * known before any host is contacted, and cannot be the boolean or number the operation expects.
 */
export function typedRefProblem(op: Operation, arg: string, text: string, known: Record<string, unknown>): string | undefined {
  const ref = SINGLE_REF.exec(text)?.[1];
  if (ref === undefined) return undefined;
  let cur: unknown = known;
  for (const part of ref.split('.')) {
    cur = reveal(cur);
    if (!isPlainObject(cur) || !Object.hasOwn(cur, part)) return undefined;
    cur = cur[part];
  }
  cur = reveal(cur);
  // Facts and per-host unknowns are symbols here; a value that is itself a template renders later.
  if (typeof cur === 'symbol' || cur === undefined || (typeof cur === 'string' && cur.includes('{{'))) return undefined;
  const problem = typedValueProblem(op.schema, [arg], cur);
  return problem && `${problem} (from variable '${ref}')`;
}

/**
 * For validation: an argument rendered from variables all known before any host is contacted (no
 * facts, no loop item, none itself a template) — `enabled: "{{#if tls}}yes{{else}}no{{/if}}"` — is
 * rendered now and must be the boolean or number the operation expects.
 */
export function typedTemplateProblem(op: Operation, arg: string, text: string, known: Record<string, unknown>, opaque: ReadonlySet<string>): string | undefined {
  if (!text.includes('{{') || expectedScalar(op.schema, [arg]) === undefined) return undefined;
  const single = typedRefProblem(op, arg, text, known);
  if (single !== undefined || SINGLE_REF.test(text)) return single;
  let refs;
  try {
    refs = templateRefsOf(text, {});
  } catch {
    return undefined; // a syntax error: reported by the template checks
  }
  const staticValue = (v: unknown): boolean => {
    v = reveal(v);
    if (typeof v === 'symbol' || (typeof v === 'string' && v.includes('{{'))) return false;
    if (Array.isArray(v)) return v.every(staticValue);
    return isPlainObject(v) ? Object.values(v).every(staticValue) : true;
  };
  if (refs.some((r) => r.unknownHelper || opaque.has(r.parts[0]!) || !Object.hasOwn(known, r.parts[0]!) || !staticValue(known[r.parts[0]!]))) return undefined;
  let rendered: unknown;
  try {
    rendered = renderString(text, known, new SecretRegistry());
  } catch {
    return undefined; // undefined variables and helper errors: reported by the template checks or at run time
  }
  return typedValueProblem(op.schema, [arg], rendered);
}

export interface ArgProblem {
  pos: SourcePos;
  message: string;
}

/**
 * Validate `args` (plain data, Secrets revealed) of `op`. `argsNode` is the YAML node of the op's
 * value (a mapping, or the scalar of a shorthand), `opKeyNode` the op key (blamed for missing args).
 * `argPos`: where each argument was written when it is not a key of `argsNode` (an Ansible argument
 * renamed, or a word of a key=value string).
 */
export function checkArgs(
  op: Operation,
  args: Record<string, unknown>,
  src: YamlSource,
  argsNode: Node | null,
  opKeyNode: Node,
  shorthandUsed: boolean,
  argPos?: Record<string, SourcePos>,
): ArgProblem[] {
  const result = parseArgs(op.schema, coerceTyped(op.schema, args));
  if (result.success) return [];
  const schema = op.schema as unknown as AnySchema;
  const problems: ArgProblem[] = [];

  /** YAML node for a data path; a shorthand scalar stands for its one argument. */
  const nodeFor = (path: readonly PropertyKey[]): Node | null => {
    if (shorthandUsed) return argsNode;
    return src.closestNode(argsNode, path) ?? argsNode;
  };
  const name = (path: readonly PropertyKey[]) => path.map(String).join('.');

  for (const issue of result.error.issues as Issue[]) {
    const path = issue.path as PropertyKey[];
    const elsewhere = (key: PropertyKey) => (src.nodeAt(argsNode, [key]) ? undefined : argPos?.[String(key)]);
    const at = (p: readonly PropertyKey[]) => (p.length ? elsewhere(p[0]!) : undefined) ?? src.pos(nodeFor(p), argsNode ?? opKeyNode);
    if (issue.code === 'unrecognized_keys') {
      const known = schemaKeys(schema, path);
      for (const key of issue.keys) {
        const keyNode = src.entries(src.nodeAt(argsNode, path) ?? argsNode).find((e) => e.key === key)?.keyNode;
        const where = path.length ? `'${name(path)}' of '${op.name}'` : `'${op.name}'`;
        problems.push({
          pos: (path.length ? undefined : elsewhere(key)) ?? src.pos(keyNode, argsNode ?? opKeyNode),
          message: `unknown argument '${key}' for ${where}${didYouMean(key, known)}${known.length ? ` (expected one of: ${known.join(', ')})` : ''}`,
        });
      }
      continue;
    }
    const value = valueAt(args, path);
    if (templatedAlong(args, path)) continue;
    const arg = `argument '${name(path)}' of '${op.name}'`;
    const { description } = schemaAt(schema, path);
    const hint = description ? ` (${description.charAt(0).toLowerCase()}${description.slice(1)})` : '';
    if (value === undefined && issue.code === 'invalid_type') {
      problems.push({ pos: src.pos(opKeyNode), message: `${arg} is required${hint}` });
      continue;
    }
    let expected: string;
    switch (issue.code) {
      case 'invalid_type':
        expected = `expected ${issue.expected}${hint}`;
        break;
      case 'invalid_value': {
        const values = issue.values.map((v) => String(v));
        expected = `expected one of ${values.join(', ')}${typeof value === 'string' ? didYouMean(value, values) : ''}`;
        break;
      }
      case 'invalid_union': {
        const types = [...new Set(issue.errors.flatMap((errs) => errs.filter((e) => e.path.length === 0 && e.code === 'invalid_type').map((e) => (e as { expected: string }).expected)))];
        expected = types.length ? `expected ${types.join(' or ')}${hint}` : `${lower(issue.message)}${hint}`;
        break;
      }
      default:
        expected = `${lower(issue.message)}`;
    }
    problems.push({ pos: at(path), message: `${arg}: ${expected}, got ${describeValue(value)}` });
  }
  return problems;
}

const lower = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
