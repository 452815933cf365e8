// Loads and validates every input of a run before any host is contacted: inventory, plan, roles,
// templates, variables, host patterns. Throws InputError(s) naming file:line:col.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError, InputErrors } from '../errors.js';
import { targets } from '../engine/run.js';
import type { Inventory, Plan, Vars } from '../load/model.js';
import { loadPlan } from '../load/plan.js';
import { validatePlanVars } from '../load/validate.js';
import { extraVars, readInventory, rolesPath } from './common.js';

export interface Inputs {
  plan: Plan;
  inventory: Inventory;
  extraVars: Vars;
  hosts: string[];
}

export function loadInputs(planFile: string, opts: { inventory: string; limit?: string; extraVars?: string[]; rolesPath?: string[] }): Inputs {
  if (!existsSync(planFile)) throw new InputError('plan file not found', { pos: { file: planFile } });
  const vars = extraVars(opts.extraVars);
  const inventory = readInventory(opts.inventory);
  const plan = loadPlan(path.resolve(planFile), { rolesPath: rolesPath(opts.rolesPath) });
  const hosts = [...targets(plan, inventory, opts.limit).keys()];
  const errors = validatePlanVars(plan, inventory, vars, hosts);
  if (errors.length) throw new InputErrors(errors);
  return { plan, inventory, extraVars: vars, hosts };
}
