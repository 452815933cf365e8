// Everything about a task that can be decided on the controller before touching the host: is it
// selected (tags, when), what are its arguments for this host (rendered, then validated against the
// operation's schema), what does it need to read. Errors here name host, task and file position.
import { InputError, OperationError } from '../core/errors.js';
import type { BecomeMethod, Condition, Play, RoleRef, TaskDef, Vars } from '../load/model.js';
import { Deferred, findUnknown } from '../core/unknown.js';
import { taskVars } from './host-results.js';
import type { BecomeRequest } from '../connectors/connection.js';
import { controllerPath } from '../core/paths.js';
import { markSecrets, reveal, type SecretRegistry } from '../core/secret.js';
import { renderArgs, renderString, renderTemplateFile, singleRefValue } from '../load/template.js';
import { evaluateWhen } from '../load/when.js';
import { coerceTyped } from '../load/args.js';
import type { Operation, OpContext } from '../ops/operation.js';
import { operations } from '../ops/registry.js';
import { parseArgs } from '../ops/parse-args.js';
import type { StateQuery } from '../state/query.js';
import type { HostContext } from './host-context.js';
import { schemaMessage } from './schema-message.js';
import { selectedByTags } from './tag-selection.js';
import { taskScope, withEnvironment } from './task-vars.js';
import { taskInput, type TaskInput } from './task-input.js';

export interface PreparedTask {
  def: TaskDef;
  /** The role entry the task came from (its variables; a delegated or late task is prepared again with it), if any. */
  ref?: RoleRef;
  /** A looping task's item: its index and how many there are (register collects `results`). */
  loop?: { index: number; count: number; item: unknown };
  /**
   * Prepared only just before it runs (settle.ts): it reads a value registered or set in the play
   * (or unknown in this dry run). Until then it reads nothing and is counted as one task.
   */
  late?: boolean;
  /** What enclosing includes (their loop item and vars) and a rescue (what failed) bind around it (task-vars.ts). */
  outer?: Vars;
  /** The name in reports: the task's name, with the loop item's label when it loops. */
  displayName: string;
  /** Names a notify can use: the handler's name and its `listen` aliases. */
  names: string[];
  active: boolean;
  skipReason?: string;
  become: boolean;
  /** A task's (or its play's) become_user / become_method, over the host's; only with become. */
  becomeAs?: { user?: string; method?: BecomeMethod };
  op: Operation;
  resolved: unknown;
  /** Absent for tasks that will not run (tags, when). */
  opCtx?: OpContext;
  queries: StateQuery[];
}

/**
 * Up front, before the play's state is read: a task, or one prepared task per item when it loops — or,
 * when it reads a value the play registers or sets (or one a dry run cannot know), a placeholder
 * prepared again just before it runs (prepareNow). `outer`: what enclosing includes (their loop item
 * and vars) and a rescue (what failed) bind around it.
 */
export function prepareTasks(ctx: HostContext, play: Play, def: TaskDef, ref: RoleRef | undefined, handler: boolean, outer?: Vars): PreparedTask[] {
  try {
    return prepareWith(ctx, play, def, ref, handler, taskScope(ctx, play, def, ref, outer, taskVars(ctx, play, ref, true)));
  } catch (err) {
    if (!(err instanceof Deferred)) throw err;
    return [latePlaceholder(ctx, play, def, ref, outer)];
  }
}

/** Just before the task runs, with every value the run has set so far. Throws Deferred when one it reads is unknown. */
export function prepareNow(ctx: HostContext, play: Play, def: TaskDef, ref: RoleRef | undefined, handler: boolean, outer?: Vars): PreparedTask[] {
  return prepareWith(ctx, play, def, ref, handler, taskScope(ctx, play, def, ref, outer, taskVars(ctx, play, ref, false)));
}

function latePlaceholder(ctx: HostContext, play: Play, def: TaskDef, ref: RoleRef | undefined, outer?: Vars): PreparedTask {
  const vars = ctx.scope(play, ref);
  const become = def.become ?? play.become ?? hostBecome(vars, { pos: def.pos, host: ctx.host, task: def.name }, ctx.opts.become);
  const names = [def.name, ...(def.listen ?? [])];
  return { def, ref, outer, displayName: def.name, names, become, op: operations.get(def.op)!, active: true, late: true, resolved: undefined, queries: [] };
}

function prepareWith(ctx: HostContext, play: Play, def: TaskDef, ref: RoleRef | undefined, handler: boolean, vars: Vars): PreparedTask[] {
  try {
    if (def.loop === undefined) return [prepareTask(ctx, play, def, ref, handler, undefined, vars)];
    const items = loopItems(ctx, def, vars);
    const loopVar = def.loopVar ?? 'item';
    return items.map((item, i) => {
      const itemVars = { ...vars, [loopVar]: item };
      const label = def.noLog ? `item ${i + 1}` : def.loopLabel !== undefined ? String(renderString(def.loopLabel, itemVars, ctx.opts.secrets, { pos: def.pos, what: 'loop_control.label' })) : labelOf(item);
      return { ...prepareTask(ctx, play, def, ref, handler, { vars: itemVars, label }), loop: { index: i, count: items.length, item } };
    });
  } catch (err) {
    throw inTask(ctx, def, err);
  }
}

