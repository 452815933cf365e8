// Plan loading: a plan file is one play (a mapping) or a list of plays. Everything is checked here,
// before any host is contacted: keys, operations and their arguments, roles, conditions, handler
// names. Errors are collected across the whole plan and thrown together (InputErrors).
import path from 'node:path';
import type { SourcePos } from '../core/errors.js';
import type { Operation } from '../ops/operation.js';
import { parseCondition } from './when.js';
import { operations } from '../ops/registry.js';
import { Issues, didYouMean } from './issues.js';
import { PLAY_KEYS, playKeywords, varsFileName } from './keywords/play.js';
import type { Plan, Play, RoleRef, TaskDef, Vars } from './model.js';
import { bundledRolesDir, displayPath, formatHere } from './paths.js';
import { RoleLoader, parseRoleRequest, type RoleRequest } from './role.js';
import { notifyPositions, parseTaskList } from './task.js';
import { readVarsFile } from './vars.js';
import { YamlSource, isMap, isSeq, nodeKind, type Node } from './yaml.js';

export { PLAY_KEYS };

/** Does a value pass the declared check of a play key (keywords/play.ts)? */
const valid = (key: keyof typeof playKeywords.shape, value: unknown) => playKeywords.shape[key].safeParse(value).success;

export interface LoadPlanOptions {
  /** Extra role directories (`--roles-path`, FLEETPLAN_ROLES_PATH), searched after <plan dir>/roles. */
  rolesPath: string[];
  /** Operations a task may name (tests pass their own). */
  registry?: ReadonlyMap<string, Operation>;
  /** Roles shipped with fleetplan, searched last (default: <package root>/roles). */
  bundledRolesDir?: string;
}

export function loadPlan(file: string, opts: LoadPlanOptions): Plan {
  const issues = new Issues();
  const abs = path.resolve(file);
  const src = YamlSource.read(abs);
  const planDir = path.dirname(abs);
  const registry = opts.registry ?? operations;
  const roles = new RoleLoader(
    { planDir, rolesPath: opts.rolesPath, bundledRolesDir: opts.bundledRolesDir ?? bundledRolesDir() },
    registry,
    issues,
  );

  const root = src.root;
  let playNodes: (Node | null)[] = [];
  if (root && isSeq(root)) playNodes = root.items.map((i) => src.deref(i as Node));
  else if (root && isMap(root)) playNodes = [root];
  else issues.add(src.pos(root), `plan: expected a play (a mapping with hosts:) or a list of plays, got ${nodeKind(root)}`);

  const plays: Play[] = [];
  for (const node of playNodes) {
    const play = parsePlay(src, node, { issues, registry, roles, planDir });
    if (play) plays.push(play);
  }
  issues.throwIfAny();
  return { file: abs, plays };
}

interface PlayContext {
  issues: Issues;
  registry: ReadonlyMap<string, Operation>;
  roles: RoleLoader;
  planDir: string;
}

