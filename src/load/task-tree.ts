// The task tree: blocks (block/rescue/always), static imports (import_tasks, import_role — read here,
// when the plan loads) and dynamic includes (include_tasks, include_role — read here when their name
// is not a template, expanded per host by the engine, src/engine/blocks.ts). A structure's keywords
// are pushed down into what it holds when it is read (`inherit`), so every task carries what applies
// to it and nothing downstream walks the tree for keywords; the tree is kept for what it means at run
// time (a failure in a block runs its rescue; an include runs once per item).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isTemplated } from '../core/templated.js';
import { displayPath } from '../core/paths.js';
import type { RoleRequest } from './keywords/role.js';
import type { KeywordInput } from './keywords/keyword.js';
import type { StructureReader, RoleImport } from './keywords/task.js';
import type { Condition, IncludedFile, RoleRef, TaskDef } from './model.js';
import type { SecretRegistry } from '../core/secret.js';
import { Issues } from './issues.js';
import type { Operation } from '../ops/operation.js';
import { parseTaskList, type TaskContext } from './task.js';
import { YamlSource, nodeKind } from './yaml.js';
import { isPlainObject } from '../core/secret.js';

/** What the role loader (role.ts) gives the task tree: a role and its dependencies, in the order they run. */
export interface RoleSource {
  expand(req: RoleRequest, out: RoleRef[], fromDir?: string): void;
}

/** The structure reader of task lists read in `ctx`, importing roles from `roles`. */
export function structureReader(roles: RoleSource | undefined): (ctx: TaskContext) => StructureReader {
  return (ctx) => ({
    list(def, key, at) {
      const tasks = parseTaskList(at.node, ctx, key);
      inherit(def, tasks);
      if (key === 'block') def.structure = { kind: 'block', block: tasks, rescue: [], always: [] };
      else if (def.structure?.kind === 'block') def.structure[key] = tasks;
    },
    tasksFile: (def, at, dynamic) => readTasksFile(ctx, def, at, dynamic),
    role: (def, args, at, dynamic) => readRole(ctx, roles, def, args, at, dynamic),
  });
}

/** Where a task file named in `ctx` is looked for: beside the file naming it, then the role's tasks/ and its root. */
function searchDirs(ctx: TaskContext): string[] {
  const dirs = [path.dirname(ctx.src.abs)];
  if (ctx.roleDir) dirs.push(path.join(ctx.roleDir, 'tasks'), ctx.roleDir);
  return [...new Set(dirs)];
}

function chainOf(ctx: TaskContext): string[] {
  return ctx.chain ?? [ctx.src.abs];
}

function readTasksFile(ctx: TaskContext, def: TaskDef, at: KeywordInput, dynamic: boolean): void {
  const { src, node, issues, pos, entry } = at;
  const value = src.value(node);
  // Ansible's long form, `include_tasks: {file: x.yml}`, names the file the same way.
  const name = isPlainObject(value) && Object.keys(value).length === 1 ? value.file : value;
  if (typeof name !== 'string' || name === '') {
    const apply = isPlainObject(value) && 'apply' in value ? " (apply: is not supported: put the keywords on the included tasks, or use import_tasks)" : '';
    issues.add(pos, `${entry.key}: expected a file name or {file: <name>}, got ${typeof name === 'string' ? 'an empty string' : nodeKind(node)}${apply}`);
    return;
  }
  const file: IncludedFile = { name, pos, searchDirs: searchDirs(ctx), chain: chainOf(ctx) };
  if (isTemplated(name)) {
    if (dynamic) def.structure = { kind: 'include', file };
    else issues.add(pos, `import_tasks: the file name cannot be a template (an import is read when the plan loads): use include_tasks`);
    return;
  }
  const tasks = issues.try(() => readFile(file, ctx, entry.key));
  if (!tasks) return;
  if (dynamic) {
    def.structure = { kind: 'include', tasks };
  } else {
    inherit(def, tasks);
    def.structure = { kind: 'block', block: tasks, rescue: [], always: [] };
  }
}

