// Finding and loading roles. A role is a directory:
//
//   tasks.yml (required)  handlers.yml  defaults.yml  vars/<Stem>.yml  meta.yml  templates/  files/
//
// looked up by name in <plan dir>/roles, then each --roles-path / FLEETPLAN_ROLES_PATH directory,
// then the roles bundled with fleetplan. meta.yml may list `dependencies:` (names or {role, vars}),
// which run before the role; a dependency cycle (a role needing itself) is an error.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SourcePos } from '../core/errors.js';
import type { Operation } from '../ops/operation.js';
import { Issues, didYouMean } from './issues.js';
import { ROLE_ENTRY_KEYS, ROLE_META_KEYS, roleName, secretVarName, roleParams } from './keywords/role.js';
import { nameItem } from './keywords/task.js';
import type { Condition, RoleDef, Vars } from './model.js';
import { displayPath } from './paths.js';
import { parseTaskList } from './task.js';
import { readVarsFile } from './vars.js';
import { parseCondition } from './when.js';
import { YamlSource, isMap, isScalar, isSeq, nodeKind, type Node } from './yaml.js';

const ROLE_FILES = ['tasks.yml', 'handlers.yml', 'defaults.yml', 'meta.yml'];

/** A role named somewhere (play `roles:` or a `dependencies:` entry), not yet resolved. */
export interface RoleRequest {
  name: string;
  params: Vars;
  when?: Condition;
  tags: string[];
  pos: SourcePos;
}

export interface LoadedRole {
  def: RoleDef;
  dependencies: RoleRequest[];
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** Parse one `roles:` / `dependencies:` entry: a name, or {role, vars, when, tags}. */
export function parseRoleRequest(src: YamlSource, node: Node | null, issues: Issues): RoleRequest | undefined {
  node = src.deref(node);
  const pos = src.pos(node);
  if (node && isScalar(node) && roleName.safeParse(node.value).success) {
    return { name: node.value as string, params: {}, tags: [], pos };
  }
  if (!node || !isMap(node)) {
    issues.add(pos, `role entry: expected a role name or a mapping with 'role:', got ${nodeKind(node)}`);
    return undefined;
  }
  const before = issues.list.length;
  const req: RoleRequest = { name: '', params: {}, tags: [], pos };
  for (const e of src.entries(node)) {
    const v = src.value(e.value);
    const at = src.pos(e.value, e.keyNode);
    if (e.key === 'role') {
      if (roleParams.shape.role.safeParse(v).success) {
        req.name = v as string;
        req.pos = at;
      } else issues.add(at, `role: expected a role name, got ${nodeKind(e.value)}`);
    } else if (e.key === 'vars') {
      if (v === null) continue;
      if (!isMap(e.value)) issues.add(at, `vars of a role: expected a mapping of variables, got ${nodeKind(e.value)}`);
      else req.params = v as Vars;
    } else if (e.key === 'when') {
      req.when = parseCondition(src, e.value, issues);
    } else if (e.key === 'tags') {
      const list = Array.isArray(v) ? v : [v];
      if (list.every((t) => nameItem.safeParse(t).success)) req.tags = list.map(String);
      else issues.add(at, `tags: expected a name or a list of names, got ${nodeKind(e.value)}`);
    } else {
      issues.add(src.pos(e.keyNode), `unknown key '${e.key}' in role entry (expected ${ROLE_ENTRY_KEYS.join(', ')}; role parameters go under 'vars:')${didYouMean(e.key, ROLE_ENTRY_KEYS)}`);
    }
  }
  if (!req.name && issues.list.length === before) issues.add(pos, `role entry: missing 'role:' (the role name)`);
  return issues.list.length === before ? req : undefined;
}

export interface RoleSearch {
  /** Directory of the plan file: `<planDir>/roles` is searched first, names with '/' are relative to it. */
  planDir: string;
  rolesPath: readonly string[];
  bundledRolesDir: string;
}

export class RoleLoader {
  readonly #cache = new Map<string, LoadedRole | undefined>();
  constructor(
    private readonly search: RoleSearch,
    private readonly registry: ReadonlyMap<string, Operation>,
    private readonly issues: Issues,
  ) {}

  /** Where a role name is looked for, in order; a dependency also looks beside the role needing it. */
  searchDirs(fromRoleDir?: string): string[] {
    const dirs = [path.join(this.search.planDir, 'roles')];
    if (fromRoleDir) dirs.push(path.dirname(fromRoleDir));
    dirs.push(...this.search.rolesPath.map((d) => path.resolve(d)), this.search.bundledRolesDir);
    return [...new Set(dirs)];
  }

