// The keywords of a task and of a handler, declared once (keyword.ts): the loader (src/load/task.ts)
// reads a task's keys with these tables, the editor JSON Schemas and the plan language reference are
// generated from them (src/schema), which add the operation keys (src/ops/registry.ts).
import { z } from 'zod';
import type { SourcePos } from '../../core/errors.js';
import { didYouMean, orList, type Issues } from '../issues.js';
import type { ChangedWhen, OutputRules, TaskDef } from '../model.js';
import { parseCondition } from '../when.js';
import { isMap, isScalar, isSeq, nodeKind, type Node, type YamlSource } from '../yaml.js';
import { condition, when } from './condition.js';
import { keywordObject, keywordsFor, readKeywords, type KeywordInput, type KeywordTable } from './keyword.js';
import { templateString } from '../../core/templated.js';

/** A handler or tag name; YAML numbers count as names too. */
export const nameItem = z.union([z.string(), z.number()]);
/** One name or a list of names; nothing (`notify:`) means none. */
export const nameList = z.union([nameItem, z.array(nameItem)]);

/** A name a loop item is bound to, usable in templates as `{{<name>}}`. */
export const LOOP_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A string or a list of strings (notify, tags, listen) as written, with the position of each name. */
export function readNames(src: YamlSource, node: Node | null, what: string, issues: Issues): { names: string[]; pos: SourcePos[] } {
  const out = { names: [] as string[], pos: [] as SourcePos[] };
  if (!node || src.value(node) === null) return out;
  const items = isSeq(node) ? (node.items as Node[]) : [node];
  for (const n of items) {
    const v = src.value(n);
    if (isScalar(n) && nameItem.safeParse(v).success) {
      out.names.push(String(v));
      out.pos.push(src.pos(n));
    } else {
      issues.add(src.pos(n, node), `${what}: expected a name or a list of names, got ${nodeKind(n)}`);
    }
  }
  return out;
}

/** The keys of a mapping-valued keyword (loop_control, changed_when): unknown ones and bad values named after it. */
function readSubKeywords<M>(parent: string, table: KeywordTable<M, undefined>, model: M, at: KeywordInput, unknown: (key: string) => string): void {
  const { src, issues, node } = at;
  const entries = src.entries(node);
  for (const e of entries) if (!Object.hasOwn(table, e.key)) issues.add(src.pos(e.keyNode), `${parent}: ${unknown(e.key)}`);
  readKeywords(table, model, src, node!, entries, issues, undefined, {
    what: parent,
    badValue: (key, expects, got) => `${parent}: ${key} expects ${expects}, got ${got}`,
  });
}

const loopControlKw = keywordsFor<TaskDef>();
const LOOP_CONTROL = {
  loop_var: loopControlKw.plain(
    z.string().regex(LOOP_VAR).describe('Name of the loop variable instead of `item` (for nested loops or clarity)'),
    'a variable name',
    (def, v) => { def.loopVar = v; },
  ),
  label: loopControlKw.plain(
    z.string().describe('Template naming each item in reports instead of the item itself, e.g. "{{item.name}}"'),
    'a string',
    (def, v) => { def.loopLabel = v; },
  ),
};
const LOOP_CONTROL_KEYS = Object.keys(LOOP_CONTROL);
export const loopControl = keywordObject(LOOP_CONTROL).describe('How a loop names its items (needs loop:)');

type ChangedWhenRules = OutputRules;
const rulesKw = keywordsFor<ChangedWhenRules>();
const CHANGED_WHEN_RULES = {
  rc: rulesKw.plain(
    z.union([z.int(), z.array(z.int()).min(1)]).describe('Exit code(s) that mean "changed"; any other exit code fails the task'),
    'an exit code or a list of exit codes',
    (rules, v) => { rules.rc = v; },
  ),
  stdout_contains: rulesKw.plain(
    z.string().describe('Changed only when the output contains this string'),
    'a string',
    (rules, v) => { rules.stdout_contains = v; },
  ),
  stdout_not_contains: rulesKw.plain(
    z.string().describe('Changed only when the output does not contain this string'),
    'a string',
    (rules, v) => { rules.stdout_not_contains = v; },
  ),
};
const CHANGED_WHEN_KEYS = Object.keys(CHANGED_WHEN_RULES);
export const changedWhenRules = keywordObject(CHANGED_WHEN_RULES);
/** The condition form of changed_when/failed_when: a list, or a mapping of dotted paths (`out.rc`) or all/any/not. */
const resultCondition = z.union([
  z.array(condition),
  z
    .record(z.string().regex(/^(all|any|not|[A-Za-z_][\w-]*(\.[\w-]+)+)$/), z.unknown())
    .describe('A condition over the registered result: dotted variable paths (out.rc, out.stdout) and their expected values, or all/any/not'),
]);
const resultRule = z.union([z.boolean(), changedWhenRules, resultCondition]);