/** The tasks of an included or imported file (InputErrors for a missing file, a cycle or bad tasks). */
function readFile(file: IncludedFile, ctx: Omit<TaskContext, 'src'>, key: string): TaskDef[] {
  const candidates = path.isAbsolute(file.name) ? [file.name] : file.searchDirs.map((d) => path.resolve(d, file.name));
  const found = [...new Set(candidates)].find((c) => existsSync(c));
  const issues = new Issues();
  if (!found) issues.add(file.pos, `${key}: '${file.name}' not found (looked for ${[...new Set(candidates)].map(displayPath).join(', ')})`);
  else if (file.chain.includes(found)) {
    const names = [...file.chain.slice(file.chain.indexOf(found)), found].map(displayPath);
    issues.add(file.pos, `${key}: import cycle: ${names.join(' → ')}`);
  }
  issues.throwIfAny();
  const src = taskFileSource(found!, ctx.secrets);
  const inner = new Issues();
  const tasks = parseTaskList(src.root, { ...ctx, issues: inner, src, chain: [...file.chain, found!] }, displayPath(found!));
  inner.throwIfAny();
  return tasks;
}

/**
 * A task file parsed once per run (its secret registry): a file imported twice (a role's own import and
 * the plan's `import_role: tasks_from`), or included by a templated name on every host, is one parse;
 * each use builds its own tasks from the nodes, which nothing changes. A file that fails is not kept.
 */
const parsedTaskFiles = new WeakMap<SecretRegistry, Map<string, YamlSource>>();
function taskFileSource(file: string, secrets: SecretRegistry): YamlSource {
  let files = parsedTaskFiles.get(secrets);
  if (!files) parsedTaskFiles.set(secrets, (files = new Map()));
  let src = files.get(file);
  if (!src) files.set(file, (src = YamlSource.read(file, secrets)));
  return src;
}

/**
 * The tasks of an include whose file name was a template, rendered for a host (`name`): read now, as
 * an import would have been (roles cannot be imported from such a file: they must be known when the
 * plan loads, for their handlers). Throws InputErrors.
 */
export function readIncludedFile(def: TaskDef, file: IncludedFile, name: string, registry: ReadonlyMap<string, Operation>, secrets: SecretRegistry): TaskDef[] {
  const ctx = { registry, secrets, issues: new Issues(), baseDir: def.baseDir, role: def.role, roleDir: def.roleDir, handler: false, structure: structureReader(undefined) };
  return readFile({ ...file, name }, ctx, 'include_tasks');
}

function readRole(ctx: TaskContext, roles: RoleSource | undefined, def: TaskDef, args: RoleImport, at: KeywordInput, dynamic: boolean): void {
  const key = at.entry.key;
  if (!roles) {
    at.issues.add(at.pos, `${key}: roles cannot be imported from a file whose name is a template (they must be known when the plan loads)`);
    return;
  }
  if (isTemplated(args.name) || (args.tasks_from !== undefined && isTemplated(args.tasks_from))) {
    at.issues.add(at.pos, `${key}: the role name and tasks_from cannot be templates (the role's handlers must be known when the plan loads)`);
    return;
  }
  // Static: the task's vars are the role's parameters (resolved with the role's scope); dynamic: they are
  // rendered per host and item (src/engine/blocks.ts), above the role's own variables all the same.
  const refs: RoleRef[] = [];
  roles.expand({ name: args.name, params: dynamic ? {} : (def.vars ?? {}), tags: [], pos: at.pos }, refs, ctx.roleDir);
  if (!dynamic) delete def.vars;
  const own = refs.at(-1);
  if (!own || own.role.name !== path.basename(args.name)) return;
  const blocks = refs.map((ref): TaskDef => {
    let tasks = cloneTasks(ref.role.tasks);
    if (ref === own && args.tasks_from !== undefined && args.tasks_from !== 'main') {
      const file: IncludedFile = { name: taskFileName(args.tasks_from), pos: at.pos, searchDirs: [path.join(ref.role.dir, 'tasks'), ref.role.dir], chain: chainOf(ctx) };
      const roleCtx = { ...ctx, baseDir: ref.role.dir, role: ref.role.name, roleDir: ref.role.dir };
      tasks = at.issues.try(() => readFile(file, roleCtx, `${key} tasks_from`)) ?? [];
    }
    return { ...def, name: `${key} ${ref.role.name}`, op: 'block', vars: undefined, tags: [], when: undefined, role: ref.role.name, roleDir: ref.role.dir, structure: { kind: 'block', block: tasks, rescue: [], always: [], roleRef: ref } };
  });
  if (dynamic) def.structure = { kind: 'include', tasks: blocks };
  else {
    inherit(def, blocks);
    def.structure = { kind: 'block', block: blocks, rescue: [], always: [] };
  }
}

/** `tasks_from: install` is tasks/install.yml, as Ansible; a name with an extension is taken as it is. */
function taskFileName(name: string): string {
  return /\.ya?ml$/.test(name) ? name : `${name}.yml`;
}