function parsePlay(src: YamlSource, node: Node | null, ctx: PlayContext): Play | undefined {
  const { issues } = ctx;
  if (!node || !isMap(node)) {
    issues.add(src.pos(node), `play: expected a mapping with hosts: and tasks: or roles:, got ${nodeKind(node)}`);
    return undefined;
  }
  const before = issues.list.length;
  const entries = src.entries(node);
  const get = (k: string) => entries.find((e) => e.key === k);
  for (const e of entries) {
    if (!PLAY_KEYS.includes(e.key)) {
      const asOp = ctx.registry.has(e.key) ? ' (operations go in a task under tasks:)' : '';
      issues.add(src.pos(e.keyNode), `unknown play key '${e.key}'${didYouMean(e.key, PLAY_KEYS)}${asOp} (expected ${PLAY_KEYS.join(', ')})`);
    }
  }

  // hosts: a pattern string, or a list of patterns (a union).
  let hosts = '';
  const hostsE = get('hosts');
  const hv = hostsE ? src.value(hostsE.value) : undefined;
  if (!hostsE) issues.add(src.pos(node), `play: missing 'hosts:' (a host pattern such as all, a group or web*)`);
  else if (valid('hosts', hv)) hosts = typeof hv === 'string' ? hv.trim() : (hv as string[]).join(',');
  else issues.add(src.pos(hostsE.value, hostsE.keyNode), `hosts: expected a host pattern or a list of patterns, got ${nodeKind(hostsE.value)}`);

  const nameE = get('name');
  const nv = nameE ? src.value(nameE.value) : undefined;
  if (nameE && !valid('name', nv)) issues.add(src.pos(nameE.value, nameE.keyNode), `name: expected a string, got ${nodeKind(nameE.value)}`);

  let become: boolean | undefined;
  const becomeE = get('become');
  if (becomeE) {
    const b = src.value(becomeE.value);
    if (valid('become', b)) become = b as boolean;
    else issues.add(src.pos(becomeE.value, becomeE.keyNode), `become: expected true or false, got ${nodeKind(becomeE.value)}`);
  }

  // Rolling changes: hosts in batches (a count or "N%"), stopping when too many of a batch fail.
  let serial: number | string | undefined;
  const serialE = get('serial');
  if (serialE) {
    const v = src.value(serialE.value);
    if (valid('serial', v)) serial = v as number | string;
    else issues.add(src.pos(serialE.value, serialE.keyNode), `serial: expected a positive whole number of hosts or a percentage like "25%", got ${nodeKind(serialE.value)}`);
  }
  let maxFail: number | undefined;
  const mfE = get('max_fail_percentage');
  if (mfE) {
    const v = src.value(mfE.value);
    if (valid('max_fail_percentage', v)) maxFail = v as number;
    else issues.add(src.pos(mfE.value, mfE.keyNode), `max_fail_percentage: expected a number from 0 to 100, got ${nodeKind(mfE.value)}`);
  }
  let forceHandlers: boolean | undefined;
  const fhE = get('force_handlers');
  if (fhE) {
    const v = src.value(fhE.value);
    if (valid('force_handlers', v)) forceHandlers = v as boolean;
    else issues.add(src.pos(fhE.value, fhE.keyNode), `force_handlers: expected true or false, got ${nodeKind(fhE.value)}`);
  }

  // Play-level `when:` narrows the hosts by facts or variables (e.g. only FreeBSD hosts).
  const whenE = get('when');
  const when = whenE ? parseCondition(src, whenE.value, issues) : undefined;

  // Plan vars: `vars:` then each of `vars_files:` (later files win).
  const vars: Vars = {};
  const varsE = get('vars');
  if (varsE && src.value(varsE.value) !== null) {
    if (!isMap(varsE.value)) issues.add(src.pos(varsE.value, varsE.keyNode), `vars: expected a mapping of variables, got ${nodeKind(varsE.value)}`);
    else Object.assign(vars, src.value(varsE.value));
  }
  const vfE = get('vars_files');
  if (vfE && src.value(vfE.value) !== null) {
    const list = vfE.value && isSeq(vfE.value) ? (vfE.value.items as Node[]) : vfE.value ? [vfE.value] : [];
    for (const n of list) {
      const f = src.value(n);
      if (typeof f !== 'string' || !varsFileName.safeParse(f).success) {
        issues.add(src.pos(n, vfE.keyNode), `vars_files: expected a file name, got ${nodeKind(n)}`);
        continue;
      }
      const abs = path.resolve(ctx.planDir, f);
      const loaded = issues.try(() => readVarsFile(abs, 'vars file'));
      if (loaded) Object.assign(vars, loaded);
      else if (issues.list.at(-1)?.message.startsWith('cannot read file')) {
        issues.list.pop();
        issues.add(src.pos(n), `vars_files: '${f}' not found (looked for ${displayPath(abs)})`);
      }
    }
  }

  // Roles, with their meta.yml dependencies first (each role once per play, unless given params).
  const roleRefs: RoleRef[] = [];
  const rolesE = get('roles');
  if (rolesE && src.value(rolesE.value) !== null) {
    if (!rolesE.value || !isSeq(rolesE.value)) {
      issues.add(src.pos(rolesE.value, rolesE.keyNode), `roles: expected a list of role names, got ${nodeKind(rolesE.value)}`);
    } else {
      for (const item of rolesE.value.items) {
        const req = parseRoleRequest(src, item as Node, issues);
        if (req) expandRole(req, undefined, [], roleRefs, ctx);
      }
    }
  }

  const taskCtx = { src, registry: ctx.registry, issues, baseDir: ctx.planDir };
  const tasksE = get('tasks');
  const tasks = tasksE ? parseTaskList(tasksE.value, { ...taskCtx, handler: false }, 'tasks') : [];
  const handlersE = get('handlers');
  const playHandlers = handlersE ? parseTaskList(handlersE.value, { ...taskCtx, handler: true }, 'handlers') : [];
  if (!tasksE && !rolesE && issues.list.length === before) issues.add(src.pos(node), `play: has neither tasks: nor roles:`);

  // Handlers visible in the play: each role's once, in role order, then the play's own.
  const handlers: TaskDef[] = [];
  const seenRoles = new Set<string>();
  for (const r of roleRefs) {
    if (seenRoles.has(r.role.dir)) continue;
    seenRoles.add(r.role.dir);
    handlers.push(...r.role.handlers);
  }
  handlers.push(...playHandlers);
  checkHandlers(handlers, [...tasks, ...roleRefs.flatMap((r) => r.role.tasks)], issues);

  if (issues.list.length !== before) return undefined;
  const play: Play = {
    name: typeof nv === 'string' && nv !== '' ? nv : hosts,
    hosts,
    vars,
    roles: roleRefs,
    tasks,
    handlers,
    pos: src.pos(node),
  };
  if (hostsE) play.hostsPos = src.pos(hostsE.value, hostsE.keyNode);
  if (become !== undefined) play.become = become;
  if (when !== undefined) play.when = when;
  if (serial !== undefined) play.serial = serial;
  if (maxFail !== undefined) play.maxFailPercentage = maxFail;
  if (forceHandlers !== undefined) play.forceHandlers = forceHandlers;
  return play;
}

