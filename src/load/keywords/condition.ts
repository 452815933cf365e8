// The grammar of `when:` conditions, declared once. The loader (src/load/when.ts) takes the test names,
// their value types and the variable-path syntax from here; the editor JSON Schemas and the plan
// language reference are generated from it (src/schema).
import { z } from 'zod';

/** A variable path: names joined by dots, list elements by index (`facts.os_family`, `ports.0`). */
export const VARIABLE_PATH = /^[A-Za-z_][\w-]*(\.[\w-]+)*$/;

/** Another variable as the expected value: `{a: {eq: {var: b}}}` compares a with b's value. */
export const varRef = z
  .object({ var: z.string().regex(VARIABLE_PATH).describe('The variable path whose value is the expected value') })
  .strict()
  .describe('The value of another variable, {var: path}; undefined is an error unless a defined test guards it');

const orderable = z.union([z.number(), z.string(), varRef]);
const list = z.union([z.array(z.unknown()), varRef]);

/** The tests of `{<path>: {<test>: <value>, ...}}`; every test given must hold. */
export const conditionTests = z
  .object({
    eq: z.unknown().describe('Equal to this value (YAML numbers and numeric strings compare equal: 12 equals "12"); {var: path}: to that variable\'s value'),
    ne: z.unknown().describe('Not equal to this value (or {var: path})'),
    in: list.describe('Equal to one of these values (or of the list in {var: path})'),
    not_in: list.describe('Equal to none of these values (or of the list in {var: path})'),
    gt: orderable.describe('Greater than (numbers numerically, strings alphabetically); {var: path} compares with that variable'),
    gte: orderable.describe('Greater than or equal to'),
    lt: orderable.describe('Less than'),
    lte: orderable.describe('Less than or equal to'),
    defined: z.boolean().describe('true: the variable exists; false: it does not. The only test a missing variable may meet without an error'),
    truthy: z.boolean().describe('true: the value is truthy (not false, 0, an empty string, list or mapping, or null); false: it is falsy'),
    matches: z.string().describe('A regular expression (JavaScript syntax) the value, as a string, matches'),
  })
  .partial()
  .strict()
  .meta({ minProperties: 1, description: 'Tests the variable must pass, all of them' });

export type ConditionTest = keyof typeof conditionTests.shape;
export const TESTS = Object.keys(conditionTests.shape) as ConditionTest[];

/** What a variable path maps to: a test mapping, a list (one of), or a value (equal to). */
const expectation = z
  .union([
    conditionTests,
    z.array(z.unknown()).describe('The variable equals one of these values'),
    z.union([z.string(), z.number(), z.boolean(), z.null()]).describe('The variable equals this value'),
  ])
  .describe('A variable path (facts.os_family, relay.port) and what its value must be');

/** One condition: a mapping whose every entry must hold. Combinators nest conditions. */
export const condition = z
  .object({
    get all() {
      return z.array(condition).describe('Every condition of the list holds');
    },
    get any() {
      return z.array(condition).describe('At least one condition of the list holds');
    },
    get not() {
      return condition.optional().describe('The condition does not hold');
    },
  })
  .partial()
  .catchall(expectation)
  .meta({
    id: 'condition',
    description: 'A declarative condition: variable paths mapped to expected values, every one of which must hold; all/any/not combine conditions',
    propertyNames: { pattern: VARIABLE_PATH.source },
    minProperties: 1,
  });

export const COMBINATORS = Object.keys(condition.shape);

/** `when:` of a play, task or role entry: a condition, or a list of conditions that must all hold. */
export const when = z
  .union([condition, z.array(condition)])
  .describe('Run only where this declarative condition holds, e.g. {facts.os_family: Debian} (a list: all of them). No expression is ever evaluated');
