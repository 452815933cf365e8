// Helpers over single values: fallbacks, conversions, choices, comparisons, sizes and type tests
// (Ansible's default, bool, int, ternary, length and the string/number/mapping/sequence/boolean tests).
import { isPlainObject, reveal } from '../../core/secret.js';
import { BOOLEAN_WORDS, asBoolean, asNumber } from './truth.js';
import { fail, kindOf, type HelperDef } from './helper.js';

/** Python's truthiness, which Ansible's `default(x, true)` and `ternary` use. */
export function pythonTruthy(v: unknown): boolean {
  v = reveal(v);
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

export const valueHelpers: HelperDef[] = [
  {
    name: 'default',
    args: 'value fallback [also_when_empty]',
    ansible: ['x | default(y)', 'x | default(y, true)'],
    does: 'The value, or the fallback when it is undefined or null. With a third argument `true`, also when it is empty or false ("", 0, false, an empty list or mapping), as `default(y, true)`.',
    example: '{{default relay_port 25}}',
    fn: ([value, fallback, alsoEmpty]) => {
      const missing = value === undefined || value === null || (alsoEmpty === true && !pythonTruthy(value));
      return missing ? (fallback === undefined ? '' : fallback) : value;
    },
  },
  {
    name: 'bool',
    args: 'value',
    ansible: ['x | bool'],
    does: `A boolean from a boolean, 1/0 or a string (${BOOLEAN_WORDS}, y/n, t/f; case-insensitive). Anything else is an error.`,
    example: '{{#if (bool tls_enabled)}}…{{/if}}',
    fn: ([value]) => {
      const b = asBoolean(reveal(value));
      return b ?? fail('bool', `cannot read ${kindOf(value)} ${JSON.stringify(reveal(value))} as a boolean (expected ${BOOLEAN_WORDS})`);
    },
  },
  {
    name: 'int',
    args: 'value',
    ansible: ['x | int'],
    does: 'A whole number from a number (truncated), a numeric string or a boolean (1/0). Anything else is an error (Jinja would give 0 silently).',
    example: '{{int relay_port}}',
    fn: ([value]) => {
      const v = reveal(value);
      if (typeof v === 'boolean') return v ? 1 : 0;
      const n = asNumber(v);
      return n === undefined || !Number.isFinite(n) ? fail('int', `cannot read ${kindOf(v)} ${JSON.stringify(v)} as a number`) : Math.trunc(n);
    },
  },
  {
    name: 'ternary',
    args: 'condition if_true if_false',
    ansible: ['cond | ternary(a, b)'],
    does: 'if_true when the condition is true (Python truthiness: not false, null, 0, "", empty), else if_false.',
    example: '{{ternary tls "smtps" "smtp"}}',
    fn: ([cond, yes, no]) => (pythonTruthy(cond) ? yes : no),
  },
  {
    name: 'eq',
    args: 'a b',
    ansible: ['a == b'],
    does: 'Whether a and b are equal (strictly: 25 is not "25").',
    example: '{{#if (eq facts.os_family "Debian")}}…{{/if}}',
    fn: ([a, b]) => reveal(a) === reveal(b),
  },
  {
    name: 'ne',
    args: 'a b',
    ansible: ['a != b'],
    does: 'Whether a and b differ.',
    example: '{{#if (ne mode "off")}}…{{/if}}',
    fn: ([a, b]) => reveal(a) !== reveal(b),
  },
  {
    name: 'length',
    args: 'value',
    ansible: ['x | length'],
    does: 'The number of characters of a string, items of a list or keys of a mapping.',
    example: '{{length relays}}',
    fn: ([value]) => {
      const v = reveal(value);
      if (typeof v === 'string' || Array.isArray(v)) return v.length;
      if (isPlainObject(v)) return Object.keys(v).length;
      return fail('length', `value must be a string, list or mapping, got ${kindOf(v)}`);
    },
  },
  ...typeTests(),
];

/** `is_string` ... `is_boolean`: Ansible's type tests, as helpers returning a boolean for `{{#if}}`. */
function typeTests(): HelperDef[] {
  const test = (name: string, ansible: string, what: string, pred: (v: unknown) => boolean): HelperDef => ({
    name,
    args: 'value',
    ansible: [ansible],
    does: `Whether the value is ${what}. An undefined value is none.`,
    example: `{{#if (${name} x)}}…{{/if}}`,
    fn: ([value]) => pred(reveal(value)),
  });
  return [
    test('is_string', 'x is string', 'a string', (v) => typeof v === 'string'),
    test('is_number', 'x is number', 'a number (not a numeric string, not a boolean)', (v) => typeof v === 'number'),
    test('is_boolean', 'x is boolean', 'true or false', (v) => typeof v === 'boolean'),
    test('is_mapping', 'x is mapping', 'a mapping', (v) => isPlainObject(v)),
    test('is_sequence', 'x is sequence', 'a list (unlike Jinja, a string or mapping is not a sequence here)', (v) => Array.isArray(v)),
  ];
}
