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
import { VARIABLE_NAME, keywordObject, keywordsFor, readKeywords, type KeywordInput, type KeywordTable } from './keyword.js';
import { templateString } from '../../core/templated.js';
import { Secret } from '../../core/secret.js';
import { ANSIBLE_LOOP_KEYWORDS } from '../ansible-isms/keywords.js';
import { PLACEMENT_KEYWORDS } from './task-placement.js';
import { RESULT_KEYWORDS } from './task-results.js';

export { becomeMethod, becomeUser } from './task-placement.js';

/** A handler or tag name; YAML numbers count as names too. */
export const nameItem = z.union([z.string(), z.number()]);
/** One name or a list of names; nothing (`notify:`) means none. */
export const nameList = z.union([nameItem, z.array(nameItem)]);

/** A name a loop item is bound to, usable in templates as `{{<name>}}`. */
export const LOOP_VAR = VARIABLE_NAME;

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


/**
 * Reading a task's structure (blocks, imports, includes) recurses into task lists and other files,
 * which the loader does (src/load/task-tree.ts); the keywords below hand their value to it.
 */
export interface StructureReader {
  /** `block:`, `rescue:`, `always:`: the nested task list. */
  list(def: TaskDef, key: 'block' | 'rescue' | 'always', at: KeywordInput): void;
  /** `import_tasks:` (static) or `include_tasks:` (dynamic): a file of tasks. */
  tasksFile(def: TaskDef, at: KeywordInput, dynamic: boolean): void;
  /** `import_role:` (static) or `include_role:` (dynamic): a role's tasks. */
  role(def: TaskDef, args: RoleImport, at: KeywordInput, dynamic: boolean): void;
}

/** What a task keyword reader is given besides the YAML: the structure reader (absent where structure is not allowed). */
export interface TaskKeywordContext {
  structure?: StructureReader;
}

/** The argument of `import_role:` / `include_role:`. */
export interface RoleImport {
  name: string;
  tasks_from?: string;
}

/** Keys that make a task structure instead of an operation, each the kind of structure it makes. */
export const STRUCTURE_KEYS = ['block', 'import_tasks', 'include_tasks', 'import_role', 'include_role', 'meta'] as const;
export type StructureKey = (typeof STRUCTURE_KEYS)[number];

/** The keywords each kind of structure takes (as Ansible): anything else on it is an error naming these. */
export const STRUCTURE_KEYWORDS: Record<StructureKey, readonly string[]> = {
  block: ['name', 'when', 'tags', 'become', 'no_log', 'secret', 'ignore_errors', 'vars', 'environment', 'block', 'rescue', 'always'],
  import_tasks: ['name', 'when', 'tags', 'become', 'no_log', 'secret', 'ignore_errors', 'vars', 'environment', 'import_tasks'],
  include_tasks: ['name', 'when', 'tags', 'loop', 'loop_control', 'vars', 'include_tasks'],
  import_role: ['name', 'when', 'tags', 'become', 'no_log', 'secret', 'ignore_errors', 'vars', 'environment', 'import_role'],
  include_role: ['name', 'when', 'tags', 'loop', 'loop_control', 'vars', 'include_role'],
  meta: ['name', 'tags', 'meta'],
};

/** An environment variable name, as the shell that exports it takes it. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `environment:` of a task, block or play: names to scalar values (templates allowed). */
export const taskEnvironment = z.record(z.string().regex(ENV_NAME), z.union([z.string(), z.number(), z.boolean()])).nullable();

/** Read an `environment:` mapping into `holder.environment`, each bad name or value at its line. */
export function readEnvironment(holder: Pick<TaskDef, 'environment'>, { src, node, issues, pos }: KeywordInput): void {
  if (src.value(node) === null) return;
  if (!isMap(node)) {
    issues.add(pos, `environment: expected a mapping of variable names to values, got ${nodeKind(node)}`);
    return;
  }
  for (const e of src.entries(node)) {
    const value = src.value(e.value);
    if (!ENV_NAME.test(e.key)) issues.add(src.pos(e.keyNode), `environment: '${e.key}' is not a variable name (letters, digits and _, not starting with a digit)`);
    else if (!['string', 'number', 'boolean'].includes(typeof value) && !(value instanceof Secret)) {
      issues.add(src.pos(e.value, e.keyNode), `environment: ${e.key} expects a string, number or boolean, got ${nodeKind(e.value)}`);
    } else holder.environment = { ...holder.environment, [e.key]: value };
  }
}

/** A task list nested in a task (block:, rescue:, always:): its items are tasks (the JSON Schema refers to the task definition). */
const nestedTasks = z.array(z.unknown().meta({ id: 'block_task' }));

/** A task file to import or include: its name, or Ansible's long form {file: <name>}. */
const taskFile = z.union([z.string().min(1), z.object({ file: z.string().min(1).describe('The file of tasks') }).strict()]);

const roleImport = z
  .object({
    name: z.string().min(1).describe('The role, found as a roles: entry is'),
    tasks_from: z.string().min(1).optional().describe('Which file of the role\'s tasks to run instead of tasks.yml: <role>/tasks/<name>.yml (or <role>/<name>.yml)'),
  })
  .strict();

const kw = keywordsFor<TaskDef, TaskKeywordContext | undefined>();

