// delegate_to names written as they are (no template) are checked against the inventory before any
// host is contacted: a typo is an input error at its file:line:col, not a failed task mid-run.
// Templated names can only be known per host at run time (src/engine/delegate.ts checks them there).
import { InputError } from '../core/errors.js';
import type { Inventory, Plan, TaskDef } from './model.js';

/** The names that mean the controller unless the inventory defines a host of that name. */
export const CONTROLLER_NAMES = ['localhost', '127.0.0.1'];

export function checkDelegates(plan: Plan, inventory: Inventory): InputError[] {
  const tasks = new Set<TaskDef>();
  for (const play of plan.plays) {
    for (const t of [...play.tasks, ...play.handlers, ...play.roles.flatMap((r) => [...r.role.tasks, ...r.role.handlers])]) tasks.add(t);
  }
  const errors: InputError[] = [];
  for (const t of tasks) {
    const name = t.delegateTo;
    if (name === undefined || name.includes('{{') || inventory.hosts.has(name) || CONTROLLER_NAMES.includes(name)) continue;
    errors.push(new InputError(`delegate_to: '${name}' is not a host of the inventory (nor localhost)`, { pos: t.argPos.delegate_to ?? t.pos }));
  }
  return errors;
}