/**
 * changed_when / failed_when: a boolean; rules (a mapping of rc, stdout_contains, stdout_not_contains);
 * or a declarative condition — a list, or a mapping naming a variable path with a dot (`out.rc`) or
 * all/any/not. A mapping of plain names stays the rules form, so a misspelled rule is still reported.
 */
function readResultRule(key: string, at: KeywordInput): ChangedWhen | undefined {
  const v = at.src.value(at.node);
  if (typeof v === 'boolean') return v;
  const isCondition = (at.node && isSeq(at.node)) || (isMap(at.node) && at.src.entries(at.node).some((e) => e.key.includes('.') || ['all', 'any', 'not'].includes(e.key)));
  if (isCondition) {
    const condition = parseCondition(at.src, at.node, at.issues);
    return condition && { condition };
  }
  if (!isMap(at.node)) {
    at.issues.add(at.pos, `${key}: expected true, false, a mapping with ${CHANGED_WHEN_KEYS.join(', ')} or a condition such as {out.rc: 0}; got ${nodeKind(at.node)}`);
    return undefined;
  }
  const rules: ChangedWhenRules = {};
  readSubKeywords(key, CHANGED_WHEN_RULES, rules, at, (k) =>
    `unknown key '${k}' (expected ${orList(CHANGED_WHEN_KEYS)})${didYouMean(k, CHANGED_WHEN_KEYS)}; or a condition over a variable path, such as {out.rc: 0}`);
  return rules;
}

/** Names the engine defines itself: a registered result must not hide them. */
const RESERVED_RESULT_NAMES = ['facts', 'item', 'inventory_hostname', 'group_names', 'hostvars', 'groups'];