/** The structure keywords: each hands its value to the loader's structure reader. */
const STRUCTURE_TABLE = {
  vars: kw.plain(
    z.record(z.string(), z.unknown()).nullable().describe(
      'Variables for this task (on a block: for every task in it; on import_role/include_role: the role\'s parameters; on include_tasks: for every included task): above play and role variables, below role parameters and extra vars; values may be templates, rendered per host (and per loop item of an include). Dry run: the same',
    ),
    'a mapping of variables',
    (def, v) => { if (v) def.vars = { ...def.vars, ...v }; },
  ),
  environment: kw.structured(
    taskEnvironment.describe(
      'Environment variables for the commands the task runs (command; on a block: every task in it; the task\'s own env: wins); exported by the host\'s shell from the task\'s script, never on a command line, so a secret value stays out of the process list. Dry run: shown in the command that would run',
    ),
    (def, at) => readEnvironment(def, at),
  ),
  block: kw.structured(
    nestedTasks.describe(
      'Tasks run in order as one block; the block\'s keywords (when, tags, become, ignore_errors, vars, environment, no_log) apply to each of them. Dry run: each task is planned as it would be outside a block',
    ),
    (def, at, ctx) => ctx?.structure?.list(def, 'block', at),
  ),
  rescue: kw.structured(
    nestedTasks.describe(
      'Tasks run when a task of the block fails (the host is then not failed if they succeed); ansible_failed_task ({name, action}) and ansible_failed_result ({msg, rc, stdout, stderr, failed}) hold what failed. Dry run: they run (planned) only when a task of the block fails in the dry run itself (an assertion, a task that cannot be planned); a failure that would only happen when applying cannot be predicted, so they are reported as skipped: "runs only if a task in the block fails"',
    ),
    (def, at, ctx) => ctx?.structure?.list(def, 'rescue', at),
    { needs: 'block' },
  ),
  always: kw.structured(
    nestedTasks.describe('Tasks run after the block (and its rescue) whether it failed or not. Dry run: planned like any task'),
    (def, at, ctx) => ctx?.structure?.list(def, 'always', at),
    { needs: 'block' },
  ),
  import_tasks: kw.structured(
    taskFile.describe(
      'A file of tasks inserted here when the plan loads (static): relative to the file importing it (or the role\'s tasks/ directory); when, tags and the other keywords apply to every imported task; checked in full by validate. Dry run: the imported tasks are planned like any task',
    ),
    (def, at, ctx) => ctx?.structure?.tasksFile(def, at, false),
  ),
  include_tasks: kw.structured(
    taskFile.describe(
      'A file of tasks run here, expanded per host when the play starts on it (dynamic): the name may be a template, loop runs the file once per item (the item bound in its tasks), vars are passed to its tasks; when and tags select the include itself, not its tasks (as Ansible). validate checks the file when its name is not a template. Dry run: expanded and planned like any task',
    ),
    (def, at, ctx) => ctx?.structure?.tasksFile(def, at, true),
  ),
  import_role: kw.structured(
    roleImport.describe(
      'A role\'s tasks inserted here when the plan loads (static), with the role\'s defaults, per-OS vars and handlers; vars: are its parameters, when and tags apply to every task. Dry run: planned like any task',
    ),
    (def, at, ctx) => readRoleImport(def, at, ctx, false),
  ),
  include_role: kw.structured(
    roleImport.describe(
      'A role\'s tasks run here, expanded per host when the play starts on it (dynamic): loop runs them once per item; vars: are its parameters, rendered per host and item; when and tags select the include itself (as Ansible); the role\'s handlers are the play\'s. Dry run: expanded and planned like any task',
    ),
    (def, at, ctx) => readRoleImport(def, at, ctx, true),
  ),
  meta: kw.plain(
    z.enum(['flush_handlers']).describe('flush_handlers: run the handlers notified so far now, instead of at the end of the play. Dry run: the notified handlers are planned at that point'),
    'flush_handlers (the only meta action fleetplan has)',
    (def) => {
      def.structure = { kind: 'meta', action: 'flush_handlers' };
    },
  ),
};

/** `import_role:` / `include_role:`: a role name, or a mapping with name and tasks_from. */
function readRoleImport(def: TaskDef, at: KeywordInput, ctx: TaskKeywordContext | undefined, dynamic: boolean): void {
  const { src, node, issues, pos, entry } = at;
  const value = src.value(node);
  const args = typeof value === 'string' ? { name: value } : value;
  const parsed = roleImport.safeParse(args);
  if (!parsed.success) {
    const keys = Object.keys(roleImport.shape);
    const unknown = isMap(node) ? src.entries(node).find((e) => !keys.includes(e.key)) : undefined;
    if (unknown) issues.add(src.pos(unknown.keyNode), `${entry.key}: unknown key '${unknown.key}' (expected ${orList(keys)})${didYouMean(unknown.key, keys)}`);
    else issues.add(pos, `${entry.key}: expected a role name or a mapping with name: and tasks_from:, got ${nodeKind(node)}`);
    return;
  }
  ctx?.structure?.role(def, parsed.data, at, dynamic);
}


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
  ...STRUCTURE_TABLE,
  ...ANSIBLE_LOOP_KEYWORDS,
  ...RESULT_KEYWORDS,
  ...PLACEMENT_KEYWORDS,
};

const HANDLER_KEYWORDS = {
  ...TASK_KEYWORDS,
  listen: kw.structured(
    nameList.nullable().optional().describe('Further name(s) that notify: may use to trigger this handler'),
    (def, { src, node, issues }) => { def.listen = readNames(src, node, 'listen', issues).names; },
  ),
};

/** The keyword table of a task, or of a handler (which may also have `listen:`). */
export const taskKeywordTable = (handler: boolean): KeywordTable<TaskDef, TaskKeywordContext | undefined> => (handler ? HANDLER_KEYWORDS : TASK_KEYWORDS);

export const taskKeywords = keywordObject(TASK_KEYWORDS);
export const handlerKeywords = keywordObject(HANDLER_KEYWORDS);

export const TASK_KEYS = Object.keys(TASK_KEYWORDS);
export const HANDLER_KEYS = Object.keys(HANDLER_KEYWORDS);
