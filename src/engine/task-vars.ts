// What a task sees beyond its host's variables for the play or role (host-scope.ts): its own `vars:`
// (its enclosing blocks' merged below them at load time), what an include binds around it (its loop
// item and vars, rendered per item) and, in a rescue, what failed; and the `environment:` its commands
// get. Precedence as Ansible: block and task vars above play and role variables, below role parameters;
// include parameters above those; extra vars above everything. A task with none of these sees the
// host scope itself: no copy, no rendering.
import { FleetplanError, InputError } from '../core/errors.js';
import type { Play, RoleRef, TaskDef, Vars } from '../load/model.js';
import { renderArgs } from '../load/template.js';
import type { Operation } from '../ops/operation.js';
import type { SecretRegistry } from '../core/secret.js';
import type { HostContext } from './host-context.js';

/**
 * The variables `def` sees on this host; `outer`: what enclosing includes (and a rescue) bind; `base`:
 * the play's (or role's) variables with what the run set so far (register, set_fact: host-results.ts).
 */
export function taskScope(ctx: HostContext, play: Play, def: TaskDef, ref: RoleRef | undefined, outer?: Vars, base: Vars = ctx.scope(play, ref)): Vars {
  if (!def.vars && !outer) return base;
  const extra = Object.keys(ctx.opts.extraVars);
  const out = def.vars ? withTaskVars(ctx, base, def) : { ...base };
  if (def.vars) for (const k of Object.keys(ref?.params ?? {})) if (k in base) out[k] = base[k];
  if (outer) Object.assign(out, outer);
  for (const k of extra) if (k in base) out[k] = base[k];
  return out;
}

/**
 * `scope` with the task's vars rendered in it, in the order written: each may use the ones before it
 * and anything in `scope` (nothing else is rendered again: a value already rendered stays as it is).
 */
export function withTaskVars(ctx: HostContext, scope: Vars, def: TaskDef): Vars {
  const out: Vars = { ...scope };
  for (const [name, value] of Object.entries(def.vars ?? {})) {
    try {
      out[name] = renderArgs({ args: { [name]: value }, argPos: {}, pos: def.pos }, out, ctx.opts.secrets)[name];
    } catch (err) {
      if (!(err instanceof FleetplanError)) throw err;
      throw new InputError(`vars: ${name}: ${err.message.replace(/^argument '[^']*': /, '')}`, { pos: def.pos, host: ctx.host, task: def.name });
    }
  }
  return out;
}

/**
 * The task's rendered arguments with its `environment:` (the play's, then its blocks' and its own)
 * merged into the operation's environment argument, the argument's own values winning. Operations
 * whose commands take no environment ignore it, as Ansible's modules that run nothing do.
 */
export function withEnvironment(op: Operation, args: Record<string, unknown>, play: Play, def: TaskDef, vars: Vars, secrets: SecretRegistry): Record<string, unknown> {
  if (!op.envArg || (!play.environment && !def.environment)) return args;
  const env = renderArgs({ args: { ...play.environment, ...def.environment }, argPos: {}, pos: def.pos }, vars, secrets);
  const own = args[op.envArg];
  return { ...args, [op.envArg]: { ...env, ...(own !== null && typeof own === 'object' ? own : {}) } };
}
