// Renders whose inputs are the same on several hosts, done once per run. A template (file or argument
// string) reads host variables only through the paths its AST names (template-refs.ts); when every
// one of those holds the same value on two hosts, and the template calls only helpers that are pure
// functions of their arguments, the text is the same: the second host gets the first one's. This is
// what keeps a plan of 20 hosts from rendering every role default and every main.cf 20 times.
//
// What makes a render's inputs equal is decided conservatively: plain data (strings, numbers,
// booleans, null, lists, mappings) by value; a Secret by identity (the same object, never its value:
// reading it would taint the render that asks); a value registered as constant for the run
// (runConstant: `groups`, `group_addresses`) by identity too, so a key over it costs one step, not
// the fleet's size; anything else (a dry run's unknown value, hostvars'
// lazy mapping, other objects) is no key at all and renders as before. Templates that read `this` or
// `@root` at the top, climb out with `../`, use partials or decorators, or call an impure helper
// (password_hash's random salt, env lookups, log) are never cached. Errors are never cached (each host
// gets its own). A render that read a secret marks the asker's taint scope again on a hit (as the
// render did). The cache belongs to the run's secret registry, so it ends with the run.
import type { SecretRegistry } from '../core/secret.js';
import { Secret } from '../core/secret.js';
import type { TemplateRef } from './template-refs.js';

/** Helpers whose result is not a function of their arguments, or that act (log). */
const IMPURE_HELPERS = new Set(['password_hash', 'env', 'secret_env', 'log']);
/** `@` variables Handlebars sets inside loops: the loop's own, the same for equal inputs. */
const LOOP_DATA = new Set(['index', 'key', 'first', 'last']);
/** Blocks that keep the context; #each and #with change it to what they are given. Any other block (a section over a variable, which keeps it when that is true) is not cached. */
const CONTEXT_KEEPING = new Set(['if', 'unless']);
const CONTEXT_CHANGING = new Set(['each', 'with']);
/** After this many renders of a template without a hit (per-host values), it is no longer keyed. */
const GIVE_UP_AFTER = 32;
/** Entries kept per template and run; keys beyond are not stored. */
const MAX_ENTRIES = 256;
/** Nodes (values, keys) a key may hold; a larger input renders as before. */
const MAX_KEY_NODES = 5000;

interface AstNode {
  type: string;
  [k: string]: unknown;
}

const constants = new WeakSet<object>();

/**
 * Marks `v` as one value for as long as it lives: what any path under it reads never changes (frozen
 * data, or a mapping that computes each entry once and keeps it). Keys then name it by identity.
 */
export function runConstant<T extends object>(v: T): T {
  constants.add(v);
  return v;
}

/** Can this template's output be keyed by the values at its refs? (see above) */
export function cacheableTemplate(ast: unknown, helpers: ReadonlySet<string>): boolean {
  let ok = true;
  const path = (p: AstNode, depth: number): void => {
    const parts = p.parts as string[];
    if (p.data) ok &&= parts.length === 1 && LOOP_DATA.has(parts[0]!);
    else if ((p.depth as number) > 0) ok = false;
    else if (parts.length === 0 && depth === 0) ok = false;
  };
  const expr = (n: AstNode | undefined, depth: number): void => {
    if (!n) return;
    if (n.type === 'PathExpression') path(n, depth);
    else if (n.type === 'SubExpression') call(n, depth);
  };
  const call = (n: AstNode, depth: number): string => {
    const callee = n.path as AstNode;
    // `{{"a key"}}` looks the literal up in the context, which no ref names.
    if (callee.type !== 'PathExpression') ok = false;
    const name = callee.type === 'PathExpression' ? (callee.original as string) : '';
    const params = (n.params as AstNode[] | undefined) ?? [];
    const pairs = ((n.hash as AstNode | undefined)?.pairs as AstNode[] | undefined) ?? [];
    if (params.length || pairs.length || n.type === 'SubExpression' || helpers.has(name)) {
      if (IMPURE_HELPERS.has(name) || !helpers.has(name)) ok = false;
    } else expr(callee, depth);
    for (const p of params) expr(p, depth);
    for (const pair of pairs) expr(pair.value as AstNode, depth);
    return name;
  };
  const walk = (n: AstNode | undefined, depth: number): void => {
    if (!n || !ok) return;
    if (n.type === 'Program') for (const s of n.body as AstNode[]) walk(s, depth);
    else if (n.type === 'MustacheStatement') call(n, depth);
    else if (n.type === 'BlockStatement') {
      const name = call(n, depth);
      if (!CONTEXT_KEEPING.has(name) && !CONTEXT_CHANGING.has(name)) ok = false;
      walk(n.program as AstNode, CONTEXT_KEEPING.has(name) ? depth : depth + 1);
      walk(n.inverse as AstNode, depth);
    } else if (n.type !== 'ContentStatement' && n.type !== 'CommentStatement') ok = false;
  };
  walk(ast as AstNode, 0);
  return ok;
}

type Entry<T> = { value: T; tainted: boolean };
/** One run's entries for one template (or one task's inputs: engine/task-input.ts). */
export interface RunCache<T> {
  entries: Map<string, Entry<T>>;
  misses: number;
  hits: number;
}