/**
 * An input error met while preparing a task for a host (a template or helper refusing a value of
 * this host's, e.g. a Postfix parameter its version does not know) names the host and the task, as
 * the task's other errors do.
 */
function inTask(ctx: HostContext, def: TaskDef, err: unknown): unknown {
  if (!(err instanceof InputError) || err instanceof Deferred || err.task !== undefined) return err;
  return new InputError(err.message, { pos: err.pos ?? def.pos, host: ctx.host, task: def.name, cause: err });
}

/** The items of a task's (or an include's) `loop:` for this host; a list a dry run cannot know defers the task. */
export function loopItems(ctx: HostContext, def: TaskDef, vars: Vars): unknown[] {
  const where = { pos: def.pos, host: ctx.host, task: def.name };
  // Loop items keep their taint: a secret item (or one holding a secret) is a Secret in `item`, so a
  // label or helper computed from it is tracked like the secret itself.
  const single = typeof def.loop === 'string' ? singleRefValue(def.loop, vars) : undefined;
  const items = markSecrets(single ? reveal(single.value) : renderArgs({ args: { loop: def.loop }, argPos: {}, pos: def.pos }, vars, ctx.opts.secrets).loop, ctx.opts.secrets);
  const unknown = findUnknown(items);
  if (unknown) throw new Deferred(unknown.dependsOn);
  if (!Array.isArray(items)) throw new InputError(`loop: expected a list, got ${items === null ? 'null' : typeof items}`, where);
  return items;
}

