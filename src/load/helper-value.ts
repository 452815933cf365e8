// A templated value that is one helper call, `"{{dict2items relay_params}}"` or `"{{split hosts ","}}"`,
// yields the helper's own value when that is a list or a mapping — as `"{{ports}}"` yields the variable's
// own list — so `loop: "{{dict2items x}}"` (Ansible's `loop: "{{ x | dict2items }}"`) loops, and a list
// argument can be computed. A scalar result renders to text exactly as before.
import type Handlebars from 'handlebars';
import { findUnknown, Deferred } from '../core/unknown.js';
import { revealDeep } from '../core/secret.js';
import { compileTemplate } from './hbs-template.js';

type Env = typeof Handlebars;
type Ast = hbs.AST.Program;
type Node = hbs.AST.MustacheStatement;

/** The helper the wrapped call hands its value to; a name no template can write (leading `__`). */
const CAPTURE = '__fleetplan_value';
/** Helpers whose value is no data: block helpers and the logger. */
const NOT_VALUES = new Set(['if', 'unless', 'each', 'with', 'log', 'blockHelperMissing', 'helperMissing']);

interface Box { value?: unknown; set: boolean }

export function registerValueCapture(env: Env): void {
  env.registerHelper(CAPTURE, (value: unknown, options: { data?: { box?: Box } }) => {
    const box = options.data?.box;
    if (box) Object.assign(box, { value, set: true });
    return '';
  });
}

/**
 * For a template that is exactly one helper call with arguments, a function giving the call's list or
 * mapping value (undefined when it gives a scalar: render the text as usual); undefined otherwise.
 */
export function valueOfCall(env: Env, ast: unknown, options: object): ((vars: object, data: object) => unknown) | undefined {
  const body = (ast as Ast).body;
  const m = body.length === 1 && body[0]!.type === 'MustacheStatement' ? (body[0] as Node) : undefined;
  if (!m || m.path.type !== 'PathExpression' || m.params.length === 0) return undefined;
  const name = (m.path as hbs.AST.PathExpression).original;
  if (NOT_VALUES.has(name) || !Object.hasOwn(env.helpers, name)) return undefined;
  const sub = { type: 'SubExpression', path: m.path, params: m.params, hash: m.hash, loc: m.loc };
  const capture = { type: 'PathExpression', data: false, depth: 0, parts: [CAPTURE], original: CAPTURE, loc: m.loc };
  const wrapped = { ...(ast as Ast), body: [{ ...m, path: capture, params: [sub], hash: undefined }] };
  const fn = compileTemplate(env, wrapped, options);
  return (vars, data) => {
    const box: Box = { set: false };
    fn(vars, { data: { ...data, box } });
    const unknown = findUnknown(box.value);
    if (unknown) throw new Deferred(unknown.dependsOn);
    return box.set && box.value !== null && typeof box.value === 'object' ? revealDeep(box.value) : undefined;
  };
}
