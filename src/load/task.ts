// One task (or handler) from YAML: its keyword keys, exactly one operation key, and the operation's
// arguments checked against the operation's schema, every problem at its file:line:col.
import type { SourcePos } from '../core/errors.js';
import type { Operation } from '../ops/operation.js';
import { checkArgs } from './args.js';
import { Issues, didYouMean, orList } from './issues.js';
import { HANDLER_KEYS, TASK_KEYS, changedWhenRules, loopControl, nameItem, taskKeywords } from './keywords/task.js';
import { isTemplated } from './keywords/templated.js';
import type { ChangedWhen, TaskDef } from './model.js';
import { controllerCandidates, displayPath } from './paths.js';
import { revealDeep } from './secret.js';
import { parseCondition } from './when.js';
import { YamlSource, isMap, isScalar, isSeq, nodeKind, type Node } from './yaml.js';
import { existsSync } from 'node:fs';

const CHANGED_WHEN_KEYS = Object.keys(changedWhenRules.shape);
const LOOP_CONTROL_KEYS = Object.keys(loopControl.shape);

export interface TaskContext {
  src: YamlSource;
  registry: ReadonlyMap<string, Operation>;
  issues: Issues;
  baseDir: string;
  role?: string;
  roleDir?: string;
  handler: boolean;
}

/** Where each `notify:` name was written, to report an unknown handler at that spot. */
export const notifyPositions = new WeakMap<TaskDef, SourcePos[]>();

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

/** A string or a list of strings (notify, tags, listen); positions of each name. */
function names(src: YamlSource, node: Node | null, what: string, issues: Issues): { names: string[]; pos: SourcePos[] } {
  const out = { names: [] as string[], pos: [] as SourcePos[] };
  if (!node || src.value(node) === null) return out;
  const items = isSeq(node) ? (node.items as Node[]) : [node];
  for (const n of items) {
    const v = src.value(n);
    if (isScalar(n) && nameItem.safeParse(v).success) {
      out.names.push(String(v));
      out.pos.push(src.pos(n));
    } else {
      issues.add(src.pos(n, node), `${what}: expected a name or a list of names, got ${nodeKind(n)}`);
    }
  }
  return out;
}

function bool(src: YamlSource, node: Node | null, what: 'become' | 'no_log' | 'secret' | 'ignore_errors', issues: Issues): boolean | undefined {
  const v = src.value(node);
  if (taskKeywords.shape[what].safeParse(v).success) return v as boolean;
  issues.add(src.pos(node), `${what}: expected true or false, got ${nodeKind(node)}`);
  return undefined;
}

