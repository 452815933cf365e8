// One task (or handler) from YAML: exactly one operation key, the operation's arguments checked
// against the operation's schema, and its keywords (read with the table of keywords/task.ts), every
// problem at its file:line:col.
import type { SourcePos } from '../core/errors.js';
import type { Operation } from '../ops/operation.js';
import { checkArgs } from './args.js';
import { Issues, didYouMean } from './issues.js';
import { readKeywords } from './keywords/keyword.js';
import { HANDLER_KEYS, STRUCTURE_KEYS, TASK_KEYS, taskKeywordTable } from './keywords/task.js';
import { newTaskDef, parseStructure, type TaskContext } from './task-structure.js';
import { isTemplated } from '../core/templated.js';
import type { TaskDef } from './model.js';
import { controllerCandidates, displayPath } from '../core/paths.js';
import { revealDeep } from '../core/secret.js';
import { YamlSource, isMap, isScalar, isSeq, nodeKind, type MapEntry, type Node } from './yaml.js';
import { existsSync, statSync } from 'node:fs';
import { copyTooLarge } from '../ops/copy.js';
import { readAnsibleArguments, shortNameHint } from './ansible-isms/arguments.js';
import { ansibleKeyHint } from './ansible-isms/keywords.js';
import { structureShortNames } from './ansible-isms/structure-fqcn.js';
import { checkJinja } from './ansible-isms/jinja-strings.js';
import { moduleName } from './ansible-isms/modules.js';
import { parseCondition } from './when.js';

export type { TaskContext };

/** A list of tasks (`tasks:`, `handlers:`, tasks.yml). Null/empty means none. */
export function parseTaskList(node: Node | null, ctx: TaskContext, what: string): TaskDef[] {
  const { src, issues } = ctx;
  node = src.deref(node);
  if (!node || src.value(node) === null) return [];
  if (!isSeq(node)) {
    issues.add(src.pos(node), `${what}: expected a list of tasks, got ${nodeKind(node)}`);
    return [];
  }
  const out: TaskDef[] = [];
  for (const item of node.items) {
    const t = parseTask(src.deref(item as Node), ctx);
    if (t) out.push(t);
  }
  return out;
}

/** "<op> <main argument>" for tasks without a name: `file /etc/motd`, `command postmap ...`. */
function defaultName(op: Operation, args: Record<string, unknown>): string {
  for (const key of [op.shorthand, 'path', 'name', 'dest', 'cmd', 'src']) {
    const v = key ? args[key] : undefined;
    if (typeof v === 'string' || typeof v === 'number') {
      const s = String(v).split('\n')[0]!;
      return `${op.name} ${s.length > 60 ? `${s.slice(0, 57)}...` : s}`;
    }
    if (Array.isArray(v) && v.length) return `${op.name} ${v.join(', ').slice(0, 60)}`;
  }
  return op.name;
}

export function parseTask(node: Node | null, ctx: TaskContext): TaskDef | undefined {
  const { src, issues } = ctx;
  const before = issues.list.length;
  if (!node || !isMap(node)) {
    issues.add(src.pos(node), `${ctx.handler ? 'handler' : 'task'}: expected a mapping (an operation and its arguments), got ${nodeKind(node)}`);
    return undefined;
  }
  const entries = structureShortNames(src.entries(node));
  const structureKey = STRUCTURE_KEYS.find((k) => entries.some((e) => e.key === k));
  if (structureKey) return parseStructure(node, entries, structureKey, ctx);
  const opEntry = operationEntry(src.pos(node), entries, ctx);
  // Ansible's module names and argument strings are read by ansible-isms/arguments.ts.
  const ansible = opEntry ? readAnsibleArguments(opEntry, ctx, issues.list.length === before) : undefined;
  const op = ansible === undefined ? (opEntry ? ctx.registry.get(opEntry.key)! : undefined) : ansible?.op;
  const { args, argPos } = ansible ?? (op && opEntry ? readArguments(op, opEntry, ctx, issues.list.length === before) : { args: {}, argPos: {} });

  const def = newTaskDef(ctx, src.pos(node), op?.name ?? '', args, argPos);
  readKeywords(taskKeywordTable(ctx.handler), def, src, node, entries, issues, {}, { what: ctx.handler ? 'handler' : 'task' });
  if (!def.name && op) def.name = defaultName(op, args);
  if (op) checkControllerFile(op, def, issues);
  if (op) checkJinja(def, issues);
  return issues.list.length === before ? def : undefined;
}

/**
 * The task's one operation key; every other key must be a keyword. Without an operation, an unknown
 * key is most likely a misspelled operation.
 */
