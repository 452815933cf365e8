// Reading the arguments of a task written the Ansible way: an Ansible module name (modules.ts), or a
// `key=value` argument string (key-value.ts). The result is the fleetplan operation and its arguments,
// checked against its schema like any task's, each problem at the file:line:col where it was written.
import type { SourcePos } from '../../core/errors.js';
import { revealDeep } from '../../core/secret.js';
import { isTemplated } from '../../core/templated.js';
import type { Operation } from '../../ops/operation.js';
import { checkArgs, fieldSchema } from '../args.js';
import type { Issues } from '../issues.js';
import { isMap, isScalar, nodeKind, type Scalar, type MapEntry, type Node, type YamlSource } from '../yaml.js';
import { freeFormOptions, keyValueString, looksKeyValue, type KeyValueWord } from './key-value.js';
import { aliasOf, moduleName, type ModuleAlias } from './modules.js';
import { yamlBoolean } from './booleans.js';

type Args = Record<string, unknown>;

export interface ArgumentsContext {
  src: YamlSource;
  registry: ReadonlyMap<string, Operation>;
  issues: Issues;
}

export interface OperationArguments {
  op: Operation;
  args: Args;
  argPos: Record<string, SourcePos>;
}

/** Arguments as written, before translation: values and where each was written. */
interface Written {
  args: Args;
  argPos: Record<string, SourcePos>;
  /** Set when the arguments came from a string (key=value words or a free form). */
  fromString: boolean;
}

const COMMAND_OPTIONS = ['chdir', 'creates', 'removes'];

