// The play's task tree prepared for one host, before its state is read (so everything it needs is
// read in the one batch): every task rendered and resolved (prepare.ts), blocks kept as blocks,
// dynamic includes expanded now — their file name, loop and when evaluated for this host, their tasks
// prepared once per item with the item and the include's vars bound — and the points where notified
// handlers run (after pre_tasks, after tasks, meta: flush_handlers). A rescue's tasks are prepared
// again when it runs, with what failed bound (blocks.ts); prepared here they only say what to read.
import { InputError } from '../core/errors.js';
import type { Play, RoleRef, TaskDef, Vars } from '../load/model.js';
import { renderString } from '../load/template.js';
import { includedTasks, readIncludedFile } from '../load/task-tree.js';
import { shareIncluded } from './coordination-key.js';
import { operations } from '../ops/registry.js';
import type { HostContext } from './host-context.js';
import { conditionsHold, loopItems, prepareTasks, type PreparedTask } from './prepare.js';
import { selectedByTags } from './tag-selection.js';
import { taskScope, withTaskVars } from './task-vars.js';

/** What encloses a task: the role whose variables it sees, and what includes (and a rescue) bind around it. */
export interface Frame {
  ref?: RoleRef;
  outer?: Vars;
  /** Includes around it, to stop one that includes itself through a templated name. */
  depth: number;
}

export type PreparedNode =
  | { kind: 'task'; task: PreparedTask }
  | { kind: 'block'; def: TaskDef; block: PreparedNode[]; rescue: PreparedNode[]; always: PreparedNode[]; frame: Frame }
  /** Run the notified handlers here: meta: flush_handlers (def), or the play's own flush points. */
  | { kind: 'flush'; def?: TaskDef }
  /** An include that does not run on this host (when:, tags): reported skipped, as a task would be. */
  | { kind: 'skipped'; def: TaskDef; reason: string };

const MAX_INCLUDE_DEPTH = 32;

/** Stand-ins while a rescue is prepared up front (for what it reads): the real values are bound when it runs. */
export const FAILURE_PLACEHOLDER: Vars = {
  ansible_failed_task: { name: '', action: '' },
  ansible_failed_result: { failed: true, changed: false, msg: '', rc: 1, stdout: '', stderr: '' },
};

/** The play's tasks for this host in the order they run, with its handler flush points (as Ansible). */
export function preparePlayTree(ctx: HostContext, play: Play): PreparedNode[] {
  const flush: PreparedNode = { kind: 'flush' };
  return [
    ...prepareNodes(ctx, play, play.preTasks ?? [], { depth: 0 }),
    flush,
    ...play.roles.flatMap((ref) => prepareNodes(ctx, play, ref.role.tasks, { ref, depth: 0 })),
    ...prepareNodes(ctx, play, play.tasks, { depth: 0 }),
    flush,
    ...prepareNodes(ctx, play, play.postTasks ?? [], { depth: 0 }),
  ];
}

export function prepareNodes(ctx: HostContext, play: Play, defs: readonly TaskDef[], frame: Frame): PreparedNode[] {
  return defs.flatMap((def): PreparedNode[] => {
    const s = def.structure;
    if (!s) return prepareTasks(ctx, play, def, frame.ref, false, frame.outer).map((task) => ({ kind: 'task', task }));
    if (s.kind === 'meta') return [{ kind: 'flush', def }];
    if (s.kind === 'include') return prepareInclude(ctx, play, def, frame);
    const inner: Frame = s.roleRef ? { ...frame, ref: s.roleRef } : frame;
    return [{
      kind: 'block',
      def,
      block: prepareNodes(ctx, play, s.block, inner),
      rescue: prepareRescue(ctx, play, s.rescue, inner),
      always: prepareNodes(ctx, play, s.always, inner),
      frame: inner,
    }];
  });
}

/**
 * A rescue prepared up front, only for the state it reads: a template or condition on what failed may
 * not make sense before anything did, so a problem here is left for when it runs (and fails then).
 */
function prepareRescue(ctx: HostContext, play: Play, defs: readonly TaskDef[], frame: Frame): PreparedNode[] {
  if (defs.length === 0) return [];
  try {
    return prepareNodes(ctx, play, defs, { ...frame, outer: { ...frame.outer, ...FAILURE_PLACEHOLDER } });
  } catch {
    return [];
  }
}

/** include_tasks / include_role on this host: skipped, or a block of its tasks per loop item. */
function prepareInclude(ctx: HostContext, play: Play, def: TaskDef, frame: Frame): PreparedNode[] {
  if (frame.depth >= MAX_INCLUDE_DEPTH) throw new InputError(`includes nested deeper than ${MAX_INCLUDE_DEPTH} (a file including itself?)`, { pos: def.pos, host: ctx.host, task: def.name });
  const tagSkip = selectedByTags([...def.tags, ...(frame.ref?.tags ?? []), ...(play.tags ?? [])], ctx.opts);
  if (tagSkip) return [{ kind: 'skipped', def, reason: tagSkip }];
  // The include's own vars are rendered per item (they may use it); its when and loop see the rest.
  const scope = taskScope(ctx, play, { ...def, vars: undefined }, frame.ref, frame.outer);
  const loopVar = def.loopVar ?? 'item';
  const bindings: Vars[] = def.loop === undefined ? [{}] : loopItems(ctx, def, scope).map((item) => ({ [loopVar]: item }));
  return bindings.map((binding, i): PreparedNode => {
    const vars = { ...scope, ...binding };
    if (!conditionsHold(ctx, def, frame.ref, vars)) return { kind: 'skipped', def, reason: 'when: condition is false' };
    const params = def.vars ? withTaskVars(ctx, vars, def) : vars;
    const outer = { ...frame.outer, ...binding, ...pick(params, Object.keys(def.vars ?? {})) };
    const inner: Frame = { ...frame, outer, depth: frame.depth + 1 };
    const tasks = includedTasks(def, includeSource(ctx, def, vars));
    shareIncluded(def, i, tasks);
    return { kind: 'block', def, block: prepareNodes(ctx, play, tasks, inner), rescue: [], always: [], frame: inner };
  });
}

/** The tasks an include runs: read when the plan loaded, or now when the file name is a template. */
function includeSource(ctx: HostContext, def: TaskDef, vars: Vars): TaskDef[] {
  const s = def.structure;
  if (s?.kind !== 'include') return [];
  if (s.tasks) return s.tasks;
  const file = s.file!;
  const name = renderString(file.name, vars, ctx.opts.secrets, { pos: file.pos, what: 'include_tasks' });
  if (typeof name !== 'string' || name === '') throw new InputError(`include_tasks: the file name rendered to ${JSON.stringify(name)}`, { pos: file.pos, host: ctx.host, task: def.name });
  return readIncludedFile(def, file, name, operations, ctx.opts.secrets);
}

function pick(vars: Vars, keys: string[]): Vars {
  return Object.fromEntries(keys.filter((k) => k in vars).map((k) => [k, vars[k]]));
}