function labelOf(item: unknown): string {
  if (item === null || typeof item !== 'object') return String(item);
  const json = JSON.stringify(item);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

export function prepareTask(
  ctx: HostContext,
  play: Play,
  def: TaskDef,
  ref: RoleRef | undefined,
  handler: boolean,
  item?: { vars: Vars; label: string },
  scope?: Vars,
): PreparedTask {
  const op = operations.get(def.op);
  if (!op) throw new InputError(`unknown operation '${def.op}'`, { pos: def.pos, host: ctx.host, task: def.name });
  const vars: Vars = item?.vars ?? scope ?? ctx.scope(play, ref);
  const names = [def.name, ...(def.listen ?? [])];
  const become = def.become ?? play.become ?? hostBecome(vars, { pos: def.pos, host: ctx.host, task: def.name }, ctx.opts.become);
  const displayName = item ? `${def.name} (${item.label})` : def.name;
  const user = def.becomeUser ?? play.becomeUser;
  const method = def.becomeMethod ?? play.becomeMethod;
  const becomeAs = become && (user || method) ? { ...(user ? { user } : {}), ...(method ? { method } : {}) } : undefined;
  const base = { def, displayName, names, become, ...(becomeAs ? { becomeAs } : {}), ...(ref ? { ref } : {}), op };

  const tagSkip = handler ? undefined : selectedByTags([...def.tags, ...(ref?.tags ?? []), ...(play.tags ?? [])], ctx.opts);
  if (tagSkip) return inactive(base, tagSkip);
  if (!handler && ctx.opts.passOver?.has(def)) return inactive(base, 'before --start-at-task');
  if (!handler && ctx.opts.step && !ctx.opts.step(def, ref)) return inactive(base, 'declined at --step');
  const input = taskInput(play, def, ref, op, vars, ctx.opts.secrets, () => decideInput(ctx, play, def, ref, op, vars));
  if (!input.holds) return inactive(base, 'when: condition is false');
  const opCtx: OpContext = {
    host: ctx.host,
    facts: ctx.facts,
    vars,
    backends: ctx.backends,
    noLog: def.noLog,
    secrets: ctx.opts.secrets,
    controllerPath: (kind, src) => controllerPath(def, kind, src),
    renderTemplate: (file) => renderTemplateFile(file, vars, ctx.opts.secrets),
    condition: (cond) => evaluateWhen(cond as Condition, vars, ctx.opts.secrets),
  };
  let resolved: unknown;
  let queries: StateQuery[];
  try {
    resolved = op.resolve(withConditions(op, def, input.data), opCtx);
    queries = op.queries(resolved, opCtx);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new OperationError((err as Error).message, { pos: def.pos, host: ctx.host, task: def.name, cause: err });
  }
  return settled(base, { active: true, resolved, opCtx, queries });
}

/** Whether the task's conditions hold for these variables and, if so, its arguments as the operation takes them. */
function decideInput(ctx: HostContext, play: Play, def: TaskDef, ref: RoleRef | undefined, op: Operation, vars: Vars): TaskInput {
  if (!conditionsHold(ctx, def, ref, vars)) return { holds: false };
  const rendered = withEnvironment(op, renderTaskArgs(op, def, vars, ctx.opts.secrets), play, def, vars, ctx.opts.secrets);
  const parsed = parseArgs(op.schema, coerceTyped(op.schema, rendered));
  if (!parsed.success) {
    throw new InputError(`arguments of '${def.op}' after rendering: ${schemaMessage(parsed.error)}`, {
      pos: def.pos,
      host: ctx.host,
      task: def.name,
    });
  }
  return { holds: true, data: parsed.data };
}

/** The role's `when:` and the task's (its blocks' included) hold for these variables; a value a dry run cannot know defers the task. */
export function conditionsHold(ctx: HostContext, def: TaskDef, ref: RoleRef | undefined, vars: Vars): boolean {
  for (const cond of [ref?.when, def.when]) {
    if (cond === undefined) continue;
    try {
      if (!evaluateWhen(cond, vars, ctx.opts.secrets)) return false;
    } catch (err) {
      if (err instanceof Deferred) throw err;
      throw new InputError(`when: ${(err as Error).message}`, { pos: def.pos, host: ctx.host, task: def.name });
    }
  }
  return true;
}

/**
 * The arguments rendered for the host — except those holding conditions (assert's `that`), which stay
 * as the loader parsed them (with their positions) for the operation to evaluate. A rendered value
 * that is unknown in this dry run defers the task.
 */
function renderTaskArgs(op: Operation, def: TaskDef, vars: Vars, secrets: SecretRegistry): Record<string, unknown> {
  const conditions = op.conditionArgs ?? [];
  const plain = conditions.length ? { ...def, args: Object.fromEntries(Object.entries(def.args).filter(([k]) => !conditions.includes(k))) } : def;
  const rendered = renderArgs(plain, vars, secrets);
  const unknown = findUnknown(rendered);
  if (unknown) throw new Deferred(unknown.dependsOn);
  for (const k of conditions) if (k in def.args) rendered[k] = def.args[k];
  return rendered;
}

/** The schema's output with the condition arguments as parsed (zod copies objects, which loses their positions). */
function withConditions(op: Operation, def: TaskDef, data: unknown): unknown {
  const conditions = op.conditionArgs ?? [];
  if (!conditions.length || data === null || typeof data !== 'object') return data;
  return { ...data, ...Object.fromEntries(conditions.filter((k) => k in def.args).map((k) => [k, def.args[k]])) };
}

/**
 * The host's `become` variable (or `ansible_become`), read as connecting reads it: YAML 1.2 keeps
 * `become: no` a string, and "no" must not mean yes.
 */
/** The host's `become` variable; unset, the command line's -b (`byDefault`), else no. */
export function hostBecome(vars: Vars, where: { pos?: TaskDef['pos']; host?: string; task?: string } = {}, byDefault = false): boolean {
  const [name, value] = vars.become !== undefined && vars.become !== null ? ['become', vars.become] : ['ansible_become', vars.ansible_become];
  if (value === undefined || value === null) return byDefault;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|yes)$/i.test(value)) return true;
  if (typeof value === 'string' && /^(false|no)$/i.test(value)) return false;
  throw new InputError(`${name} must be true or false, got ${JSON.stringify(value)}`, where);
}

/** How a task's execs become: not at all, as the host is set up, or as its become_user / become_method. */
export function becomeRequest(p: Pick<PreparedTask, 'become' | 'becomeAs'>): BecomeRequest {
  return p.become ? (p.becomeAs ?? true) : false;
}

/**
 * How the play's state is read: with become when any task becomes; as those tasks' user and method
 * when they all agree, else as the host is set up (tasks become other users for what they DO).
 */
export function readingBecome(tasks: readonly PreparedTask[]): BecomeRequest {
  const asked = [...new Set(tasks.filter((t) => t.become).map((t) => JSON.stringify(t.becomeAs ?? {})))];
  if (asked.length === 0) return false;
  return asked.length === 1 && asked[0] !== '{}' ? (JSON.parse(asked[0]!) as BecomeRequest) : true;
}

type PreparedBase = Pick<PreparedTask, 'def' | 'displayName' | 'names' | 'become' | 'becomeAs' | 'ref' | 'op'>;

function inactive(base: PreparedBase, reason: string): PreparedTask {
  return settled(base, { active: false, skipReason: reason, resolved: undefined, queries: [] });
}

/**
 * `base` (made for this one task) completed with what was decided, in place: one object per task and
 * host, not a copy of each (the keys in the same order as `{ ...base, ...rest }`).
 */
function settled(base: PreparedBase, rest: Omit<PreparedTask, keyof PreparedBase>): PreparedTask {
  return Object.assign(base, rest);
}
