// A task that is structure instead of an operation: `block:` (with `rescue:` and `always:`),
// `import_tasks:`, `include_tasks:`, `import_role:`, `include_role:` or `meta:`. Its keywords are the
// task's (keywords/task.ts), limited to those Ansible gives that kind of structure; what is nested or
// imported is read by the structure reader (task-tree.ts) the context carries.
import { didYouMean } from './issues.js';
import { readKeywords, type KeywordTable } from './keywords/keyword.js';
import { STRUCTURE_KEYWORDS, TASK_KEYS, taskKeywordTable, type StructureKey, type StructureReader, type TaskKeywordContext } from './keywords/task.js';
import type { TaskDef } from './model.js';
import type { MapEntry, Node, YamlSource } from './yaml.js';
import type { Operation } from '../ops/operation.js';
import type { Issues } from './issues.js';
import type { SecretRegistry } from '../core/secret.js';

/** Where a task list is read: its file, the operations a task may name, where relative paths and roles are. */
export interface TaskContext {
  src: YamlSource;
  registry: ReadonlyMap<string, Operation>;
  issues: Issues;
  baseDir: string;
  role?: string;
  roleDir?: string;
  handler: boolean;
  /** The run's secrets: `!secret` values of an included file are registered there. */
  secrets: SecretRegistry;
  /** Reads blocks, imports and includes in this context (src/load/task-tree.ts); absent: none allowed. */
  structure?: (ctx: TaskContext) => StructureReader;
  /** Absolute paths of the task files being read, outermost first (an import of one of them is a cycle). */
  chain?: string[];
}

/** How messages name each kind. */
const WHAT: Record<StructureKey, string> = {
  block: 'a block',
  import_tasks: 'import_tasks',
  include_tasks: 'include_tasks',
  import_role: 'import_role',
  include_role: 'include_role',
  meta: 'meta',
};

/** Why Ansible does not take a keyword there, and what to write instead. */
function hint(key: StructureKey, keyword: string): string {
  if (key === 'block' && keyword.startsWith('loop')) return ' (a block cannot loop, as in Ansible: loop over include_tasks of a file)';
  if (keyword === 'notify' || keyword === 'changed_when') return ` (${keyword} goes on the tasks inside)`;
  if (key.startsWith('include_')) return ' (the keywords of an include apply to the include itself, as in Ansible: put it on a block around the include, or use import_' + key.slice('include_'.length) + ')';
  if (key.startsWith('import_') && keyword.startsWith('loop')) return ` (an import is read when the plan loads and cannot loop: use include_${key.slice('import_'.length)})`;
  return '';
}

/** The report name of a structure task without `name:`. */
function defaultName(key: StructureKey, def: TaskDef, value: unknown): string {
  if (key === 'block') return 'block';
  if (key === 'meta') return 'meta: flush_handlers';
  const arg = typeof value === 'string' ? value : (value as { name?: unknown } | null)?.name;
  return typeof arg === 'string' ? `${key} ${arg}` : def.op;
}

export function parseStructure(node: Node, entries: MapEntry[], key: StructureKey, ctx: TaskContext): TaskDef | undefined {
  const { src, issues } = ctx;
  const before = issues.list.length;
  const what = WHAT[key];
  if (ctx.handler) {
    issues.add(src.pos(entries.find((e) => e.key === key)!.keyNode), `a handler cannot be ${what}: a handler is one operation (put the ${key === 'block' ? 'block' : key} in a task)`);
    return undefined;
  }
  const allowed = STRUCTURE_KEYWORDS[key];
  for (const e of entries) {
    if (ctx.registry.has(e.key)) {
      issues.add(src.pos(e.keyNode), `a task is either an operation or ${what}: found '${e.key}' beside '${key}' (put the operation in a task of its own${key === 'block' ? ' inside the block' : ''})`);
    } else if (!TASK_KEYS.includes(e.key)) {
      issues.add(src.pos(e.keyNode), `unknown key '${e.key}' in ${what}${didYouMean(e.key, allowed)} (expected ${allowed.join(', ')})`);
    } else if (!allowed.includes(e.key)) {
      issues.add(src.pos(e.keyNode), `'${e.key}' is not allowed on ${what}${hint(key, e.key)} (allowed: ${allowed.join(', ')})`);
    }
  }
  const def = newTaskDef(ctx, src.pos(node), key === 'import_tasks' || key === 'import_role' ? 'block' : key, {}, {});
  const full = taskKeywordTable(false);
  const table: KeywordTable<TaskDef, TaskKeywordContext> = Object.fromEntries(Object.entries(full).filter(([k]) => allowed.includes(k)));
  const reader: TaskKeywordContext = ctx.structure ? { structure: ctx.structure(ctx) } : {};
  if (!ctx.structure) issues.add(src.pos(node), `${what} is not allowed here`);
  readKeywords(table, def, src, node, entries, issues, reader, { what });
  def.name ||= defaultName(key, def, src.value(entries.find((e) => e.key === key)!.value));
  return issues.list.length === before ? def : undefined;
}

/** A task as the loader starts it, before its keywords are read: its operation (or structure), place and role. */
export function newTaskDef(ctx: Omit<TaskContext, 'src'>, pos: TaskDef['pos'], op: string, args: TaskDef['args'], argPos: TaskDef['argPos']): TaskDef {
  const def: TaskDef = { name: '', op, args, notify: [], tags: [], noLog: false, ignoreErrors: false, baseDir: ctx.roleDir ?? ctx.baseDir, pos, argPos };
  if (ctx.role !== undefined) def.role = ctx.role;
  if (ctx.roleDir !== undefined) def.roleDir = ctx.roleDir;
  return def;
}