const kw = keywordsFor<TaskDef>();
const TASK_KEYWORDS = {
  name: kw.plain(
    z.string().trim().min(1).describe('What the task ensures, shown in reports (default: the operation and its main argument)'),
    'a non-empty string',
    (def, v) => { def.name = v; },
  ),
  when: kw.structured(when, (def, { src, node, issues }) => { def.when = parseCondition(src, node, issues); }),
  loop: kw.plain(
    z
      .union([z.array(z.unknown()), templateString])
      .describe('Run the task once per item of this list (or of the list a template such as "{{domains}}" renders to); the item is {{item}}'),
    'a list or a variable holding one ("{{domains}}")',
    (def, v, at) => {
      def.loop = v;
      // A templated loop is checked like an argument: its errors point at the value.
      if (typeof v === 'string') def.argPos.loop = at.pos;
    },
  ),
  loop_control: kw.structured(loopControl, (def, at) => {
    if (!isMap(at.node)) {
      at.issues.add(at.pos, `loop_control: expected a mapping with loop_var and/or label, got ${nodeKind(at.node)}`);
      return;
    }
    readSubKeywords('loop_control', LOOP_CONTROL, def, at, (key) => `unknown key '${key}' (expected ${LOOP_CONTROL_KEYS.join(', ')})${didYouMean(key, LOOP_CONTROL_KEYS)}`);
  }, { needs: 'loop' }),
  notify: kw.structured(
    nameList.nullable().describe('Handler name(s) (or listen: names) to run at the end of the play when this task changed something'),
    (def, { src, node, issues }) => {
      const named = readNames(src, node, 'notify', issues);
      def.notify = named.names;
      def.notifyPos = named.pos;
    },
  ),
  tags: kw.structured(nameList.nullable().describe('Tag(s) that --tags / --skip-tags select this task by'), (def, { src, node, issues }) => {
    def.tags = readNames(src, node, 'tags', issues).names;
  }),
  become: kw.plain(
    z.boolean().describe("Run this task's commands with sudo (true) or without (false), overriding the play and the host"),
    'true or false',
    (def, v) => { def.become = v; },
  ),
  changed_when: kw.structured(
    resultRule.describe(
      'When the task counts as a change: false (never, e.g. a read-only check), true (always), rules on its exit code and output, ' +
        'or a condition over its registered result (`register: out` + `changed_when: {out.rc: 2}`; a list: all of them). ' +
        "Dry run: a task that does not run in check mode has no output, so a change decided by its output is reported as depending on it",
    ),
    (def, at) => { def.changedWhen = readResultRule('changed_when', at); },
  ),
  failed_when: kw.structured(
    resultRule.describe(
      'When the task counts as failed, instead of its exit status: true, false (never fails), rules on its exit code and output ' +
        '(they say when it FAILS), or a condition over its registered result (`register: out` + `failed_when: {out.rc: {gt: 1}}`; a list: all of them). ' +
        'Evaluated before ignore_errors. Dry run: evaluated when its inputs are known; one over the output of a task that does not run in check mode is reported as deferred',
    ),
    (def, at) => { def.failedWhen = readResultRule('failed_when', at); },
  ),
  no_log: kw.plain(z.boolean().describe("Hide this task's diff, commands, output and loop labels in every report"), 'true or false', (def, v) => {
    def.noLog = v;
  }),
  secret: kw.plain(
    z.boolean().describe('The task handles a secret: the same as no_log: true (fleetplan\'s name for it)'),
    'true or false',
    (def, v) => { def.noLog = v || def.noLog; },
  ),
  ignore_errors: kw.plain(z.boolean().describe('A failure of this task is reported but does not stop the host'), 'true or false', (def, v) => {
    def.ignoreErrors = v;
  }),
  register: kw.plain(
    z
      .string()
      .regex(LOOP_VAR)
      .refine((n) => !RESERVED_RESULT_NAMES.includes(n))
      .describe(
        "Store the task's result in this host variable for later tasks, plays, conditions and templates: {changed, failed, skipped, rc, stdout, stderr, " +
          'stdout_lines, stderr_lines, msg} plus the operation\'s fields (a file\'s path and state, a package\'s version); with a loop, `<name>.results` ' +
          "lists each item's. Dry run: what a task that does not run in check mode would output is unknown — a task whose when:, arguments or " +
          "template use it is reported as deferred, depending on that task; what is known (changed as predicted, a file's state) stays usable",
      ),
    `a variable name (letters, digits, _) other than ${RESERVED_RESULT_NAMES.join(', ')}`,
    (def, v) => { def.register = v; },
  ),
  until: kw.structured(
    when.describe(
      'Repeat the task until this condition over its registered result holds (`until: {out.stdout: {matches: ready}}`), up to `retries` more ' +
        'times, `delay` seconds apart; the result reports the attempts. Dry run: a task that does not run in check mode is reported as deferred ' +
        '(not repeated); a check_mode: false probe is repeated for real',
    ),
    (def, { src, node, issues }) => { def.until = parseCondition(src, node, issues); },
    { needs: 'register' },
  ),
  retries: kw.plain(z.int().min(0).max(1000).describe('With until: how many times to try again after the first attempt (default 3)'), 'a whole number from 0 to 1000', (def, v) => {
    def.retries = v;
  }, { needs: 'until' }),
  delay: kw.plain(z.number().min(0).max(3600).describe('With until: seconds to wait between attempts (default 5)'), 'a number of seconds from 0 to 3600', (def, v) => {
    def.delay = v;
  }, { needs: 'until' }),
  check_mode: kw.plain(
    z
      .boolean()
      .describe(
        'false: run this task even in a dry run — for read-only probes whose result later tasks use (its result is then real, not unknown); ' +
          'true: never apply it, only report what it would do, even in a real run (its handlers are not notified). ' +
          'Dry run: a check_mode: false task runs for real, and must only read (a dry run holds no run lock on the host)',
      ),
    'true or false',
    (def, v) => { def.checkMode = v; },
  ),
};

const HANDLER_KEYWORDS = {
  ...TASK_KEYWORDS,
  listen: kw.structured(
    nameList.nullable().optional().describe('Further name(s) that notify: may use to trigger this handler'),
    (def, { src, node, issues }) => { def.listen = readNames(src, node, 'listen', issues).names; },
  ),
};

/** The keyword table of a task, or of a handler (which may also have `listen:`). */
export const taskKeywordTable = (handler: boolean): KeywordTable<TaskDef, undefined> => (handler ? HANDLER_KEYWORDS : TASK_KEYWORDS);

export const taskKeywords = keywordObject(TASK_KEYWORDS);
export const handlerKeywords = keywordObject(HANDLER_KEYWORDS);

export const TASK_KEYS = Object.keys(TASK_KEYWORDS);
export const HANDLER_KEYS = Object.keys(HANDLER_KEYWORDS);