/**
 * `render` with its result kept per run (the secret registry's) and inputs; `refs` is the template's
 * root references, `cacheable` whether it qualifies (cacheableTemplate), both computed when first needed.
 */
export function cachedRender<V extends object>(
  render: (vars: V, secrets: SecretRegistry) => string,
  refs: () => readonly TemplateRef[],
  cacheable: () => boolean,
): (vars: V, secrets: SecretRegistry) => string {
  const runs = new WeakMap<SecretRegistry, RunCache<string>>();
  let qualifies: boolean | undefined;
  return (vars, secrets) => {
    qualifies ??= cacheable();
    if (!qualifies) return render(vars, secrets);
    return keptOrComputed(runs, secrets, vars, refs, () => render(vars, secrets));
  };
}

/**
 * What `compute` returns for these variables, computed once per run for the values at `refs` (an
 * error is never kept; one that read a secret marks the asker's taint scope again on a hit).
 */
export function keptOrComputed<T>(runs: WeakMap<SecretRegistry, RunCache<T>>, secrets: SecretRegistry, vars: object, refs: () => readonly TemplateRef[], compute: () => T): T {
  let cache = runs.get(secrets);
  if (cache && cache.hits === 0 && cache.misses >= GIVE_UP_AFTER) return compute();
  const key = keyOf(vars, refs());
  if (key === undefined) return compute();
  if (!cache) runs.set(secrets, (cache = { entries: new Map(), misses: 0, hits: 0 }));
  const hit = cache.entries.get(key);
  if (hit) {
    cache.hits++;
    if (hit.tainted) secrets.touch();
    return hit.value;
  }
  cache.misses++;
  const { value, tainted } = secrets.track(compute);
  if (cache.entries.size < MAX_ENTRIES) cache.entries.set(key, { value, tainted });
  return value;
}

/** The values at the refs' paths, encoded (see above); undefined when one is no key. */
export function keyOf(vars: object, refs: readonly TemplateRef[]): string | undefined {
  const parts: string[] = [];
  const budget = { nodes: MAX_KEY_NODES };
  // Index loops here and below: a for-of allocates an iterator result per step until V8 optimizes
  // the function, and a short run leaves these unoptimized (profiled: a key per render and task input).
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!;
    if (ref.parts[0] === 'hostvars') return undefined;
    const value = pathKey(vars, ref.parts, budget);
    if (value === undefined) return undefined;
    parts.push(value);
  }
  return parts.join('\u0000');
}

/**
 * What a render can read along one path: the value at its end; or, where the path leaves plain data
 * (a string's `length`, a null's anything), the value it left from; or that a mapping lacks the next name.
 */
function pathKey(vars: object, path: readonly string[], budget: { nodes: number }): string | undefined {
  let cur: unknown = vars;
  // An index loop: this runs for every ref of every render and task input on every host.
  for (let i = 0; i < path.length; i++) {
    const part = path[i]!;
    // A constant's identity decides everything read under it (the rest of the path is in the ref).
    if (typeof cur === 'object' && cur !== null && constants.has(cur)) return `${i}c${idOf(cur)}`;
    if (cur === null || typeof cur !== 'object' || !isData(cur)) {
      const left = encode(cur, budget);
      return left === undefined ? undefined : `${i}<${left}`;
    }
    if (!Object.hasOwn(cur, part)) return `${i}-`;
    cur = (cur as Record<string, unknown>)[part];
  }
  return encode(cur, budget);
}

const ids = new WeakMap<object, number>();
let nextId = 0;

function idOf(v: object): number {
  let id = ids.get(v);
  if (id === undefined) ids.set(v, (id = nextId++));
  return id;
}

function isData(v: object): boolean {
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A value as a key: type-tagged, key order kept (#each follows it); undefined: no key. */
function encode(v: unknown, budget: { nodes: number }): string | undefined {
  if (--budget.nodes < 0) return undefined;
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Object.is(v, -0) ? 'n-0' : `n${v}`;
    case 'boolean':
      return v ? 't' : 'f';
    case 'undefined':
      return 'u';
    case 'object':
      break;
    default:
      return undefined;
  }
  if (v === null) return 'z';
  if (v instanceof Secret) return `s${idOf(v)}`;
  if (constants.has(v)) return `c${idOf(v)}`;
  if (!isData(v)) return undefined;
  // Only enumerable string keys: the same names #each and a path can read (hostvars' entries hide theirs).
  const keys = Object.keys(v);
  if (Object.getOwnPropertySymbols(v).length || Object.getOwnPropertyNames(v).length !== keys.length + (Array.isArray(v) ? 1 : 0)) return undefined;
  const out: string[] = [];
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const e = encode(v[i], budget);
      if (e === undefined) return undefined;
      out.push(e);
    }
    return `[${out.join(',')}]`;
  }
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const e = encode((v as Record<string, unknown>)[k], budget);
    if (e === undefined) return undefined;
    out.push(`${JSON.stringify(k)}:${e}`);
  }
  return `{${out.join(',')}}`;
}
