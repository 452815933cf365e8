// The declarative condition language of `when:` (no JavaScript is ever evaluated from plan files).
//
//   when: {facts.os_family: Debian}                 equals
//   when: {facts.distribution: [centos, rocky]}     one of
//   when: {relay.port: {gte: 1024, lt: 65536}}      tests: eq ne in not_in gt gte lt lte defined truthy matches
//   when: {relay.port: {ne: {var: default_port}}}   {var: path}: another variable's value as the expected value
//   when: {any: [{a: 1}, {not: {b: 2}}]}            all / any / not combine conditions
//   when: [{a: 1}, {b: 2}]                          a list means all
//
// Every key of a mapping must hold. The shape is checked at load time with positions; evaluation at
// run time throws when a variable is undefined, unless the test is `defined:`.
// The grammar (test names, their value types, variable paths) is declared in keywords/condition.ts.
import { InputError, type SourcePos } from '../core/errors.js';
import type { Condition, Vars } from './model.js';
import { Issues, didYouMean } from './issues.js';
import { COMBINATORS, TESTS, VARIABLE_PATH, conditionTests, type ConditionTest } from './keywords/condition.js';
import { isPlainObject, reveal, type SecretRegistry } from '../core/secret.js';
import { Deferred, isUnknown, PENDING } from '../core/unknown.js';
import { YamlSource, isMap, isScalar, isSeq, nodeKind, type Node } from './yaml.js';
import { whenHint } from './ansible-isms/when-hint.js';


/** How each test's value is described when it has the wrong type (undefined: any value will do). */
const TEST_EXPECTS: Record<ConditionTest, string | undefined> = {
  eq: undefined, ne: undefined,
  in: 'a list', not_in: 'a list',
  gt: 'a number or a string', gte: 'a number or a string', lt: 'a number or a string', lte: 'a number or a string',
  defined: 'true or false', truthy: 'true or false',
  matches: 'a regular expression string',
};

/** Positions of each key of a parsed condition, for runtime errors ("undefined variable ..."). */
const positions = new WeakMap<object, Record<string, SourcePos>>();

const EXAMPLE = 'e.g. {facts.os_family: Debian}';

/** Check and convert a `when:` node; problems go to `issues`, returning undefined. */
export function parseCondition(src: YamlSource, node: Node | null, issues: Issues): Condition | undefined {
  const before = issues.list.length;
  const cond = parse(src, node, issues);
  return issues.list.length === before ? cond : undefined;
}

function parse(src: YamlSource, node: Node | null, issues: Issues): Condition | undefined {
  node = src.deref(node);
  if (node && isSeq(node)) {
    const all = node.items.map((i) => parse(src, i as Node, issues)).filter((c): c is Condition => c !== undefined);
    return remember({ all }, { all: src.pos(node) });
  }
  if (!node || !isMap(node)) {
    const hint = node && isScalar(node) && typeof node.value === 'string' ? ` (${whenHint(node.value)})` : '';
    issues.add(src.pos(node), `when: expected a mapping of variable paths to values, ${EXAMPLE}; got ${nodeKind(node)}${hint}`);
    return undefined;
  }
  const out: Record<string, unknown> = {};
  const pos: Record<string, SourcePos> = {};
  const entries = src.entries(node);
  if (entries.length === 0) issues.add(src.pos(node), `when: empty condition, ${EXAMPLE}`);
  for (const e of entries) {
    pos[e.key] = src.pos(e.keyNode);
    const value = src.deref(e.value);
    if (e.key === 'all' || e.key === 'any') {
      if (!value || !isSeq(value)) {
        issues.add(src.pos(value, e.keyNode), `when: '${e.key}' expects a list of conditions, got ${nodeKind(value)}`);
        continue;
      }
      out[e.key] = value.items.map((i) => parse(src, i as Node, issues));
    } else if (e.key === 'not') {
      out.not = parse(src, value, issues);
    } else {
      if (!VARIABLE_PATH.test(e.key)) {
        issues.add(pos[e.key], `when: '${e.key}' is not a variable path (expected names joined by dots, like facts.os_family)`);
        continue;
      }
      out[e.key] = parseExpectation(src, value, e.key, e.keyNode, issues);
    }
  }
  return remember(out as Condition, pos);
}

