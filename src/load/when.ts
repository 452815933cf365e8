// The declarative condition language of `when:` (no JavaScript is ever evaluated from plan files).
//
//   when: {facts.os_family: Debian}                 equals
//   when: {facts.distribution: [centos, rocky]}     one of
//   when: {relay.port: {gte: 1024, lt: 65536}}      tests: eq ne in not_in gt gte lt lte defined truthy matches
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
import { YamlSource, isMap, isScalar, isSeq, nodeKind, type Node } from './yaml.js';


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
    const hint = node && isScalar(node) && typeof node.value === 'string' ? ' (expressions are not evaluated)' : '';
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
    const bad = (expected: string) =>
      issues.add(at, `when: test '${e.key}' of '${varPath}' expects ${expected}, got ${nodeKind(e.value)}`);
    if (!Object.hasOwn(conditionTests.shape, e.key)) {
      issues.add(src.pos(e.keyNode), `when: unknown test '${e.key}' for '${varPath}' (expected one of ${TESTS.join(', ')})${didYouMean(e.key, TESTS)}`);
      continue;
    }
    const test = e.key as ConditionTest;
    if (!conditionTests.shape[test].safeParse(v).success) bad(TEST_EXPECTS[test] ?? 'a value');
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

function compare(varPath: string, test: string, a: unknown, b: unknown, pos?: SourcePos, secret = false): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof b === 'number' && typeof a === 'string' && a.trim() !== '' && !Number.isNaN(Number(a))) return Number(a) - b;
  // A secret's value never goes into a message, whatever test it failed.
  const shown = secret ? '[redacted]' : JSON.stringify(a);
  throw new InputError(`cannot compare '${varPath}' (${typeof a} ${shown}) with ${test} ${JSON.stringify(b)}`, { pos });
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
    if (!found) return tests.defined === false;
    if (tests.defined === false) return false;
  }
  if (!found) {
    const hint = COMBINATORS.includes(varPath) ? '' : ` (test it with {${varPath}: {defined: true}} if it may be missing)`;
    throw new InputError(`undefined variable '${varPath}'${hint}`, { pos });
  }
  if (!tests) return Array.isArray(expected) ? expected.some((e) => same(value, e)) : same(value, expected);
  for (const [test, arg] of Object.entries(tests)) {
    let ok: boolean;
    switch (test) {
      case 'defined': ok = true; break;
      case 'eq': ok = same(value, arg); break;
      case 'ne': ok = !same(value, arg); break;
      case 'in': ok = (arg as unknown[]).some((e) => same(value, e)); break;
      case 'not_in': ok = !(arg as unknown[]).some((e) => same(value, e)); break;
      case 'gt': ok = compare(varPath, test, value, arg, pos, secret) > 0; break;
      case 'gte': ok = compare(varPath, test, value, arg, pos, secret) >= 0; break;
      case 'lt': ok = compare(varPath, test, value, arg, pos, secret) < 0; break;
      case 'lte': ok = compare(varPath, test, value, arg, pos, secret) <= 0; break;
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
    else out.push({ path: key, pos: pos[key], guarded: isPlainObject(v) && 'defined' in v });
  }
  return out;
}
