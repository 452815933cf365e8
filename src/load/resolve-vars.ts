// Variables whose values reference other variables — `relayhost: "[{{relay_host}}]:{{relay_port}}"`
// — are rendered once per host scope, each after the variables it uses, so every task and template
// sees final values and a derived value is defined in one place (as Ansible users expect).
import { InputError } from '../errors.js';
import type { Vars } from './model.js';
import { isPlainObject, Secret } from './secret.js';
import { renderString, templateRefsOf } from './template.js';
import { RESERVED_VARS } from './vars.js';

const RESERVED = new Set<string>(RESERVED_VARS);

export function resolveVars(vars: Vars): Vars {
  const out: Vars = { ...vars };
  const state = new Map<string, 'doing' | 'done'>();

  const visit = (name: string, chain: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'doing') throw new InputError(`variables reference each other in a cycle: ${[...chain, name].join(' → ')}`);
    state.set(name, 'doing');
    out[name] = render(vars[name], [...chain, name]);
    state.set(name, 'done');
  };

  const render = (value: unknown, chain: string[]): unknown => {
    if (value instanceof Secret) return value;
    if (typeof value === 'string') {
      if (!value.includes('{{')) return value;
      // The variable being rendered (the last of the chain), so a limit or a missing name blames it.
      const origin = { what: `variable '${chain.at(-1)}'` };
      for (const ref of templateRefsOf(value, origin)) {
        const root = ref.parts[0];
        if (root !== undefined && !RESERVED.has(root) && Object.hasOwn(vars, root)) visit(root, chain);
      }
      return renderString(value, out, origin);
    }
    if (Array.isArray(value)) return value.map((v) => render(v, chain));
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, chain)]));
    return value;
  };

  for (const name of Object.keys(vars)) if (!RESERVED.has(name)) visit(name, []);
  return out;
}