function parseExpectation(src: YamlSource, node: Node | null, varPath: string, keyNode: Node, issues: Issues): unknown {
  const value = src.value(node);
  if (!node || !isMap(node)) return value;
  const entries = src.entries(node);
  if (entries.length === 0) issues.add(src.pos(node), `when: empty test for '${varPath}' (expected one of ${TESTS.join(', ')})`);
  const tests = value as Record<string, unknown>;
  for (const e of entries) {
    const v = tests[e.key];
    const at = src.pos(e.value, e.keyNode);
    const orVar = ['in', 'not_in', 'gt', 'gte', 'lt', 'lte'].includes(e.key) ? ' (or {var: path}: another variable\'s value)' : '';
    const bad = (expected: string) =>
      issues.add(at, `when: test '${e.key}' of '${varPath}' expects ${expected}, got ${nodeKind(e.value)}${orVar}`);
    if (!Object.hasOwn(conditionTests.shape, e.key)) {
      const hint = e.key === 'var' ? ` (to compare with another variable: {${varPath}: {eq: {var: ${String(v)}}}})` : didYouMean(e.key, TESTS);
      issues.add(src.pos(e.keyNode), `when: unknown test '${e.key}' for '${varPath}' (expected one of ${TESTS.join(', ')})${hint}`);
      continue;
    }
    const test = e.key as ConditionTest;
    const ref = isPlainObject(v) && 'var' in v ? v.var : undefined;
    if (ref !== undefined && test !== 'defined' && test !== 'truthy' && test !== 'matches') {
      if (typeof ref !== 'string' || !VARIABLE_PATH.test(ref) || Object.keys(v as object).length !== 1) {
        issues.add(at, `when: test '${e.key}' of '${varPath}': {var: ...} expects one variable path (names joined by dots, like relay.port)`);
      }
    } else if (!conditionTests.shape[test].safeParse(v).success) bad(TEST_EXPECTS[test] ?? 'a value');
    else if (test === 'matches') {
      try {
        new RegExp(v as string);
      } catch (err) {
        issues.add(at, `when: invalid regular expression for '${varPath}': ${(err as Error).message}`);
      }
    }
  }
  return value;
}

function remember<T extends object>(cond: T, pos: Record<string, SourcePos>): T {
  positions.set(cond, pos);
  return cond;
}

/** Look up a dotted path (list elements by index: `ports.0`). */
export function lookupPath(vars: Vars, varPath: string): { found: boolean; value: unknown } {
  let cur: unknown = vars;
  for (const part of varPath.split('.')) {
    cur = reveal(cur);
    // Below a value a dry run cannot know, everything is unknown (core/unknown.ts).
    if (isUnknown(cur)) return { found: true, value: cur };
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return { found: false, value: undefined };
    cur = (cur as Record<string, unknown>)[part];
  }
  return { found: cur !== undefined, value: reveal(cur) };
}

/** Equality as operators expect from YAML: 12 equals "12", otherwise strict. */
function same(a: unknown, b: unknown): boolean {
  a = reveal(a);
  b = reveal(b);
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'string') return b.trim() !== '' && Number(b) === a;
  if (typeof b === 'number' && typeof a === 'string') return a.trim() !== '' && Number(a) === b;
  return false;
}

function truthy(v: unknown): boolean {
  v = reveal(v);
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}