function operationEntry(taskPos: SourcePos, entries: MapEntry[], ctx: TaskContext): MapEntry | undefined {
  const { src, issues, registry } = ctx;
  const keys = ctx.handler ? HANDLER_KEYS : TASK_KEYS;
  const isOp = (key: string) => registry.has(key) || moduleName(key, registry) !== undefined;
  const opEntries = entries.filter((e) => isOp(e.key));
  const unknown = entries.filter((e) => !isOp(e.key) && !keys.includes(e.key));
  const opNames = [...registry.keys()];
  for (const extra of opEntries.slice(1)) {
    issues.add(src.pos(extra.keyNode), `a task has exactly one operation: found '${opEntries[0]!.key}' and '${extra.key}' (split them into two tasks)`);
  }
  for (const u of unknown) {
    const ansible = ansibleKeyHint(u.key, 'task', registry);
    const message = ansible ?? (opEntries.length === 0
      ? `unknown operation '${u.key}'${didYouMean(u.key, opNames) || didYouMean(u.key, keys)}`
      : `unknown task key '${u.key}'${didYouMean(u.key, [...keys, ...opNames])} (expected ${keys.join(', ')})`);
    issues.add(src.pos(u.keyNode), message);
  }
  // `rescue:` or `always:` without `block:` is reported by them ("only makes sense with block:").
  if (opEntries.length === 0 && unknown.length === 0 && !entries.some((e) => e.key === 'rescue' || e.key === 'always')) {
    issues.add(taskPos, `task has no operation (expected one of: ${opNames.join(', ')})`);
  }
  return opEntries[0];
}

/**
 * The operation's arguments: a mapping, or a bare scalar for its shorthand argument, checked against
 * its schema. A task already wrong in its keys has its arguments checked only where they are a
 * mapping or a shorthand (a wrong shape would only repeat the problem).
 */
function readArguments(op: Operation, opEntry: MapEntry, ctx: TaskContext, cleanSoFar: boolean): Pick<TaskDef, 'args' | 'argPos'> {
  const { src, issues } = ctx;
  const v = opEntry.value;
  let args: Record<string, unknown> = {};
  const argPos: Record<string, SourcePos> = {};
  let shorthandUsed = false;
  if (!v || src.value(v) === null) {
    args = {};
  } else if (isMap(v)) {
    args = revealDeep(src.value(v)) as Record<string, unknown>;
    for (const e of src.entries(v)) argPos[e.key] = src.pos(e.value, e.keyNode);
  } else if (isScalar(v) && op.shorthand) {
    args = { [op.shorthand]: revealDeep(src.value(v)) };
    argPos[op.shorthand] = src.pos(v);
    shorthandUsed = true;
  } else {
    const how = op.shorthand ? `a mapping of arguments or a value for '${op.shorthand}'` : 'a mapping of arguments';
    issues.add(src.pos(v), `operation '${op.name}' expects ${how}, got ${nodeKind(v)}`);
    cleanSoFar = false;
  }
  if (cleanSoFar || isMap(v) || shorthandUsed) {
    const problems = checkArgs(op, args, src, v, opEntry.keyNode, shorthandUsed);
    const hint = problems.length ? shortNameHint(op, args, ctx.registry) : '';
    for (const p of problems) issues.add(p.pos, p.message + hint);
  }
  // Conditions (assert's `that`) are read as conditions, with their positions, never rendered.
  for (const key of op.conditionArgs ?? []) {
    const entry = v && isMap(v) ? src.entries(v).find((e) => e.key === key) : undefined;
    // A scalar was already refused by the schema (an expression string is not a condition).
    if (entry && (isMap(entry.value) || isSeq(entry.value))) args[key] = parseCondition(src, entry.value, issues) ?? args[key];
  }
  return { args, argPos };
}

/** Controller-side files named literally must exist now, not halfway through a run. */
function checkControllerFile(op: Operation, def: TaskDef, issues: Issues): void {
  const kind = op.name === 'template' ? 'templates' : op.name === 'copy' ? 'files' : undefined;
  const srcArg = def.args.src;
  if (kind && typeof srcArg === 'string' && !isTemplated(srcArg) && srcArg !== '') {
    const candidates = controllerCandidates(def, kind, srcArg);
    const found = candidates.find((c) => existsSync(c));
    if (!found) {
      issues.add(def.argPos.src ?? def.pos, `${op.name} source '${srcArg}' not found (looked in ${candidates.map(displayPath).join(', ')})`);
    }
    const tooLarge = found && op.name === 'copy' ? copyTooLarge(srcArg, statSync(found).size) : undefined;
    if (tooLarge) issues.add(def.argPos.src ?? def.pos, tooLarge);
  }
}
