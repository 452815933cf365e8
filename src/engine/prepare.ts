// Everything about a task that can be decided on the controller before touching the host: is it
// selected (tags, when), what are its arguments for this host (rendered, then validated against the
// operation's schema), what does it need to read. Errors here name host, task and file position.
import { InputError, OperationError } from '../core/errors.js';
import type { Play, RoleRef, TaskDef, Vars } from '../load/model.js';
import { controllerPath } from '../core/paths.js';
import { markSecrets, reveal } from '../core/secret.js';
import { renderArgs, renderString, renderTemplateFile, singleRefValue } from '../load/template.js';
import { evaluateWhen } from '../load/when.js';
import { coerceTyped } from '../load/args.js';
import type { Operation, OpContext } from '../ops/operation.js';
import { operations } from '../ops/registry.js';
import type { StateQuery } from '../state/query.js';
import type { HostContext } from './host-context.js';
import { schemaMessage } from './schema-message.js';
import { selectedByTags } from './tag-selection.js';

export interface PreparedTask {
  def: TaskDef;
  /** The name in reports: the task's name, with the loop item's label when it loops. */
  displayName: string;
  /** Names a notify can use: the handler's name and its `listen` aliases. */
  names: string[];
  active: boolean;
  skipReason?: string;
  become: boolean;
  op: Operation;
  resolved: unknown;
  /** Absent for tasks that will not run (tags, when). */
  opCtx?: OpContext;
  queries: StateQuery[];
}

/** A task, or one prepared task per item when it loops. */
export function prepareTasks(ctx: HostContext, play: Play, def: TaskDef, ref: RoleRef | undefined, handler: boolean): PreparedTask[] {
  if (def.loop === undefined) return [prepareTask(ctx, play, def, ref, handler)];
  const vars = ctx.scope(play, ref);
  const where = { pos: def.pos, host: ctx.host, task: def.name };
  // Loop items keep their taint: a secret item (or one holding a secret) is a Secret in `item`, so a
  // label or helper computed from it is tracked like the secret itself.
  const single = typeof def.loop === 'string' ? singleRefValue(def.loop, vars) : undefined;
  const items = markSecrets(single ? reveal(single.value) : renderArgs({ args: { loop: def.loop }, argPos: {}, pos: def.pos }, vars, ctx.opts.secrets).loop, ctx.opts.secrets);
  if (!Array.isArray(items)) throw new InputError(`loop: expected a list, got ${items === null ? 'null' : typeof items}`, where);
  const loopVar = def.loopVar ?? 'item';
  return items.map((item, i) => {
    const itemVars = { ...vars, [loopVar]: item };
    const label = def.noLog ? `item ${i + 1}` : def.loopLabel !== undefined ? String(renderString(def.loopLabel, itemVars, ctx.opts.secrets, { pos: def.pos, what: 'loop_control.label' })) : labelOf(item);
    return prepareTask(ctx, play, def, ref, handler, { vars: itemVars, label });
  });
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
): PreparedTask {
  const op = operations.get(def.op);
  if (!op) throw new InputError(`unknown operation '${def.op}'`, { pos: def.pos, host: ctx.host, task: def.name });
  const vars: Vars = item?.vars ?? ctx.scope(play, ref);
  const names = [def.name, ...(def.listen ?? [])];
  const become = def.become ?? play.become ?? hostBecome(vars, { pos: def.pos, host: ctx.host, task: def.name });
  const displayName = item ? `${def.name} (${item.label})` : def.name;
  const base = { def, displayName, names, become, op };

  const tagSkip = handler ? undefined : selectedByTags([...def.tags, ...(ref?.tags ?? [])], ctx.opts);
  if (tagSkip) return inactive(base, tagSkip);
  for (const cond of [ref?.when, def.when]) {
    if (cond === undefined) continue;
    let ok: boolean;
    try {
      ok = evaluateWhen(cond, vars, ctx.opts.secrets);
    } catch (err) {
      throw new InputError(`when: ${(err as Error).message}`, { pos: def.pos, host: ctx.host, task: def.name });
    }
    if (!ok) return inactive(base, 'when: condition is false');
  }

  const rendered = renderArgs(def, vars, ctx.opts.secrets);
  const parsed = op.schema.safeParse(coerceTyped(op.schema, rendered));
  if (!parsed.success) {
    throw new InputError(`arguments of '${def.op}' after rendering: ${schemaMessage(parsed.error)}`, {
      pos: def.pos,
      host: ctx.host,
      task: def.name,
    });
  }
  const opCtx: OpContext = {
    host: ctx.host,
    facts: ctx.facts,
    vars,
    backends: ctx.backends,
    noLog: def.noLog,
    secrets: ctx.opts.secrets,
    controllerPath: (kind, src) => controllerPath(def, kind, src),
    renderTemplate: (file) => renderTemplateFile(file, vars, ctx.opts.secrets),
  };
  let resolved: unknown;
  let queries: StateQuery[];
  try {
    resolved = op.resolve(parsed.data, opCtx);
    queries = op.queries(resolved, opCtx);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new OperationError((err as Error).message, { pos: def.pos, host: ctx.host, task: def.name, cause: err });
  }
  return { ...base, active: true, resolved, opCtx, queries };
}

/**
 * The host's `become` variable (or `ansible_become`), read as connecting reads it: YAML 1.2 keeps
 * `become: no` a string, and "no" must not mean yes.
 */
export function hostBecome(vars: Vars, where: { pos?: TaskDef['pos']; host?: string; task?: string } = {}): boolean {
  const [name, value] = vars.become !== undefined && vars.become !== null ? ['become', vars.become] : ['ansible_become', vars.ansible_become];
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|yes)$/i.test(value)) return true;
  if (typeof value === 'string' && /^(false|no)$/i.test(value)) return false;
  throw new InputError(`${name} must be true or false, got ${JSON.stringify(value)}`, where);
}

function inactive(base: Pick<PreparedTask, 'def' | 'displayName' | 'names' | 'become' | 'op'>, reason: string): PreparedTask {
  return {
    ...base,
    active: false,
    skipReason: reason,
    resolved: undefined,
    queries: [],
  };
}