/** Copies of tasks (their structure too), for keywords to be pushed into without touching a role shared by plays. */
export function cloneTasks(tasks: readonly TaskDef[]): TaskDef[] {
  return tasks.map((t) => {
    const c: TaskDef = { ...t, tags: [...t.tags] };
    const s = t.structure;
    if (s?.kind === 'block') c.structure = { ...s, block: cloneTasks(s.block), rescue: cloneTasks(s.rescue), always: cloneTasks(s.always) };
    else if (s?.kind === 'include' && s.tasks) c.structure = { ...s, tasks: cloneTasks(s.tasks) };
    return c;
  });
}

const both = (outer: Condition | undefined, inner: Condition | undefined): Condition | undefined =>
  outer === undefined ? inner : inner === undefined ? outer : { all: [outer, inner] };

/**
 * Push a structure's keywords into every task it holds, nested blocks included (as Ansible: the
 * block's `when` is evaluated for each task, its tags and vars are each task's). An include's own
 * tasks only get what an include passes down (see `includedTasks`).
 */
export function inherit(parent: Pick<TaskDef, 'tags' | 'when' | 'become' | 'ignoreErrors' | 'noLog' | 'vars' | 'environment'>, tasks: TaskDef[]): void {
  for (const t of tasks) {
    t.tags = [...new Set([...parent.tags, ...t.tags])];
    const when = both(parent.when, t.when);
    if (when !== undefined) t.when = when;
    if (t.become === undefined && parent.become !== undefined) t.become = parent.become;
    t.ignoreErrors ||= parent.ignoreErrors;
    t.noLog ||= parent.noLog;
    if (parent.vars) t.vars = { ...parent.vars, ...t.vars };
    if (parent.environment) t.environment = { ...parent.environment, ...t.environment };
    if (t.structure?.kind === 'block') for (const list of [t.structure.block, t.structure.rescue, t.structure.always]) inherit(parent, list);
  }
}

/**
 * The tasks an include runs, as copies carrying what reaches them from around the include (become,
 * ignore_errors, no_log, environment of enclosing blocks); its when and tags stay the include's own,
 * and its vars are rendered per host and item by the engine.
 */
export function includedTasks(include: TaskDef, tasks: readonly TaskDef[]): TaskDef[] {
  const copies = cloneTasks(tasks);
  const { become, ignoreErrors, noLog, environment } = include;
  inherit({ tags: [], become, ignoreErrors, noLog, environment }, copies);
  return copies;
}

/** What a rescue's tasks may use besides the host's variables: what failed (bound by the engine, blocks.ts). */
export const FAILURE_VARS = ['ansible_failed_task', 'ansible_failed_result'];

/** A task as a walk of the tree meets it: the role whose variables it sees, and the names an include binds around it. */
export interface TreeVisit {
  ref?: RoleRef;
  /** Variables an enclosing include defines per item (its loop variable and vars). */
  bound: string[];
  /** Inside an include: run (and reported) only when the include runs. */
  included?: boolean;
}

/** Whether a task is reported on its own when it does not run: not a block or meta, not inside an include (the include is). */
export function reportedAlone(def: TaskDef, at: TreeVisit): boolean {
  return !at.included && def.structure?.kind !== 'block' && def.structure?.kind !== 'meta';
}

/** Every task of a tree (structure tasks too, before what they hold), with the role and include bindings around it. */
export function eachTask(tasks: readonly TaskDef[], visit: (def: TaskDef, at: TreeVisit) => void, at: TreeVisit = { bound: [] }): void {
  for (const t of tasks) {
    visit(t, at);
    const s = t.structure;
    if (s?.kind === 'block') {
      const inner = s.roleRef ? { ...at, ref: s.roleRef } : at;
      eachTask(s.block, visit, inner);
      eachTask(s.rescue, visit, { ...inner, bound: [...inner.bound, ...FAILURE_VARS] });
      eachTask(s.always, visit, inner);
    } else if (s?.kind === 'include' && s.tasks) {
      const bound = [...at.bound, ...Object.keys(t.vars ?? {}), ...(t.loop !== undefined ? [t.loopVar ?? 'item'] : [])];
      eachTask(s.tasks, visit, { ...at, bound, included: true });
    }
  }
}

/** The roles a tree imports or includes, each reference once. */
export function rolesIn(tasks: readonly TaskDef[]): RoleRef[] {
  const out = new Set<RoleRef>();
  eachTask(tasks, (t) => {
    if (t.structure?.kind === 'block' && t.structure.roleRef) out.add(t.structure.roleRef);
  });
  return [...out];
}
