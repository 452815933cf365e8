// The JSON Schemas of fleetplan's YAML files, generated from the declarations the loaders use
// (src/load/keywords) and from the operations' argument schemas (src/ops): nothing here restates a key,
// a type or a description. Draft-07, which YAML language servers support.
import { z } from 'zod';
import { roleMeta } from '../load/keywords/role.js';
import { inventory, inventoryVarsFile } from '../load/keywords/inventory.js';
import { playOf } from '../load/keywords/play.js';
import { handlerKeywords, STRUCTURE_KEYS, taskKeywords } from '../load/keywords/task.js';
import type { Operation } from '../ops/operation.js';
import { operations } from '../ops/registry.js';
import { JSON_SCHEMA_OPTIONS, operationSchema, type JsonSchema } from './operation-schema.js';

export interface SchemaKind {
  /** File name under docs/schemas/. */
  file: string;
  title: string;
  /** Which files it is for, in words. */
  appliesTo: string;
}

export const SCHEMA_KINDS = {
  plan: { file: 'plan.schema.json', title: 'fleetplan plan', appliesTo: 'plans: one play or a list of plays' },
  tasks: { file: 'tasks.schema.json', title: 'fleetplan role tasks', appliesTo: "a role's tasks.yml and handlers.yml" },
  inventory: { file: 'inventory.schema.json', title: 'fleetplan inventory', appliesTo: 'inventories (Ansible YAML layout)' },
  'inventory-vars': {
    file: 'inventory-vars.schema.json',
    title: 'fleetplan group and host variables',
    appliesTo: 'group_vars/ and host_vars/ files beside an inventory',
  },
  meta: { file: 'meta.schema.json', title: 'fleetplan role meta', appliesTo: "a role's meta.yml" },
} as const satisfies Record<string, SchemaKind>;

export type SchemaKindName = keyof typeof SCHEMA_KINDS;

/** definitions key of an operation's value. */
export const operationRef = (name: string) => `op.${name}`;

/**
 * A task (or handler) for the JSON Schema: its keywords plus one optional key per operation, exactly
 * one of which must be present. Operation values are placeholders filled in after generation.
 */
function taskWithOperations(keywords: typeof taskKeywords | typeof handlerKeywords, id: string, ops: Operation[], opKeys: Record<string, z.ZodType>) {
  return keywords.extend(opKeys).meta({
    ...keywords.meta(),
    id,
    description: `A ${id}: exactly one operation (${ops.map((op) => op.name).join(', ')}) with its arguments, and keywords; or structure (${STRUCTURE_KEYS.join(', ')})`,
    oneOf: [...ops.map((op) => ({ required: [op.name] })), ...STRUCTURE_KEYS.map((k) => ({ required: [k] }))],
  });
}

function rootSchema(kind: SchemaKindName, ops: Operation[]): z.ZodType {
  const opKeys = Object.fromEntries(ops.map((op) => [op.name, z.unknown().meta({ id: operationRef(op.name) }).optional().describe(op.summary)]));
  const task = taskWithOperations(taskKeywords, 'task', ops, opKeys);
  const handler = taskWithOperations(handlerKeywords, 'handler', ops, opKeys);
  switch (kind) {
    case 'plan': {
      const play = playOf(task, handler);
      const named = play.meta({ ...play.meta(), id: 'play', description: 'A play: which hosts, and the roles and tasks they get' });
      return z.union([named, z.array(named)]).describe('A plan: one play, or a list of plays run in order');
    }
    case 'tasks':
      return z.array(handler).nullable().describe("A role's tasks (tasks.yml) or handlers (handlers.yml), in order; listen: is for handlers only");
    case 'inventory':
      return inventory;
    case 'inventory-vars':
      return inventoryVarsFile;
    case 'meta':
      return roleMeta;
  }
}

const SUBSCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf'] as const;
const SUBSCHEMA_MAPS = ['properties', 'definitions'] as const;
const SUBSCHEMAS = ['additionalProperties', 'items', 'not', 'propertyNames'] as const;

/**
 * Drop what zod emits that constrains nothing (JSON keys are strings anyway; integers are bounded by
 * the safe-integer range) and flatten an anyOf nested in an anyOf, so editors and the reference show
 * the plain shape.
 */
function tidy(s: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...s };
  for (const k of SUBSCHEMA_MAPS) {
    if (out[k]) out[k] = Object.fromEntries(Object.entries(out[k]).map(([n, v]) => [n, tidy(v as JsonSchema)]));
  }
  for (const k of SUBSCHEMAS) if (typeof out[k] === 'object') out[k] = tidy(out[k] as JsonSchema);
  for (const k of SUBSCHEMA_LISTS) {
    out[k] = out[k]?.flatMap((m) => {
      const t = tidy(m as JsonSchema);
      return k === 'anyOf' && Object.keys(t).length === 1 && t.anyOf ? t.anyOf : [t];
    });
    if (out[k] === undefined) delete out[k];
  }
  if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
  if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
  if (JSON.stringify(out.propertyNames) === '{"type":"string"}') delete out.propertyNames;
  return out;
}

/** The JSON Schema for one kind of file. */
export function fileSchema(kind: SchemaKindName, registry: ReadonlyMap<string, Operation> = operations): JsonSchema {
  const ops = [...registry.values()];
  const generated = z.toJSONSchema(rootSchema(kind, ops), JSON_SCHEMA_OPTIONS);
  const definitions = generated.definitions as Record<string, JsonSchema> | undefined;
  for (const op of ops) if (definitions?.[operationRef(op.name)]) definitions[operationRef(op.name)] = operationSchema(op);
  // A block's tasks are tasks (in a role's files, where every item is read as a handler could be: handlers).
  if (definitions?.block_task) definitions.block_task = { $ref: `#/definitions/${definitions.task ? 'task' : 'handler'}` };
  const { $schema, ...rest } = tidy(generated);
  return { $schema, title: SCHEMA_KINDS[kind].title, ...rest };
}
