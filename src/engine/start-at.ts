// --start-at-task: the tasks a run passes over because they come before the named one, in the order
// the plan runs them (plays, then pre_tasks, roles, tasks, post_tasks, blocks and imports inside).
// Worked out once from the loaded plan, so that a name no task has is an input error before any host
// is contacted (with the closest names), not a run that silently skips everything.
import { InputError } from '../core/errors.js';
import { didYouMean } from '../load/issues.js';
import type { Plan, Play, RoleRef, TaskDef } from '../load/model.js';
import { eachTask, type TreeVisit } from '../load/task-tree.js';

export interface PlannedTask {
  def: TaskDef;
  ref?: RoleRef;
  /** "role : name" for a role's task, as Ansible lists it; else the name. */
  label: string;
}

/**
 * The leaf tasks of a play in the order they run: pre_tasks, each role's, tasks, post_tasks, with
 * blocks and imports opened. A structure that holds others is not one (what it holds is).
 */
export function playLeafTasks(play: Play): PlannedTask[] {
  const out: PlannedTask[] = [];
  const visit = (ref?: RoleRef) => (def: TaskDef, at: TreeVisit) => {
    const r = at.ref ?? ref;
    if (!def.structure) out.push({ def, ...(r ? { ref: r } : {}), label: r ? `${r.role.name} : ${def.name}` : def.name });
  };
  eachTask(play.preTasks ?? [], visit());
  for (const ref of play.roles) eachTask(ref.role.tasks, visit(ref));
  eachTask(play.tasks, visit());
  eachTask(play.postTasks ?? [], visit());
  return out;
}

/**
 * The leaf tasks before the first one named `name` (Ansible matches the task's name, or "role : name").
 * A task shared by several plays (a role used twice) is passed over only if it never runs after the start.
 */
export function tasksBefore(plan: Plan, name: string): Set<TaskDef> {
  const planned = plan.plays.flatMap(playLeafTasks);
  const order = planned.map((t) => t.def);
  const labels = planned.map((t) => t.label);
  const start = order.findIndex((def, i) => def.name === name || labels[i] === name);
  if (start < 0) {
    const names = [...new Set(order.map((d) => d.name))];
    throw new InputError(`--start-at-task '${name}' names no task of the plan${didYouMean(name, names)}`);
  }
  const after = new Set(order.slice(start));
  return new Set(order.slice(0, start).filter((d) => !after.has(d)));
}
