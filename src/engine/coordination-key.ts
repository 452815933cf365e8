// Which tasks of different hosts are "the same task" for what hosts of a batch do together (run_once,
// throttle, any_errors_fatal: play-batch.ts, run-once.ts). A task written in the plan is one TaskDef
// shared by every host; a task of a dynamic include (include_tasks, include_role) is a copy each host
// makes when it expands the include — so the copies are tied here to one key: the same task (by its
// position) of the same include (by its own key) for the same loop item of that include.
import type { TaskDef } from '../load/model.js';
import { eachTask } from '../load/task-tree.js';

const keyOf = new WeakMap<TaskDef, TaskDef>();
/** The first copy seen for each key string, standing for all of them. */
const canonical = new Map<string, TaskDef>();
const names = new WeakMap<TaskDef, string>();

/** The task standing for `def` and its copies on the other hosts. */
export function coordinationKey(def: TaskDef): TaskDef {
  return keyOf.get(def) ?? def;
}

function nameOf(def: TaskDef): string {
  const key = coordinationKey(def);
  let name = names.get(key);
  if (!name) names.set(key, (name = `${def.pos.file}:${def.pos.line}:${def.pos.col}`));
  return name;
}

/** Ties the tasks an include expanded into, on this host, for loop item `item`, to the other hosts' copies. */
export function shareIncluded(include: TaskDef, item: number, tasks: readonly TaskDef[]): void {
  const prefix = `${nameOf(include)}#${item}>`;
  eachTask(tasks, (def) => {
    const name = prefix + `${def.pos.file}:${def.pos.line}:${def.pos.col}`;
    let key = canonical.get(name);
    if (!key) canonical.set(name, (key = def));
    keyOf.set(def, key);
    names.set(key, name);
  });
}
