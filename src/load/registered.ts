// The host variables a plan defines while it runs — `register:` names and `set_fact` keys — known
// before any run, so `fleetplan validate` treats them as defined (their values exist only at run
// time), and the engine knows which tasks of a play to prepare only once those values exist.
import { setFactNames } from '../ops/set-fact.js';
import type { Plan, Play, TaskDef } from './model.js';
import { eachTask } from './task-tree.js';

/**
 * Every task and handler of a play, its roles' included, and what blocks, imports and includes hold.
 * A role a task imports or includes is in the task tree as the tasks it brings (tasks_from's file,
 * not the role's main tasks), so only its handlers are added here.
 */
function playDefs(play: Play): TaskDef[] {
  const lists = [
    ...play.roles.map((r) => r.role.tasks),
    play.preTasks ?? [],
    play.tasks,
    play.postTasks ?? [],
    ...[...play.roles, ...(play.taskRoles ?? [])].map((r) => r.role.handlers),
    play.handlers,
  ];
  const out: TaskDef[] = [];
  for (const list of lists) eachTask(list, (def) => out.push(def));
  return out;
}

/** The names one task defines at run time. */
export function taskRegisteredNames(def: TaskDef): string[] {
  const names = def.register !== undefined ? [def.register] : [];
  if (def.op === 'set_fact') names.push(...setFactNames(def.args));
  return names;
}

/** The names the tasks and handlers of one play define at run time. */
export function playRegisteredNames(play: Play): Set<string> {
  return new Set(playDefs(play).flatMap(taskRegisteredNames));
}

/** The names a whole plan defines at run time (registered results and set_fact variables). */
export function registeredNames(plan: Plan): Set<string> {
  return new Set(plan.plays.flatMap((p) => [...playRegisteredNames(p)]));
}

/**
 * The set_fact names a plan sets on a delegate (delegate_facts): at run time they are in that host's
 * hostvars entry from the next play on, so validate treats them as defined in every host's entry.
 */
export function delegatedFactNames(plan: Plan): Set<string> {
  const defs = plan.plays.flatMap(playDefs).filter((d) => d.delegateFacts && d.delegateTo !== undefined && d.op === 'set_fact');
  return new Set(defs.flatMap((d) => setFactNames(d.args)));
}