function changedWhen(src: YamlSource, node: Node | null, issues: Issues): ChangedWhen | undefined {
  const v = src.value(node);
  if (typeof v === 'boolean') return v;
  if (!node || !isMap(node)) {
    issues.add(src.pos(node), `changed_when: expected true, false or a mapping with ${CHANGED_WHEN_KEYS.join(', ')}; got ${nodeKind(node)}`);
    return undefined;
  }
  const out: Exclude<ChangedWhen, boolean> = {};
  for (const e of src.entries(node)) {
    const ev = src.value(e.value);
    const at = src.pos(e.value, e.keyNode);
    const rule = Object.hasOwn(changedWhenRules.shape, e.key) ? changedWhenRules.shape[e.key as keyof typeof changedWhenRules.shape] : undefined;
    if (!rule) {
      issues.add(src.pos(e.keyNode), `changed_when: unknown key '${e.key}' (expected ${orList(CHANGED_WHEN_KEYS)})${didYouMean(e.key, CHANGED_WHEN_KEYS)}`);
    } else if (!rule.safeParse(ev).success) {
      const expects = e.key === 'rc' ? 'an exit code or a list of exit codes' : 'a string';
      issues.add(at, `changed_when: ${e.key} expects ${expects}, got ${nodeKind(e.value)}`);
    } else {
      Object.assign(out, { [e.key]: ev });
    }
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
  const { src, issues, registry } = ctx;
  const before = issues.list.length;
  if (!node || !isMap(node)) {
    issues.add(src.pos(node), `${ctx.handler ? 'handler' : 'task'}: expected a mapping (an operation and its arguments), got ${nodeKind(node)}`);
    return undefined;
  }
  const keys = ctx.handler ? HANDLER_KEYS : TASK_KEYS;
  const entries = src.entries(node);
  const opEntries = entries.filter((e) => registry.has(e.key));
  const unknown = entries.filter((e) => !registry.has(e.key) && !keys.includes(e.key));
  const opNames = [...registry.keys()];

  if (opEntries.length > 1) {
    for (const extra of opEntries.slice(1)) {
      issues.add(src.pos(extra.keyNode), `a task has exactly one operation: found '${opEntries[0]!.key}' and '${extra.key}' (split them into two tasks)`);
    }
  }
  for (const u of unknown) {
    // Without an operation, an unknown key is most likely a misspelled operation.
    const message = opEntries.length === 0
      ? `unknown operation '${u.key}'${didYouMean(u.key, opNames) || didYouMean(u.key, keys)}`
      : `unknown task key '${u.key}'${didYouMean(u.key, [...keys, ...opNames])} (expected ${keys.join(', ')})`;
    issues.add(src.pos(u.keyNode), message);
  }
  if (opEntries.length === 0 && unknown.length === 0) {
    issues.add(src.pos(node), `task has no operation (expected one of: ${opNames.join(', ')})`);
  }
  const opEntry = opEntries[0];
  const op = opEntry ? registry.get(opEntry.key)! : undefined;

  // Arguments: a mapping, or a bare scalar for the operation's shorthand argument.
  let args: Record<string, unknown> = {};
  const argPos: Record<string, SourcePos> = {};
  if (op && opEntry) {
    const v = opEntry.value;
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
    }
    if (issues.list.length === before || isMap(v) || shorthandUsed) {
      for (const p of checkArgs(op, args, src, v, opEntry.keyNode, shorthandUsed)) issues.add(p.pos, p.message);
    }
  }

  const get = (k: string) => entries.find((e) => e.key === k);
  const def: TaskDef = {
    name: '',
    op: op?.name ?? '',
    args,
    notify: [],
    tags: [],
    noLog: false,
    ignoreErrors: false,
    baseDir: ctx.roleDir ?? ctx.baseDir,
    pos: src.pos(node),
    argPos,
  };
  if (ctx.role !== undefined) def.role = ctx.role;
  if (ctx.roleDir !== undefined) def.roleDir = ctx.roleDir;

  const nameE = get('name');
  if (nameE) {
    const v = src.value(nameE.value);
    if (taskKeywords.shape.name.safeParse(v).success) def.name = v as string;
    else issues.add(src.pos(nameE.value, nameE.keyNode), `name: expected a non-empty string, got ${nodeKind(nameE.value)}`);
  }
  if (!def.name && op) def.name = defaultName(op, args);

  const whenE = get('when');
  if (whenE) def.when = parseCondition(src, whenE.value, issues);
  const loopE = get('loop');
  if (loopE) {
    const v = src.value(loopE.value);
    if (taskKeywords.shape.loop.safeParse(v).success) {
      def.loop = v;
      // A templated loop is checked like an argument: its errors point at the value.
      if (typeof v === 'string') def.argPos.loop = src.pos(loopE.value, loopE.keyNode);
    } else issues.add(src.pos(loopE.value, loopE.keyNode), `loop: expected a list or a variable holding one ("{{domains}}"), got ${nodeKind(loopE.value)}`);
  }
  const lcE = get('loop_control');
  if (lcE) {
    if (!loopE) issues.add(src.pos(lcE.keyNode), `loop_control: only makes sense with loop:`);
    if (!isMap(lcE.value)) issues.add(src.pos(lcE.value, lcE.keyNode), `loop_control: expected a mapping with loop_var and/or label, got ${nodeKind(lcE.value)}`);
    else {
      for (const e of src.entries(lcE.value)) {
        const v = src.value(e.value);
        const rule = Object.hasOwn(loopControl.shape, e.key) ? loopControl.shape[e.key as keyof typeof loopControl.shape] : undefined;
        if (!rule) issues.add(src.pos(e.keyNode), `loop_control: unknown key '${e.key}' (expected ${LOOP_CONTROL_KEYS.join(', ')})${didYouMean(e.key, LOOP_CONTROL_KEYS)}`);
        else if (!rule.safeParse(v).success) issues.add(src.pos(e.value, e.keyNode), `loop_control: ${e.key} expects ${e.key === 'loop_var' ? 'a variable name' : 'a string'}, got ${nodeKind(e.value)}`);
        else if (e.key === 'loop_var') def.loopVar = v as string;
        else def.loopLabel = v as string;
      }
    }
  }
  const notifyE = get('notify');
  if (notifyE) {
    const n = names(src, notifyE.value, 'notify', issues);
    def.notify = n.names;
    notifyPositions.set(def, n.pos);
  }
  const tagsE = get('tags');
  if (tagsE) def.tags = names(src, tagsE.value, 'tags', issues).names;
  const listenE = get('listen');
  if (listenE) def.listen = names(src, listenE.value, 'listen', issues).names;
  const becomeE = get('become');
  if (becomeE) def.become = bool(src, becomeE.value, 'become', issues);
  const noLogE = get('no_log');
  if (noLogE) def.noLog = bool(src, noLogE.value, 'no_log', issues) ?? false;
  const secretE = get('secret');
  if (secretE) def.noLog = (bool(src, secretE.value, 'secret', issues) ?? false) || def.noLog;
  const ignoreE = get('ignore_errors');
  if (ignoreE) def.ignoreErrors = bool(src, ignoreE.value, 'ignore_errors', issues) ?? false;
  const cwE = get('changed_when');
  if (cwE) def.changedWhen = changedWhen(src, cwE.value, issues);

  // Controller-side files named literally must exist now, not halfway through a run.
  const kind = op?.name === 'template' ? 'templates' : op?.name === 'copy' ? 'files' : undefined;
  const srcArg = args.src;
  if (kind && typeof srcArg === 'string' && !isTemplated(srcArg) && srcArg !== '') {
    const candidates = controllerCandidates(def, kind, srcArg);
    if (!candidates.some((c) => existsSync(c))) {
      issues.add(argPos.src ?? def.pos, `${op!.name} source '${srcArg}' not found (looked in ${candidates.map(displayPath).join(', ')})`);
    }
  }
  return issues.list.length === before ? def : undefined;
}