/**
 * Add a role (after its dependencies) to the play; `stack` holds the chain for cycle detection.
 * A dependency already in the play, asked for without params or condition, runs once (as Ansible).
 */
function expandRole(req: RoleRequest, fromDir: string | undefined, stack: string[], out: RoleRef[], ctx: PlayContext): void {
  const dir = ctx.roles.find(req, fromDir);
  if (!dir) return;
  if (stack.includes(dir)) {
    const names = [...stack.slice(stack.indexOf(dir)), dir].map((d) => path.basename(d));
    ctx.issues.add(req.pos, `role dependency cycle: ${names.join(' → ')}`);
    return;
  }
  const isDependency = stack.length > 0;
  if (isDependency && Object.keys(req.params).length === 0 && !req.when && out.some((r) => r.role.dir === dir)) return;
  const loaded = ctx.roles.load(path.basename(req.name), dir);
  if (!loaded) return;
  for (const dep of loaded.dependencies) expandRole(dep, dir, [...stack, dir], out, ctx);
  const ref: RoleRef = { role: loaded.def, params: req.params, tags: req.tags, pos: req.pos };
  if (req.when) ref.when = req.when;
  out.push(ref);
}

/** Unique handler names, and every notify names a handler (or a `listen:` alias) of the play. */
function checkHandlers(handlers: TaskDef[], tasks: TaskDef[], issues: Issues): void {
  const byName = new Map<string, TaskDef>();
  for (const h of handlers) {
    const first = byName.get(h.name);
    if (first && first !== h) issues.add(h.pos, `duplicate handler name '${h.name}' (first defined at ${formatHere(first.pos)})`);
    else byName.set(h.name, h);
  }
  const names = new Set<string>([...byName.keys(), ...handlers.flatMap((h) => h.listen ?? [])]);
  for (const t of [...tasks, ...handlers]) {
    const positions = notifyPositions.get(t) ?? [];
    t.notify.forEach((n, i) => {
      if (names.has(n)) return;
      const pos: SourcePos = positions[i] ?? t.pos;
      const known = names.size ? ` (handlers: ${[...names].map((x) => `'${x}'`).join(', ')})` : ' (this play has no handlers)';
      issues.add(pos, `notify: no handler named '${n}' in this play${didYouMean(n, names)}${names.size && !didYouMean(n, names) ? known : names.size ? '' : known}`);
    });
  }
}
