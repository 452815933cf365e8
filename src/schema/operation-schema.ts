// The JSON Schema of an operation's value in a task, generated from the operation's zod schema (the
// one the loader checks arguments with): a mapping of arguments, or a bare value for its shorthand
// argument. Where the loader leaves a value holding "{{" to the engine (src/load/args.ts: it renders
// per host, to any type, and is checked after rendering), the JSON Schema accepts such a string too.
import { z } from 'zod';
import { TEMPLATE_MARK, templateString } from '../core/templated.js';
import type { Operation } from '../ops/operation.js';

export type JsonSchema = z.core.JSONSchema.BaseSchema;

/** Options every generated schema uses: draft-07 (what YAML language servers support), input types. */
export const JSON_SCHEMA_OPTIONS = { target: 'draft-07', io: 'input', unrepresentable: 'throw' } as const;

export const TEMPLATE_STRING: JsonSchema = {
  ...withoutDraft(z.toJSONSchema(templateString, JSON_SCHEMA_OPTIONS)),
  description: 'A template ("{{variable}}") rendered per host; the result is checked then',
};

export function withoutDraft(s: JsonSchema): JsonSchema {
  const { $schema: _draft, ...rest } = s;
  return rest;
}

/** Keywords that describe a schema rather than constrain it: they stay on the outside of a wrapper. */
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples']);

const isSchema = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Does every string holding "{{" already pass `s`? */
function acceptsTemplates(s: JsonSchema): boolean {
  if (s.anyOf) return s.anyOf.some((m) => isSchema(m) && acceptsTemplates(m));
  if (s.$ref !== undefined || s.allOf || s.oneOf || s.not || s.enum || s.const !== undefined) return false;
  if (s.type === undefined) return true;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  return types.includes('string') && s.pattern === undefined && s.format === undefined && s.maxLength === undefined && (s.minLength ?? 0) <= TEMPLATE_MARK.length;
}

/** `s` with every value below it (and itself, if `wrapSelf`) also accepting a template string. */
export function acceptTemplates(s: JsonSchema, wrapSelf: boolean): JsonSchema {
  const out: JsonSchema = { ...s };
  if (out.properties) out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, acceptTemplates(v as JsonSchema, true)]));
  if (isSchema(out.additionalProperties)) out.additionalProperties = acceptTemplates(out.additionalProperties, true);
  if (isSchema(out.items)) out.items = acceptTemplates(out.items, true);
  // Members of a union are alternatives of one value: their insides accept templates, the union as a whole is wrapped once.
  if (out.anyOf) out.anyOf = out.anyOf.map((m) => acceptTemplates(m as JsonSchema, false));
  if (!wrapSelf || acceptsTemplates(out)) return out;
  const outside: JsonSchema = {};
  const inside: JsonSchema = {};
  for (const [k, v] of Object.entries(out)) (ANNOTATIONS.has(k) ? outside : inside)[k] = v;
  const alternatives = Object.keys(inside).length === 1 && inside.anyOf ? inside.anyOf : [inside];
  return { ...outside, anyOf: [...alternatives, TEMPLATE_STRING] };
}

/** The scalar alternatives of `s` (a shorthand is written as a bare scalar: `package: postfix`). */
function scalarOnly(s: JsonSchema): JsonSchema | undefined {
  const isContainer = (m: unknown) => isSchema(m) && (m.type === 'array' || m.type === 'object');
  if (!s.anyOf) return isContainer(s) ? undefined : s;
  const kept = s.anyOf.filter((m) => !isContainer(m));
  if (kept.length === 0) return undefined;
  return { ...s, anyOf: kept };
}

/** The schema of `<op>: ...` in a task. */
export function operationSchema(op: Operation): JsonSchema {
  const args = acceptTemplates(withoutDraft(z.toJSONSchema(op.schema, JSON_SCHEMA_OPTIONS)), false);
  const argument = op.shorthand ? args.properties?.[op.shorthand] : undefined;
  const shorthand = isSchema(argument) ? scalarOnly(argument) : undefined;
  if (!shorthand) return { description: op.summary, ...args };
  return {
    description: op.summary,
    anyOf: [args, { ...shorthand, description: `Shorthand for ${op.shorthand}: ${shorthand.description ?? ''}`.replace(/: $/, '') }],
  };
}
