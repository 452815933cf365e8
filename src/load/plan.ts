// Plan loading: a plan file is one play (a mapping) or a list of plays. Everything is checked here,
// before any host is contacted: keys, operations and their arguments, roles, conditions, handler
// names. A play's keys are read with the table of keywords/play.ts; what is left here is what spans
// keys (a play has tasks or roles, handlers of roles and play together). Errors are collected across
// the whole plan and thrown together (InputErrors).
import path from 'node:path';
import { formatPos, type SourcePos } from '../core/errors.js';
import type { Operation } from '../ops/operation.js';
import { operations } from '../ops/registry.js';
import { Issues, didYouMean } from './issues.js';
import { readKeywords } from './keywords/keyword.js';
import { PLAY_CONTENT_KEYS, PLAY_KEYS, PLAY_KEYWORDS, type PlayContext } from './keywords/play.js';
import type { Plan, Play, TaskDef } from './model.js';
import type { SecretRegistry } from '../core/secret.js';
import { bundledRolesDir } from '../core/paths.js';
import { RoleLoader } from './role.js';
import { eachTask, rolesIn } from './task-tree.js';
import { YamlSource, isMap, isSeq, nodeKind, type Node } from './yaml.js';
import { ansibleKeyHint } from './ansible-isms/keywords.js';

export { PLAY_KEYS };

export interface LoadPlanOptions {
  /** Extra role directories (`--roles-path`, FLEETPLAN_ROLES_PATH), searched after <plan dir>/roles. */
  rolesPath: string[];
  /** Operations a task may name (tests pass their own). */
  registry?: ReadonlyMap<string, Operation>;
  /** Roles shipped with fleetplan, searched last (default: <package root>/roles). */
  bundledRolesDir?: string;
  /** The run's secret registry: `!secret`, `!vault`, vault files and `secret_env` register into it. */
  secrets: SecretRegistry;
}

export function loadPlan(file: string, opts: LoadPlanOptions): Plan {
  const abs = path.resolve(file);
  return loadPlanSource(YamlSource.read(abs, opts.secrets), abs, path.dirname(abs), opts);
}

/** A plan given as text (`fleetplan run` builds a one-task play): `name` stands for its file in messages. */
export function loadPlanText(text: string, name: string, planDir: string, opts: LoadPlanOptions): Plan {
  return loadPlanSource(YamlSource.parse(text, name, opts.secrets), name, planDir, opts);
}

function loadPlanSource(src: YamlSource, abs: string, planDir: string, opts: LoadPlanOptions): Plan {
  const issues = new Issues();
  const registry = opts.registry ?? operations;
  const roles = new RoleLoader(
    { planDir, rolesPath: opts.rolesPath, bundledRolesDir: opts.bundledRolesDir ?? bundledRolesDir(), secrets: opts.secrets },
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
    const play = parsePlay(src, node, { issues, registry, roles, planDir, secrets: opts.secrets });
    if (play) plays.push(play);
  }
  issues.throwIfAny();
  return { file: abs, plays };
}

function parsePlay(src: YamlSource, node: Node | null, ctx: PlayContext): Play | undefined {
  const { issues } = ctx;
  if (!node || !isMap(node)) {
    issues.add(src.pos(node), `play: expected a mapping with hosts: and tasks: or roles:, got ${nodeKind(node)}`);
    return undefined;
  }
  const before = issues.list.length;
  const entries = src.entries(node);
  for (const e of entries) {
    if (!PLAY_KEYS.includes(e.key)) {
      const asOp = ctx.registry.has(e.key) ? ' (operations go in a task under tasks:)' : '';
      const ansible = ansibleKeyHint(e.key, 'play', ctx.registry);
      issues.add(src.pos(e.keyNode), ansible ?? `unknown play key '${e.key}'${didYouMean(e.key, PLAY_KEYS)}${asOp} (expected ${PLAY_KEYS.join(', ')})`);
    }
  }
  const play: Play = { name: '', hosts: '', vars: {}, roles: [], preTasks: [], tasks: [], postTasks: [], tags: [], taskRoles: [], handlers: [], pos: src.pos(node) };
  readKeywords(PLAY_KEYWORDS, play, src, node, entries, issues, ctx, { what: 'play' });
  if (!PLAY_CONTENT_KEYS.some((k) => entries.some((e) => e.key === k)) && issues.list.length === before) {
    issues.add(src.pos(node), `play: has neither ${PLAY_CONTENT_KEYS.map((k) => `${k}:`).join(' nor ')}`);
  }
  play.name ||= play.hosts;
  // Roles imported or included by a task list: their handlers are the play's too.
  play.taskRoles = rolesIn(playTaskLists(play).flat());
  // Handlers visible in the play: each role's once, in role order (imported ones after), then the play's own.
  const refs = [...play.roles, ...play.taskRoles];
  const roleDirs = [...new Set(refs.map((r) => r.role.dir))];
  const roleHandlers = roleDirs.flatMap((dir) => refs.find((r) => r.role.dir === dir)!.role.handlers);
  play.handlers = [...roleHandlers, ...play.handlers];
  const tasks: TaskDef[] = [];
  eachTask(playTaskLists(play).flat(), (t) => tasks.push(t));
  checkHandlers(play.handlers, tasks, issues);
  return issues.list.length === before ? play : undefined;
}

/** Every task list of a play, in the order they run: pre_tasks, each role's tasks, tasks, post_tasks. */
export function playTaskLists(play: Play): TaskDef[][] {
  return [play.preTasks ?? [], ...play.roles.map((r) => r.role.tasks), play.tasks, play.postTasks ?? []];
}

/** Unique handler names, and every notify names a handler (or a `listen:` alias) of the play. */
function checkHandlers(handlers: TaskDef[], tasks: TaskDef[], issues: Issues): void {
  const byName = new Map<string, TaskDef>();
  for (const h of handlers) {
    const first = byName.get(h.name);
    if (first && first !== h) issues.add(h.pos, `duplicate handler name '${h.name}' (first defined at ${formatPos(first.pos)})`);
    else byName.set(h.name, h);
  }
  const names = new Set<string>([...byName.keys(), ...handlers.flatMap((h) => h.listen ?? [])]);
  for (const t of [...tasks, ...handlers]) {
    t.notify.forEach((n, i) => {
      if (names.has(n)) return;
      const pos: SourcePos = t.notifyPos?.[i] ?? t.pos;
      const known = names.size ? ` (handlers: ${[...names].map((x) => `'${x}'`).join(', ')})` : ' (this play has no handlers)';
      issues.add(pos, `notify: no handler named '${n}' in this play${didYouMean(n, names)}${names.size && !didYouMean(n, names) ? known : names.size ? '' : known}`);
    });
  }
}