  /** Resolve a role by name; not found is an error at `req.pos` listing where it looked. */
  find(req: RoleRequest, fromRoleDir?: string): string | undefined {
    const dirs = this.searchDirs(fromRoleDir);
    const candidates = req.name.includes('/') ? [path.resolve(this.search.planDir, req.name)] : dirs.map((d) => path.join(d, req.name));
    const hit = candidates.find(isDir);
    if (!hit) {
      const known = dirs.filter(isDir).flatMap((d) => readdirSync(d).filter((n) => isDir(path.join(d, n))));
      this.issues.add(req.pos, `role '${req.name}' not found${didYouMean(req.name, known)} (looked in ${candidates.map(displayPath).join(', ')})`);
    }
    return hit;
  }

  load(name: string, dir: string): LoadedRole | undefined {
    if (this.#cache.has(dir)) return this.#cache.get(dir);
    const loaded = this.#read(name, dir);
    this.#cache.set(dir, loaded);
    return loaded;
  }

  #read(name: string, dir: string): LoadedRole | undefined {
    const issues = this.issues;
    const before = issues.list.length;
    const file = (f: string) => path.join(dir, f);
    const yml = (f: string) => (existsSync(file(f)) ? issues.try(() => YamlSource.read(file(f))) : undefined);
    if (!existsSync(file('tasks.yml'))) {
      const stray = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && !ROLE_FILES.includes(f));
      const hint = stray.length ? ` (found ${stray.join(', ')}${didYouMean(stray[0]!, ['tasks.yml'])})` : '';
      issues.add({ file: displayPath(dir) }, `role '${name}' has no tasks.yml${hint}`);
      return undefined;
    }
    const ctx = { registry: this.registry, issues, baseDir: dir, role: name, roleDir: dir };
    const tasksSrc = yml('tasks.yml');
    const tasks = tasksSrc ? parseTaskList(tasksSrc.root, { ...ctx, src: tasksSrc, handler: false }, 'tasks.yml') : [];
    const handlersSrc = yml('handlers.yml');
    const handlers = handlersSrc ? parseTaskList(handlersSrc.root, { ...ctx, src: handlersSrc, handler: true }, 'handlers.yml') : [];
    const defaults = existsSync(file('defaults.yml')) ? issues.try(() => readVarsFile(file('defaults.yml'), 'defaults.yml')) ?? {} : {};

    const osVars: RoleDef['osVars'] = {};
    const varsDir = file('vars');
    if (isDir(varsDir)) {
      for (const f of readdirSync(varsDir).sort()) {
        const m = /^(.+)\.ya?ml$/.exec(f);
        if (!m) continue;
        const vars = issues.try(() => readVarsFile(path.join(varsDir, f), `vars/${f}`));
        if (vars) osVars[m[1]!] = { vars, file: path.join(varsDir, f) };
      }
    }

    const dependencies: RoleRequest[] = [];
    const secretVars: string[] = [];
    const metaSrc = yml('meta.yml');
    if (metaSrc && metaSrc.value(metaSrc.root) !== null) {
      if (!isMap(metaSrc.root)) issues.add(metaSrc.pos(metaSrc.root), `meta.yml: expected a mapping, got ${nodeKind(metaSrc.root)}`);
      for (const e of metaSrc.entries(metaSrc.root)) {
        if (!ROLE_META_KEYS.includes(e.key)) {
          issues.add(metaSrc.pos(e.keyNode), `meta.yml: unknown key '${e.key}' (expected ${ROLE_META_KEYS.join(', ')})${didYouMean(e.key, ROLE_META_KEYS)}`);
          continue;
        }
        if (!e.value || metaSrc.value(e.value) === null) continue;
        if (e.key === 'secret_vars') {
          secretVars.push(...secretVarList(metaSrc, e.value, issues));
          continue;
        }
        if (!isSeq(e.value)) {
          issues.add(metaSrc.pos(e.value), `dependencies: expected a list of roles, got ${nodeKind(e.value)}`);
          continue;
        }
        for (const item of e.value.items) {
          const req = parseRoleRequest(metaSrc, item as Node, issues);
          if (req) dependencies.push(req);
        }
      }
    }
    if (issues.list.length !== before) return undefined;
    return { def: { name, dir, defaults, osVars, tasks, handlers, secretVars }, dependencies };
  }
}

/** meta.yml `secret_vars: [relay_password, ...]`: variable names, checked one by one with positions. */
function secretVarList(src: YamlSource, node: Node, issues: Issues): string[] {
  if (!isSeq(node)) {
    issues.add(src.pos(node), `secret_vars: expected a list of variable names, got ${nodeKind(node)}`);
    return [];
  }
  const out: string[] = [];
  for (const n of node.items as Node[]) {
    const v = src.value(n);
    if (secretVarName.safeParse(v).success) out.push(v as string);
    else issues.add(src.pos(n), `secret_vars: expected a variable name (letters, digits, _), got ${typeof v === 'string' ? JSON.stringify(v) : nodeKind(n)}`);
  }
  return out;
}