/** Where `offset` of a one-line scalar's value is in the file (the scalar's start otherwise). */
export function posInScalar(src: YamlSource, node: Scalar, offset: number): SourcePos {
  const range = node.range;
  const oneLine = typeof node.value === 'string' && !node.value.includes('\n');
  if (!range || !oneLine) return src.pos(node);
  if (node.type === 'PLAIN') return src.posAt(range[0] + offset);
  if (node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE') return src.posAt(range[0] + 1 + offset);
  return src.pos(node);
}

function fromWords(src: YamlSource, node: Scalar, words: KeyValueWord[], into: Written): void {
  for (const w of words) {
    into.args[w.key] = w.value;
    into.argPos[w.key] = posInScalar(src, node, w.offset);
  }
}

/**
 * The arguments as written: a mapping, nothing, a `key=value` string, a free-form command with its
 * trailing options, or a module's shorthand value. Undefined (reported) when none of these.
 */
function readWritten(opEntry: MapEntry, ctx: ArgumentsContext, freeForm: string | undefined, shorthand: string | undefined, what: string): Written | undefined {
  const { src, issues } = ctx;
  const v = opEntry.value;
  const out: Written = { args: {}, argPos: {}, fromString: false };
  if (!v || src.value(v) === null) return out;
  if (isMap(v)) {
    out.args = revealDeep(src.value(v)) as Args;
    for (const e of src.entries(v)) out.argPos[e.key] = src.pos(e.value, e.keyNode);
    return out;
  }
  const text = isScalar(v) && typeof v.value === 'string' ? v.value : undefined;
  if (text !== undefined && freeForm) {
    const ff = freeFormOptions(text, COMMAND_OPTIONS);
    if (ff.inside) {
      issues.add(src.pos(v), `${what}: '${ff.inside}' in the middle of the command is ambiguous (an option or part of the command?): write ${what}: {${freeForm}: "…", ${ff.inside.split('=')[0]}: …}`);
      return undefined;
    }
    out.args[freeForm] = ff.rest;
    out.argPos[freeForm] = src.pos(v);
    fromWords(src, v as Scalar, ff.options, out);
    out.fromString = true;
    return out;
  }
  const words = text !== undefined ? keyValueString(text) : undefined;
  if (words) {
    fromWords(src, v as Scalar, words, out);
    out.fromString = true;
    return out;
  }
  if (text !== undefined && looksKeyValue(text)) {
    issues.add(src.pos(v), `${what}: key=value arguments need every word to be key=value (a value with spaces quoted: dest="/a b"), or write a mapping: ${what}: {…}`);
    return undefined;
  }
  if (isScalar(v) && shorthand) {
    out.args[shorthand] = revealDeep(src.value(v));
    out.argPos[shorthand] = src.pos(v);
    return out;
  }
  const kv = text !== undefined ? ' (key=value words: every word key=value, e.g. src=a dest=/b)' : '';
  issues.add(src.pos(v), `${what}: expected a mapping of arguments${kv}, got ${nodeKind(v)}`);
  return undefined;
}

/** Ansible's yes/no and numbers written as strings, where the operation wants a boolean or a number. */
function coerce(op: Operation, args: Args): void {
  for (const [k, v] of Object.entries(args)) {
    if (typeof v !== 'string' || isTemplated(v)) continue;
    const field = fieldSchema(op.schema, k);
    if (!field || field.safeParse(v).success) continue;
    const b = yamlBoolean(v);
    if (b !== undefined && field.safeParse(b).success) args[k] = b;
    else if (/^-?\d+$/.test(v) && field.safeParse(Number(v)).success) args[k] = Number(v);
  }
}

export interface Translation {
  op?: string;
  args: Args;
  argPos: Record<string, SourcePos>;
  /** Refused arguments (argument → what is wrong, after "argument 'x' of <module>") and a refused choice of operation ('' → hint). */
  refused: Array<[string, string]>;
}

/** An Ansible module's arguments as the fleetplan operation's. Pure: problems are returned. */
export function translate(alias: ModuleAlias, written: Args, writtenPos: Record<string, SourcePos>, registry: ReadonlyMap<string, Operation>): Translation {
  const out: Translation = { args: {}, argPos: {}, refused: [] };
  for (const [key, value] of Object.entries(written)) {
    const hint = alias.refuse?.[key];
    if (hint !== undefined) out.refused.push([key, `has no fleetplan equivalent: ${hint}`]);
    else if (alias.implied?.[key]?.(value)) continue;
    else {
      const to = alias.rename?.[key] ?? key;
      out.args[to] = value;
      if (writtenPos[key]) out.argPos[to] = writtenPos[key];
    }
  }
  for (const [arg, spellings] of Object.entries(alias.values ?? {})) {
    const v = out.args[arg];
    if (typeof v !== 'string' || !Object.hasOwn(spellings, v)) continue;
    const to = spellings[v];
    if (typeof to === 'string' && to.startsWith('!')) out.refused.push([arg, `: ${JSON.stringify(v)} has no fleetplan equivalent: ${to.slice(1)}`]);
    else if (to === undefined) delete out.args[arg];
    else out.args[arg] = to;
  }
  const refused = alias.defaults?.(out.args);
  if (refused) out.refused.push([refused[0], `: ${refused[1]}`]);
  if (out.argPos.dest && out.args.path !== undefined && out.args.dest === undefined) out.argPos.path = out.argPos.dest;
  const op = typeof alias.op === 'string' ? alias.op : alias.op(out.args, registry);
  if (op.startsWith('!')) out.refused.push(['', op.slice(1)]);
  else out.op = op;
  return out;
}

/**
 * `mode: 0644` unquoted: YAML 1.1, which Ansible reads, makes it octal; YAML 1.2 the decimal 644. In a
 * task written as Ansible's module the octal meaning is the one intended: the digits as written.
 */
function octalMode(v: Node | null, args: Args, src: YamlSource): void {
  const node = isMap(v) ? src.nodeAt(v, ['mode']) : undefined;
  const written = node && isScalar(node) && typeof node.value === 'number' ? (node as Scalar).source : undefined;
  if (written && /^0[0-7]{3,4}$/.test(written)) args.mode = written;
}

/**
 * A task whose operation key is an Ansible module, or whose value is an Ansible argument string.
 * Undefined: neither (read as fleetplan's own); null: reported here.
 */
export function readAnsibleArguments(opEntry: MapEntry, ctx: ArgumentsContext, cleanSoFar: boolean): OperationArguments | null | undefined {
  const { src, registry, issues } = ctx;
  const module = moduleName(opEntry.key, registry);
  const native = module ? undefined : registry.get(opEntry.key);
  const v = opEntry.value;
  if (native) {
    if (!v || !isScalar(v) || typeof v.value !== 'string') return undefined;
    if (native.name === 'command') return commandString(v as Scalar, opEntry, ctx);
    if (!looksKeyValue(v.value)) return undefined;
  }
  const alias = module?.alias;
  const direct = native ?? (module?.op ? registry.get(module.op) : typeof alias?.op === 'string' ? registry.get(alias.op) : undefined);
  const written = readWritten(opEntry, ctx, alias?.freeForm, direct?.shorthand, opEntry.key);
  if (!written) return null;
  let { args, argPos } = written;
  let op = direct;
  if (module) octalMode(v, args, src);
  if (alias) {
    const t = translate(alias, args, argPos, registry);
    for (const [arg, hint] of t.refused) {
      const where = arg ? argPos[arg] ?? src.pos(opEntry.keyNode) : src.pos(opEntry.keyNode);
      issues.add(where, arg ? `argument '${arg}' of ${opEntry.key}${hint.startsWith(':') ? '' : ' '}${hint}` : `${opEntry.key}: ${hint}`);
    }
    if (t.refused.length || !t.op) return null;
    op = registry.get(t.op);
    args = t.args;
    // Only where the translated arguments were written (file's state: directory is the operation).
    argPos = Object.fromEntries(Object.entries(t.argPos).filter(([k]) => k in t.args));
  }
  if (!op) return null;
  coerce(op, args);
  if (cleanSoFar || isMap(v) || written.fromString) {
    const problems = checkArgs(op, args, src, v, opEntry.keyNode, false, argPos);
    const hint = problems.length && native ? shortNameHint(native, args, registry) : '';
    for (const p of problems) issues.add(p.pos, p.message + hint);
  }
  return { op, args, argPos };
}

/**
 * fleetplan's `command: "<cmd>"` is the whole command; Ansible's reads trailing `creates=` words as
 * options. Both readings are plausible, so such a string is refused with both forms spelled out.
 */
function commandString(v: Scalar, opEntry: MapEntry, ctx: ArgumentsContext): null | undefined {
  const ff = freeFormOptions(v.value as string, COMMAND_OPTIONS);
  if (!ff.options.length) return undefined;
  const opts = ff.options.map((o) => `${o.key}: ${o.value}`).join(', ');
  ctx.issues.add(
    posInScalar(ctx.src, v, ff.options[0]!.offset),
    `command: '${ff.options.map((o) => `${o.key}=`).join("', '")}' at the end of the command: as Ansible's options write command: {cmd: ${JSON.stringify(ff.rest)}, ${opts}} (or ansible.builtin.command: to read them so); as words of the command write cmd: explicitly`,
  );
  return null;
}

/**
 * A fleetplan operation whose arguments failed its schema but read as the Ansible module of the same
 * name: the hint naming what they mean there ("" when they do not).
 */
export function shortNameHint(op: Operation, args: Args, registry: ReadonlyMap<string, Operation>): string {
  const alias = aliasOf(op.name);
  if (!alias) return '';
  const t = translate(alias, args, {}, registry);
  if (t.refused.length || !t.op) return '';
  const target = registry.get(t.op);
  if (!target?.schema.safeParse(t.args).success) return '';
  const shown = Object.entries(t.args).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
  return ` (as Ansible's ${op.name} module this is ${t.op}: {${shown}}; write ansible.builtin.${op.name}: to have it read so)`;
}
