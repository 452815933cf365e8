// Ansible's string `when:` expressions, as the declarative condition to write instead. fleetplan never
// evaluates an expression: this only builds the hint of the "expected a mapping" error, for the forms
// Ansible roles use most (tests, comparisons, and/or/not); any other expression gets the general form.
import { splitTop } from '../jinja-hint.js';

/** Ansible's fact variables → fleetplan's facts (docs/plans.md#facts). */
const FACTS: Record<string, string> = {
  os_family: 'facts.os_family',
  distribution: 'facts.distribution',
  distribution_version: 'facts.distribution_version',
  distribution_major_version: 'facts.distribution_major',
  service_mgr: 'facts.init',
  pkg_mgr: 'facts.pkg_mgr',
  hostname: 'facts.hostname',
  system: 'facts.system',
  kernel: 'facts.kernel',
  architecture: 'facts.arch',
  user_id: 'facts.user',
};

/** A variable as a condition path: `ansible_os_family` / `ansible_facts['os_family']` → facts.os_family. */
function varPath(expr: string): string | undefined {
  // `x | int >= 12`: fleetplan compares numbers and numeric strings as numbers anyway.
  const e = expr.trim().replace(/\s*\|\s*(?:int|float|string)$/, '').replace(/\[\s*['"]([\w-]+)['"]\s*\]/g, '.$1').replace(/\[\s*(\d+)\s*\]/g, '.$1');
  if (!/^[A-Za-z_][\w-]*(\.[\w-]+)*$/.test(e)) return undefined;
  const fact = /^(?:ansible_facts\.|ansible_)(\w+)$/.exec(e);
  return fact ? FACTS[fact[1]!] ?? `facts.${fact[1]}` : e;
}

/** A literal as YAML flow: plain where it stays a string, quoted otherwise. */
function literal(expr: string): string | undefined {
  const e = expr.trim();
  const q = /^'(.*)'$/.exec(e) ?? /^"(.*)"$/.exec(e);
  if (q) return /^[A-Za-z_][\w.-]*$/.test(q[1]!) && !/^(true|false|yes|no|null|on|off)$/i.test(q[1]!) ? q[1] : JSON.stringify(q[1]);
  if (/^-?\d+(\.\d+)?$/.test(e)) return e;
  if (/^(true|false|True|False)$/.test(e)) return e.toLowerCase();
  const list = /^\[(.*)\]$/.exec(e);
  if (list) {
    const items = list[1]!.trim() === '' ? [] : splitTop(list[1]!, /\s*,\s*/).map(literal);
    return items.every((i) => i !== undefined) ? `[${items.join(', ')}]` : undefined;
  }
  return undefined;
}

const TESTS: Record<string, string> = { '==': '', '!=': 'ne', '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte', in: '', 'not in': 'not_in' };
const RESULT_TESTS: Record<string, string> = { succeeded: 'failed: false', success: 'failed: false', failed: 'failed: true', failure: 'failed: true', changed: 'changed: true', change: 'changed: true', skipped: 'skipped: true', skip: 'skipped: true' };

/** One comparison or test as a condition, or undefined. */
function atom(expr: string): string | undefined {
  const e = expr.trim().replace(/^\((.*)\)$/s, '$1').trim();
  const not = /^not\s+(.+)$/s.exec(e);
  if (not) {
    const inner = condition(not[1]!);
    return inner && `{not: ${inner}}`;
  }
  let m = /^(.+?)\s+is\s+(not\s+)?(defined|undefined)$/.exec(e);
  if (m) {
    const p = varPath(m[1]!);
    const defined = (m[3] === 'defined') !== Boolean(m[2]);
    return p && `{${p}: {defined: ${defined}}}`;
  }
  m = /^(.+?)\s+is\s+(not\s+)?(\w+)$/.exec(e);
  if (m && RESULT_TESTS[m[3]!]) {
    const p = varPath(m[1]!);
    const [field, value] = RESULT_TESTS[m[3]!]!.split(': ');
    return p && `{${p}.${field}: ${m[2] ? String(value !== 'true') : value}}`;
  }
  m = /^(.+?)\s+is\s+(?:match|search|regex)\(\s*(['"].*['"])\s*\)$/.exec(e);
  if (m) return varPath(m[1]!) && `{${varPath(m[1]!)}: {matches: ${JSON.stringify(m[2]!.slice(1, -1))}}}`;
  m = /^(.+?)\s*(==|!=|>=|<=|>|<|\bnot in\b|\bin\b)\s*(.+)$/.exec(e);
  if (m) {
    const p = varPath(m[1]!);
    const test = TESTS[m[2]!]!;
    const quotedNumber = /^(['"])(-?\d+)\1$/.exec(m[3]!.trim());
    const v = test.startsWith('g') || test.startsWith('l') ? quotedNumber?.[2] ?? literal(m[3]!) : literal(m[3]!);
    return p && v !== undefined ? `{${p}: ${test ? `{${test}: ${v}}` : v}}` : undefined;
  }
  m = /^(.+?)\s*\|\s*bool$/.exec(e);
  if (m) return varPath(m[1]!) && `{${varPath(m[1]!)}: true}`;
  const p = varPath(e);
  return p && `{${p}: {truthy: true}}`;
}

/** An expression with and/or as a condition, or undefined. */
function condition(expr: string): string | undefined {
  const e = expr.trim().replace(/^\{\{(.*)\}\}$/s, '$1').trim();
  for (const [word, comb] of [['or', 'any'], ['and', 'all']] as const) {
    const parts = splitTop(e, new RegExp(`\\s+${word}\\s+`));
    if (parts.length > 1) {
      const conds = parts.map(condition);
      return conds.every((c) => c !== undefined) ? `{${comb}: [${conds.join(', ')}]}` : undefined;
    }
  }
  return atom(e);
}

/** The hint for a string `when:`: the declarative condition it means, or the general form. */
export function whenHint(expr: string): string {
  const c = condition(expr);
  return c ? `expressions are not evaluated: write when: ${c}` : 'expressions are not evaluated: write a mapping of variable paths to values or tests (docs/plans.md#conditions-when)';
}
