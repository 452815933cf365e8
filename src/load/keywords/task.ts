// The keywords of a task and of a handler, declared once (keyword.ts): the loader (src/load/task.ts)
// reads a task's keys with these tables, the editor JSON Schemas and the plan language reference are
// generated from them (src/schema), which add the operation keys (src/ops/registry.ts).
import { z } from 'zod';
import type { SourcePos } from '../../core/errors.js';
import { didYouMean, orList, type Issues } from '../issues.js';
import type { ChangedWhen, TaskDef } from '../model.js';
import { parseCondition } from '../when.js';
import { isMap, isScalar, isSeq, nodeKind, type Node, type YamlSource } from '../yaml.js';
import { when } from './condition.js';
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

type ChangedWhenRules = Exclude<ChangedWhen, boolean>;
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

/** A user name for become_user (grammar as the user operation's names, so it is never shell framing). */
export const becomeUser = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/);
export const becomeMethod = z.enum(['sudo', 'su', 'doas']);

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
    z
      .union([z.boolean(), changedWhenRules])
      .describe('When a command counts as a change: false (never, e.g. a read-only check), true (always), or rules on its exit code and output'),
    (def, at) => {
      const v = at.src.value(at.node);
      if (typeof v === 'boolean') def.changedWhen = v;
      else if (!isMap(at.node)) {
        at.issues.add(at.pos, `changed_when: expected true, false or a mapping with ${CHANGED_WHEN_KEYS.join(', ')}; got ${nodeKind(at.node)}`);
      } else {
        const rules: ChangedWhenRules = {};
        readSubKeywords('changed_when', CHANGED_WHEN_RULES, rules, at, (key) => `unknown key '${key}' (expected ${orList(CHANGED_WHEN_KEYS)})${didYouMean(key, CHANGED_WHEN_KEYS)}`);
        def.changedWhen = rules;
      }
    },
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
  run_once: kw.plain(
    z
      .boolean()
      .describe(
        "Run on one host of the play's batch — the first in inventory order that reaches the task to run it (a host that failed or skips it is passed over) — and report its result on every other host as \"run once on <host>\" (a change notifies their handlers too; a handler ignores run_once). Dry run: the same, planned on that one host",
      ),
    'true or false',
    (def, v) => { def.runOnce = v; },
  ),
  throttle: kw.plain(
    z.int().positive().describe('At most this many hosts of the batch run this task at the same time. Dry run: the same'),
    'a positive whole number',
    (def, v) => { def.throttle = v; },
  ),
  any_errors_fatal: kw.plain(
    z
      .boolean()
      .describe('A failure of this task on any host stops the play (and the run) on every host once they all finished this task. Dry run: the same, for a failure the dry run finds'),
    'true or false',
    (def, v) => { def.anyErrorsFatal = v; },
  ),
  delegate_to: kw.plain(
    z
      .string()
      .min(1)
      .describe(
        "Run this task on another host — an inventory host (over its own connection, shared with its own tasks) or localhost (the controller) — with this host's variables and the delegate's facts; reported as \"<host> → <delegate>\". Dry run: the delegate's state is read and diffed, nothing is executed",
      ),
    'a host name (or "{{a variable}}")',
    (def, v, at) => {
      def.delegateTo = v;
      def.argPos.delegate_to = at.pos;
    },
  ),
  become_user: kw.plain(
    becomeUser.describe("User this task's commands run as through become (default: the host's become_user, else root); sets nothing by itself, become: true does. Dry run: state is read as that user too"),
    'a user name',
    (def, v) => { def.becomeUser = v; },
  ),
  become_method: kw.plain(
    becomeMethod.describe("How this task becomes become_user: sudo, su or doas (default: the play's, then the host's become_method, else sudo)"),
    'sudo, su or doas',
    (def, v) => { def.becomeMethod = v; },
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
