// How a keyword is declared, once: its zod schema (type and description, from which the editor JSON
// Schemas and the plan language reference are generated, src/schema), the words a message uses for a
// valid value, and how the value goes into the model the loader builds. The loader's walkers and the
// generated schemas both read these tables, so a new keyword is one entry (plus its semantics).
import { z } from 'zod';
import type { SourcePos } from '../../core/errors.js';
import type { Issues } from '../issues.js';
import { yamlBoolean } from '../ansible-isms/booleans.js';
import { isSeq, nodeKind, type MapEntry, type Node, type YamlSource } from '../yaml.js';

/** Where a keyword's value was written, and where its problems go. */
export interface KeywordInput {
  src: YamlSource;
  issues: Issues;
  entry: MapEntry;
  /** The value node (a null scalar for `key:` with nothing). */
  node: Node | null;
  /** The value's position (the key's when there is no value node): a bad value is reported here. */
  pos: SourcePos;
}

interface KeywordBase {
  schema: z.ZodType;
  /** A required keyword, and what it is, for "<what>: missing '<key>:' (<required>)". */
  required?: string;
  /** Another keyword this one only makes sense with (reported; JSON Schema `dependencies`). */
  needs?: string;
  /** The keyword this one is another spelling of (Ansible's with_items for loop), for `needs`. */
  sameAs?: string;
}

/** A value checked against the schema as a whole: "<label>: expected <expects>, got <what is there>". */
export interface PlainKeyword<M, C> extends KeywordBase {
  expects: string;
  /** The name messages use (default: the key). */
  label?: string;
  /** Store a value that passed the schema (the YAML value as written, not zod's output). */
  into: (model: M, value: unknown, at: KeywordInput, ctx: C) => void;
}

/** A value with a structure of its own (conditions, task lists): read and reported at its inner nodes. */
export interface StructuredKeyword<M, C> extends KeywordBase {
  read: (model: M, at: KeywordInput, ctx: C) => void;
}

export type Keyword<M, C> = PlainKeyword<M, C> | StructuredKeyword<M, C>;
export type KeywordTable<M, C> = Record<string, Keyword<M, C>>;

/**
 * Typed builders for one kind of table (model M, context C): `plain` infers the value type from the
 * schema, so an entry's `into` sees what the schema let through.
 */
export function keywordsFor<M, C = undefined>() {
  return {
    plain<S extends z.ZodType>(
      schema: S,
      expects: string,
      into: (model: M, value: z.input<S>, at: KeywordInput, ctx: C) => void,
      more: Omit<PlainKeyword<M, C>, 'schema' | 'expects' | 'into'> = {},
    ): PlainKeyword<M, C> {
      return { schema, expects, into: into as PlainKeyword<M, C>['into'], ...more };
    },
    structured(schema: z.ZodType, read: StructuredKeyword<M, C>['read'], more: Omit<KeywordBase, 'schema'> = {}): StructuredKeyword<M, C> {
      return { schema, read, ...more };
    },
  };
}

/** The zod object of a table: required keywords as they are, the others optional, no other key. */
export function keywordObject(table: KeywordTable<never, never>) {
  const shape: Record<string, z.ZodType> = {};
  const dependencies: Record<string, string[]> = {};
  for (const [key, kw] of Object.entries(table)) {
    shape[key] = kw.required || kw.schema instanceof z.ZodOptional ? kw.schema : kw.schema.optional();
    if (kw.needs) dependencies[key] = [kw.needs];
  }
  const object = z.object(shape).strict();
  return Object.keys(dependencies).length ? object.meta({ dependencies }) : object;
}

/** "<what>: missing '<key>:' (<what the keyword is>)". */
export function missingKeyword(what: string, key: string, kw: { required?: string }): string {
  return `${what}: missing '${key}:' (${kw.required})`;
}

export interface ReadOptions {
  /** What the mapping is, for "<what>: missing '<key>:'". */
  what: string;
  /** 'caller': a missing required keyword is the caller's to report (only when nothing else is wrong, say). */
  missing?: 'caller';
  /** The message for a value that fails its schema (default "<label>: expected <expects>, got <kind>"). */
  badValue?: (label: string, expects: string, got: string) => string;
}

/**
 * Read the keywords of one mapping (its entries) into `model`, in the table's order (so a keyword may
 * build on an earlier one). Unknown keys are the caller's to report: what to suggest depends on where.
 */
export function readKeywords<M, C>(
  table: KeywordTable<M, C>,
  model: M,
  src: YamlSource,
  node: Node,
  entries: MapEntry[],
  issues: Issues,
  ctx: C,
  opts: ReadOptions,
): void {
  const badValue = opts.badValue ?? ((label, expects, got) => `${label}: expected ${expects}, got ${got}`);
  for (const [key, kw] of Object.entries(table)) {
    const entry = entries.find((e) => e.key === key);
    if (!entry) {
      if (kw.required && opts.missing !== 'caller') issues.add(src.pos(node), missingKeyword(opts.what, key, kw));
      continue;
    }
    if (kw.needs && !entries.some((e) => e.key === kw.needs || table[e.key]?.sameAs === kw.needs)) issues.add(src.pos(entry.keyNode), `${key}: only makes sense with ${kw.needs}:`);
    const at: KeywordInput = { src, issues, entry, node: entry.value, pos: src.pos(entry.value, entry.keyNode) };
    if ('read' in kw) {
      kw.read(model, at, ctx);
      continue;
    }
    let value = src.value(entry.value);
    // `become: yes`: Ansible's YAML 1.1 boolean words, where the keyword wants a boolean.
    const b = yamlBoolean(value);
    if (b !== undefined && !kw.schema.safeParse(value).success && kw.schema.safeParse(b).success) value = b;
    if (kw.schema.safeParse(value).success) kw.into(model, value, at, ctx);
    else issues.add(at.pos, badValue(kw.label ?? key, kw.expects, nodeKind(entry.value)));
  }
}

/** The items of a list-valued keyword: nothing (`key:`) is none, anything else "<key>: expected <expects>, got …". */
export function listItems({ src, issues, node, pos, entry }: KeywordInput, expects: string): Node[] {
  if (src.value(node) === null) return [];
  if (!node || !isSeq(node)) {
    issues.add(pos, `${entry.key}: expected ${expects}, got ${nodeKind(node)}`);
    return [];
  }
  return node.items as Node[];
}

/** A variable name a keyword binds (loop_var, register): letters, digits and _, not starting with a digit. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
