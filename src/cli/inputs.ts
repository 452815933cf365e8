// Loads and validates every input of a run before any host is contacted: inventory, plan, roles,
// templates, variables, host patterns. Throws InputError(s) naming file:line:col.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildAddress } from '../connectors/address.js';
import { InputError, InputErrors } from '../core/errors.js';
import type { SecretRegistry } from '../core/secret.js';
import { targets } from '../engine/run.js';
import { addPlanVarsDir, hostVars } from '../load/inventory.js';
import { didYouMean } from '../load/issues.js';
import type { Inventory, Plan, Vars } from '../load/model.js';
import { loadPlan } from '../load/plan.js';
import { definitionLocator, validatePlanVars } from '../load/validate.js';
import { extraVars, readInventory, rolesPath } from './common.js';
import { commandLineConnection, type ConnectionFlagOpts } from './connection-flags.js';

export interface Inputs {
  plan: Plan;
  inventory: Inventory;
  extraVars: Vars;
  hosts: string[];
  /** The run's secret registry, which everything loaded registered its secrets into. */
  secrets: SecretRegistry;
}

export function loadInputs(
  /** The plan file, or the plan itself (`fleetplan run` builds one). */
  planFile: string | (() => Plan),
  opts: { inventory: string | string[]; limit?: string; extraVars?: string[]; rolesPath?: string[]; sshConfig?: string; connection?: 'ssh' | 'local' } & ConnectionFlagOpts,
  secrets: SecretRegistry,
): Inputs {
  if (typeof planFile === 'string' && !existsSync(planFile)) throw new InputError('plan file not found', { pos: { file: planFile } });
  const vars = extraVars(opts.extraVars, secrets);
  const inventory = readInventory(opts.inventory, secrets);
  const plan = typeof planFile === 'string' ? loadPlan(path.resolve(planFile), { rolesPath: rolesPath(opts.rolesPath), secrets }) : planFile();
  if (typeof planFile === 'string') addPlanVarsDir(inventory, plan.file, secrets);
  const hosts = [...targets(plan, inventory, opts.limit).keys()];
  if (opts.limit && hosts.length === 0) throw limitSelectsNothing(opts.limit, [...targets(plan, inventory).keys()]);
  const errors = [...validatePlanVars(plan, inventory, vars, hosts), ...addressErrors(plan, inventory, hosts, vars, opts)];
  if (errors.length) throw new InputErrors(errors);
  return { plan, inventory, extraVars: vars, hosts, secrets };
}

/** A --limit that leaves no host to run on is a mistake, not a run that does nothing and exits 0. */
export function limitSelectsNothing(limit: string, candidates: string[], of = 'the plan targets'): InputError {
  const among = candidates.length ? `${candidates.slice(0, 10).join(', ')}${candidates.length > 10 ? ', …' : ''}` : 'none';
  return new InputError(`--limit '${limit}' selects none of the ${candidates.length} host(s) ${of}${didYouMean(limit, candidates)}: ${among}`);
}

/**
 * Connection variables (ssh_port: "abc", connection: telnet...) of every targeted host, checked the way
 * connecting will, so that a typo is an input error at its definition rather than an unreachable host.
 */
function addressErrors(plan: Plan, inventory: Inventory, hosts: string[], extra: Vars, opts: { sshConfig?: string; connection?: 'ssh' | 'local' } & ConnectionFlagOpts): InputError[] {
  const locate = definitionLocator(plan, inventory);
  const out: InputError[] = [];
  for (const host of hosts) {
    const vars = { ...hostVars(inventory, host), ...extra };
    try {
      buildAddress(host, vars, {
        inventoryDir: path.dirname(inventory.file),
        sshConfigFile: opts.sshConfig,
        connectionOverride: opts.connection,
        commandLine: commandLineConnection(opts),
      });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const name = /^host \S+: (\w+) must be/.exec(err.message)?.[1];
      const fromExtra = name !== undefined && Object.hasOwn(extra, name);
      const pos = name && !fromExtra ? locate(name, vars[name]) : undefined;
      out.push(new InputError(`${err.message}${fromExtra ? ' (from -e)' : ''}`, pos ? { pos } : {}));
    }
  }
  return out;
}
