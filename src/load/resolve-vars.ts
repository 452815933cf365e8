// Variables whose values reference other variables — `relayhost: "[{{relay_host}}]:{{relay_port}}"`
// — are rendered once per host scope, each after the variables it uses, so every task and template
// sees final values and a derived value is defined in one place (as Ansible users expect).
import { InputError } from '../core/errors.js';
import type { Vars } from './model.js';
import { asSecret, isPlainObject, Secret, type SecretRegistry } from '../core/secret.js';
import { renderString, singleRefValue, templateRefsOf } from './template.js';
import { RESERVED_VARS } from './vars.js';

const RESERVED = new Set<string>(RESERVED_VARS);

/**
 * Whether a list or mapping holds no template string anywhere inside, known once per object: a host's
 * facts, the inventory's groups and `group_addresses` are the same objects in every scope of every
 * host, and were copied whole into each (where they stay as shared as in the layers they come from).
 */
const knownTemplateFree = new WeakSet<object>();
function templateFree(value: unknown[] | Record<string, unknown>): boolean {
  if (knownTemplateFree.has(value)) return true;
  const free = (v: unknown): boolean =>
    typeof v === 'string' ? !v.includes('{{') : Array.isArray(v) || isPlainObject(v) ? templateFree(v) : true;
  const isFree = Array.isArray(value) ? value.every(free) : Object.values(value).every(free);
  if (isFree) knownTemplateFree.add(value);
  return isFree;
}

/** A value rendering leaves as it is: no template string anywhere in it. */
function inert(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('{{');
  if (Array.isArray(value) || isPlainObject(value)) return templateFree(value);
  // render() below returns anything else as it is (a Secret, a number, another kind of object).
  return true;
}

/**
 * `secrets`: the run's registry (derived Secrets belong to it). `secret`: names whose values are
 * secrets however given (roles' `secret_vars:`), made Secrets here.
 */
export function resolveVars(vars: Vars, secrets: SecretRegistry, secret: ReadonlySet<string> = new Set()): Vars {
  const out: Vars = { ...vars };
  const state = new Map<string, 'doing' | 'done'>();

  const visit = (name: string, chain: string[]): void => {
    // Most names (facts, plain defaults) hold a value with no template in it: `out` has it already,
    // and it reads no other name, so it can be in no cycle.
    if (!secret.has(name) && inert(vars[name])) return;
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'doing') throw new InputError(`variables reference each other in a cycle: ${[...chain, name].join(' → ')}`);
    state.set(name, 'doing');
    const value = render(vars[name], [...chain, name]);
    out[name] = secret.has(name) ? asSecret(value, secrets) : value;
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
      // A variable derived from a secret is a secret (marks values, not names): `x: "{{pw}}"` keeps
      // pw's Secret, `x: "{{pw}}-suffix"` becomes one, so `{{upper x}}` is tracked like `{{upper pw}}`.
      const single = singleRefValue(value, out);
      if (single) return single.value;
      const { value: rendered, tainted } = secrets.track(() => renderString(value, out, secrets, origin));
      return tainted && typeof rendered === 'string' ? new Secret(rendered, secrets) : rendered;
    }
    if ((Array.isArray(value) || isPlainObject(value)) && templateFree(value)) return value;
    if (Array.isArray(value)) return value.map((v) => render(v, chain));
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, chain)]));
    return value;
  };

  // An index loop: no iterator result per name (≈ 70 names per scope, every scope of every host).
  const names = Object.keys(vars);
  for (let i = 0; i < names.length; i++) if (!RESERVED.has(names[i]!)) visit(names[i]!, []);
  return out;
}