function compare(varPath: string, test: string, a: unknown, b: Expected, pos?: SourcePos, secret = false): number {
  const v = b.value;
  if (typeof a === 'number' && typeof v === 'number') return a - v;
  if (typeof a === 'string' && typeof v === 'string') return a < v ? -1 : a > v ? 1 : 0;
  if (typeof v === 'number' && typeof a === 'string' && a.trim() !== '' && !Number.isNaN(Number(a))) return Number(a) - v;
  if (typeof a === 'number' && typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return a - Number(v);
  // A secret's value never goes into a message, whatever test it failed.
  const shown = secret ? '[redacted]' : JSON.stringify(a);
  throw new InputError(`cannot compare '${varPath}' (${typeof a} ${shown}) with ${test} ${b.shown}`, { pos });
}

/** A test's expected value: as written, or (`{var: path}`) another variable's; `shown` is what a message may print. */
interface Expected {
  value: unknown;
  shown: string;
}

/** The path of `{var: path}`, or undefined for any other value. */
export function varRefOf(arg: unknown): string | undefined {
  return isPlainObject(arg) && typeof arg.var === 'string' && Object.keys(arg).length === 1 ? arg.var : undefined;
}

function expectedValue(varPath: string, test: string, arg: unknown, vars: Vars, secrets: SecretRegistry, pos?: SourcePos): Expected {
  const ref = varRefOf(arg);
  if (ref === undefined) return { value: arg, shown: JSON.stringify(arg) };
  const { value: { found, value }, tainted } = secrets.track(() => lookupPath(vars, ref));
  if (!found) throw new InputError(`undefined variable '${ref}' (the ${test} of '${varPath}'; test it with {${ref}: {defined: true}} if it may be missing)`, { pos });
  return { value, shown: `'${ref}' (${tainted ? '[redacted]' : JSON.stringify(value)})` };
}

/**
 * Evaluate a condition against a host's vars (facts under `facts.`). Throws on undefined variables.
 * `secrets`: the run's registry, which tells whether a compared value is a secret (kept out of messages).
 */
export function evaluateWhen(cond: Condition, vars: Vars, secrets: SecretRegistry): boolean {
  const pos = positions.get(cond) ?? {};
  for (const [key, expected] of Object.entries(cond)) {
    if (key === 'all') {
      if (!(expected as Condition[]).every((c) => evaluateWhen(c, vars, secrets))) return false;
    } else if (key === 'any') {
      if (!(expected as Condition[]).some((c) => evaluateWhen(c, vars, secrets))) return false;
    } else if (key === 'not') {
      if (evaluateWhen(expected as Condition, vars, secrets)) return false;
    } else if (!check(key, expected, vars, secrets, pos[key])) {
      return false;
    }
  }
  return true;
}

function check(varPath: string, expected: unknown, vars: Vars, secrets: SecretRegistry, pos?: SourcePos): boolean {
  const { value: { found, value }, tainted: secret } = secrets.track(() => lookupPath(vars, varPath));
  const tests = isPlainObject(expected) ? expected : undefined;
  if (tests && 'defined' in tests) {
    // A name the play sets later (set_fact, register) is neither defined nor undefined before that task
    // ran: decided when the task is prepared again, just before it runs (engine/host-results.ts).
    if (isUnknown(value) && value.dependsOn === PENDING) throw new Deferred(PENDING);
    if (!found) return tests.defined === false;
    if (tests.defined === false) return false;
  }
  if (!found) {
    const hint = COMBINATORS.includes(varPath) ? '' : ` (test it with {${varPath}: {defined: true}} if it may be missing)`;
    throw new InputError(`undefined variable '${varPath}'${hint}`, { pos });
  }
  // Only `defined:` can be answered about a value a dry run cannot know (it will exist).
  if (isUnknown(value) && !(tests && Object.keys(tests).every((t) => t === 'defined'))) throw new Deferred(value.dependsOn);
  if (!tests) return Array.isArray(expected) ? expected.some((e) => same(value, e)) : same(value, expected);
  for (const [test, raw] of Object.entries(tests)) {
    let ok: boolean;
    const exp = test === 'defined' || test === 'truthy' || test === 'matches' ? { value: raw, shown: '' } : expectedValue(varPath, test, raw, vars, secrets, pos);
    const arg = exp.value;
    if ((test === 'in' || test === 'not_in') && !Array.isArray(arg)) {
      throw new InputError(`'${varPath}': ${test} expects a list, and ${exp.shown} is not one`, { pos });
    }
    switch (test) {
      case 'defined': ok = true; break;
      case 'eq': ok = same(value, arg); break;
      case 'ne': ok = !same(value, arg); break;
      case 'in': ok = (arg as unknown[]).some((e) => same(value, e)); break;
      case 'not_in': ok = !(arg as unknown[]).some((e) => same(value, e)); break;
      case 'gt': ok = compare(varPath, test, value, exp, pos, secret) > 0; break;
      case 'gte': ok = compare(varPath, test, value, exp, pos, secret) >= 0; break;
      case 'lt': ok = compare(varPath, test, value, exp, pos, secret) < 0; break;
      case 'lte': ok = compare(varPath, test, value, exp, pos, secret) <= 0; break;
      case 'truthy': ok = truthy(value) === arg; break;
      case 'matches': ok = new RegExp(arg as string).test(String(value)); break;
      default: throw new InputError(`unknown test '${test}'`, { pos });
    }
    if (!ok) return false;
  }
  return true;
}

/**
 * Each variable path a condition reads, where it was written, and whether a `defined:` test guards it
 * (validation reports the unguarded undefined ones before any host is contacted).
 */
export function conditionRefs(cond: Condition): { path: string; pos?: SourcePos; guarded: boolean }[] {
  const out: { path: string; pos?: SourcePos; guarded: boolean }[] = [];
  const pos = positions.get(cond) ?? {};
  for (const [key, v] of Object.entries(cond)) {
    if (key === 'all' || key === 'any') for (const c of v as Condition[]) out.push(...conditionRefs(c));
    else if (key === 'not') out.push(...conditionRefs(v as Condition));
    else {
      out.push({ path: key, pos: pos[key], guarded: isPlainObject(v) && 'defined' in v });
      // {a: {eq: {var: b}}} reads b too.
      if (isPlainObject(v)) for (const arg of Object.values(v)) {
        const ref = varRefOf(arg);
        if (ref !== undefined) out.push({ path: ref, pos: pos[key], guarded: false });
      }
    }
  }
  return out;
}

/**
 * The variable paths certainly defined wherever all of `conds` hold (a task's `when:` with those of
 * the blocks, role entry and play around it): a path tested with anything but `defined: false` — any
 * other test of a missing variable is an error, so a condition that held proves it defined — inside
 * `all:` too, in every branch of an `any:`, or under `not: {x: {defined: false}}`. Validation lets a
 * task guarded so use those variables (and what is under them).
 */
export function guardedPaths(conds: readonly (Condition | undefined)[]): Set<string> {
  const out = new Set<string>();
  for (const c of conds) if (c) for (const p of guarantees(c)) out.add(p);
  return out;
}

function guarantees(cond: Condition): string[] {
  const out: string[] = [];
  for (const [key, v] of Object.entries(cond)) {
    if (key === 'all') for (const c of v as Condition[]) out.push(...guarantees(c));
    else if (key === 'any') {
      const branches = (v as Condition[]).map((c) => new Set(guarantees(c)));
      if (branches.length > 0) out.push(...[...branches[0]!].filter((p) => branches.every((b) => b.has(p))));
    } else if (key === 'not') {
      const inner = Object.entries(v as Condition);
      const [path, tests] = inner[0] ?? [];
      if (inner.length === 1 && path && !COMBINATORS.includes(path) && isPlainObject(tests) && tests.defined === false && Object.keys(tests).length === 1) out.push(path);
    } else if (!(isPlainObject(v) && v.defined === false)) out.push(key);
  }
  return out;
}

/** Is the variable path `p` (or what it lies under, or in) one of `guarded`? `x` guards `x.y`; `x.y` guards `x` too. */
export function isGuarded(p: string, guarded: ReadonlySet<string>): boolean {
  if (guarded.size === 0) return false;
  for (const g of guarded) if (p === g || p.startsWith(`${g}.`) || g.startsWith(`${p}.`)) return true;
  return false;
}
