// Finding and loading roles. A role is a directory:
//
//   tasks.yml (required)  handlers.yml  defaults.yml  vars/<Stem>.yml  meta.yml  templates/  files/
//
// or the same in Ansible's layout: tasks/main.yml, handlers/main.yml, … (ansible-isms/role-layout.ts).
// looked up by name in <plan dir>/roles, then each --roles-path / FLEETPLAN_ROLES_PATH directory,
// then the roles bundled with fleetplan. meta.yml may list `dependencies:` (names or {role, vars}),
// which run before the role; a dependency cycle (a role needing itself) is an error.
import type { SecretRegistry } from '../core/secret.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Operation } from '../ops/operation.js';
import { Issues, didYouMean } from './issues.js';
import { readRoleMeta, type RoleRequest } from './keywords/role.js';
import type { RoleDef, RoleRef } from './model.js';
import { displayPath } from '../core/paths.js';
import { parseTaskList } from './task.js';
import { structureReader } from './task-tree.js';
import { readVarsFile } from './vars.js';
import { YamlSource } from './yaml.js';
import { roleLayout, type RoleFile } from './ansible-isms/role-layout.js';

const ROLE_FILES = ['tasks.yml', 'handlers.yml', 'defaults.yml', 'meta.yml'];

export interface LoadedRole {
  def: RoleDef;
  dependencies: RoleRequest[];
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

export interface RoleSearch {
  /** Directory of the plan file: `<planDir>/roles` is searched first, names with '/' are relative to it. */
  planDir: string;
  rolesPath: readonly string[];
  bundledRolesDir: string;
  /** The run's secret registry (role files may hold `!secret`/`!vault` values). */
  secrets: SecretRegistry;
}

export class RoleLoader {
  readonly #cache = new Map<string, LoadedRole | undefined>();
  /** Roles being read: one imported by its own tasks (import_role, include_role) is a cycle. */
  readonly #reading = new Set<string>();
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

  /**
   * Add a role (after its dependencies) to a play's roles; `stack` holds the chain for cycle detection.
   * A dependency already in the play, asked for without params or condition, runs once (as Ansible).
   */
  expand(req: RoleRequest, out: RoleRef[], fromDir?: string, stack: string[] = []): void {
    const dir = this.find(req, fromDir);
    if (!dir) return;
    if (stack.includes(dir)) {
      const names = [...stack.slice(stack.indexOf(dir)), dir].map((d) => path.basename(d));
      this.issues.add(req.pos, `role dependency cycle: ${names.join(' → ')}`);
      return;
    }
    if (this.#reading.has(dir)) {
      this.issues.add(req.pos, `role '${path.basename(dir)}' imports itself (import cycle through its tasks)`);
      return;
    }
    const isDependency = stack.length > 0;
    if (isDependency && Object.keys(req.params).length === 0 && !req.when && out.some((r) => r.role.dir === dir)) return;
    const loaded = this.load(path.basename(req.name), dir);
    if (!loaded) return;
    for (const dep of loaded.dependencies) this.expand(dep, out, dir, [...stack, dir]);
    const ref: RoleRef = { role: loaded.def, params: req.params, tags: req.tags, pos: req.pos };
    if (req.when) ref.when = req.when;
    out.push(ref);
  }

  load(name: string, dir: string): LoadedRole | undefined {
    if (this.#cache.has(dir)) return this.#cache.get(dir);
    this.#reading.add(dir);
    const loaded = this.#read(name, dir);
    this.#reading.delete(dir);
    this.#cache.set(dir, loaded);
    return loaded;
  }

  #read(name: string, dir: string): LoadedRole | undefined {
    const issues = this.issues;
    const before = issues.list.length;
    // fleetplan's layout or Ansible's (tasks/main.yml, ...): ansible-isms/role-layout.ts.
    const layout = roleLayout(dir, issues);
    if (!layout) return undefined;
    const { parts } = layout;
    const yml = (f: RoleFile | undefined) => (f ? issues.try(() => YamlSource.read(f.file, this.search.secrets)) : undefined);
    if (!parts.tasks && !layout.ansible) {
      const stray = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && !ROLE_FILES.includes(f));
      const hint = stray.length ? ` (found ${stray.join(', ')}${didYouMean(stray[0]!, ['tasks.yml'])})` : '';
      issues.add({ file: displayPath(dir) }, `role '${name}' has no tasks.yml (nor tasks/main.yml)${hint}`);
      return undefined;
    }
    const ctx = { registry: this.registry, secrets: this.search.secrets, issues, baseDir: dir, role: name, roleDir: dir };
    const tasksSrc = yml(parts.tasks);
    const structure = structureReader(this);
    const tasks = tasksSrc ? parseTaskList(tasksSrc.root, { ...ctx, src: tasksSrc, handler: false, structure }, parts.tasks!.label) : [];
    const handlersSrc = yml(parts.handlers);
    const handlers = handlersSrc ? parseTaskList(handlersSrc.root, { ...ctx, src: handlersSrc, handler: true }, parts.handlers!.label) : [];
    const defaults = parts.defaults ? issues.try(() => readVarsFile(parts.defaults!.file, parts.defaults!.label, this.search.secrets)) ?? {} : {};

    const osVars: RoleDef['osVars'] = {};
    for (const v of layout.vars) {
      const vars = issues.try(() => readVarsFile(v.file, v.label, this.search.secrets));
      if (vars) osVars[v.stem] = { vars, file: v.file };
    }

    const metaSrc = yml(parts.meta);
    const { dependencies, secretVars, dnsRecords } = metaSrc ? readRoleMeta(metaSrc, issues) : { dependencies: [], secretVars: [], dnsRecords: {} };
    if (issues.list.length !== before) return undefined;
    return { def: { name, dir, defaults, osVars, tasks, handlers, secretVars, dnsRecords }, dependencies };
  }
}
