// The keywords of a play, declared once (keyword.ts): the loader (src/load/plan.ts) reads a play's keys
// with this table, the editor JSON Schema and the plan language reference are generated from it
// (src/schema), which plugs in tasks with their operations.
import type { SecretRegistry } from '../../core/secret.js';
import path from 'node:path';
import { z } from 'zod';
import type { Operation } from '../../ops/operation.js';
import type { Issues } from '../issues.js';
import type { Play, TaskDef } from '../model.js';
import { displayPath } from '../../core/paths.js';
import type { RoleLoader } from '../role.js';
import { parseTaskList } from '../task.js';
import { structureReader } from '../task-tree.js';
import { readVarsFile } from '../vars.js';
import { parseCondition } from '../when.js';
import { isSeq, isUnreadableFile, nodeKind, type Node } from '../yaml.js';
import { when } from './condition.js';
import { keywordObject, keywordsFor, listItems, type KeywordInput } from './keyword.js';
import { parseRoleRequest, roleEntry, varsMapping } from './role.js';
import { becomeMethod, becomeUser, handlerKeywords, nameList, readEnvironment, readNames, taskEnvironment, taskKeywords } from './task.js';

/** What reading a play needs besides its YAML. */
export interface PlayContext {
  issues: Issues;
  registry: ReadonlyMap<string, Operation>;
  roles: RoleLoader;
  planDir: string;
  /** The run's secret registry (vars_files may hold secrets). */
  secrets: SecretRegistry;
}

/** Hosts per batch: a count, or a percentage of the play's hosts. */
const SERIAL_PERCENT = /^(100|[1-9]\d?)%$/;
const serialSize = z.union([z.int().positive(), z.string().regex(SERIAL_PERCENT)]);

/** A file named in vars_files:. */
export const varsFileName = z.string().min(1);

/** A play needs at least one of these (JSON Schema anyOf; the loader says "has neither"). */
export const PLAY_CONTENT_KEYS = ['tasks', 'roles', 'pre_tasks', 'post_tasks'] as const;

/** Each file of `vars_files:`, loaded after `vars:` (later files win); a missing one is named at its entry. */
function readVarsFiles(play: Play, { src, issues, node, entry }: KeywordInput, ctx: PlayContext): void {
  if (src.value(node) === null) return;
  const list = node && isSeq(node) ? (node.items as Node[]) : node ? [node] : [];
  for (const n of list) {
    const f = src.value(n);
    if (typeof f !== 'string' || !varsFileName.safeParse(f).success) {
      issues.add(src.pos(n, entry.keyNode), `vars_files: expected a file name, got ${nodeKind(n)}`);
      continue;
    }
    const abs = path.resolve(ctx.planDir, f);
    try {
      Object.assign(play.vars, readVarsFile(abs, 'vars file', ctx.secrets));
    } catch (err) {
      // Ansible's per-OS vars_files pattern: fleetplan's roles choose vars/<os_family>.yml themselves.
      const perOs = f.includes('{{') ? "; file names are not templates: a role's vars/<os_family>.yml, vars/<distribution>.yml are chosen from facts by themselves" : '';
      if (isUnreadableFile(err)) issues.add(src.pos(n), `vars_files: '${f}' not found (looked for ${displayPath(abs)})${perOs}`);
      else issues.absorb(err);
    }
  }
}

/** A task list of the play (`tasks:`, `pre_tasks:`, `post_tasks:`, `handlers:`), relative paths resolving against the plan. */
function readTasks(what: 'tasks' | 'pre_tasks' | 'post_tasks' | 'handlers', { src, node }: KeywordInput, ctx: PlayContext) {
  const handler = what === 'handlers';
  return parseTaskList(node, { src, registry: ctx.registry, secrets: ctx.secrets, issues: ctx.issues, baseDir: ctx.planDir, handler, structure: structureReader(ctx.roles) }, what);
}

/** The play's other task lists and what its every task gets (pre_tasks, post_tasks, tags, environment). */
function playTaskKeywords(task: z.ZodType) {
  const kw = keywordsFor<Play, PlayContext>();
  return {
    pre_tasks: kw.structured(
      z.array(task).nullable().describe('Tasks run before the roles; the handlers they notified run right after them. Dry run: the same order, handlers planned at that point'),
      (play, at, ctx) => { play.preTasks = readTasks('pre_tasks', at, ctx); },
    ),
    post_tasks: kw.structured(
      z.array(task).nullable().describe('Tasks run after the handlers notified by the roles and tasks have run; their own notified handlers run after them. Dry run: the same order, handlers planned at each point'),
      (play, at, ctx) => { play.postTasks = readTasks('post_tasks', at, ctx); },
    ),
    tags: kw.structured(
      nameList.nullable().describe('Tag(s) every task of the play carries (its roles\' tasks too), for --tags / --skip-tags. Dry run: the same selection'),
      (play, { src, node, issues }) => { play.tags = readNames(src, node, 'tags', issues).names; },
    ),
    environment: kw.structured(
      taskEnvironment.describe('Environment variables for the commands of every task of the play (a task\'s or block\'s own environment: wins); exported by the host\'s shell, never on a command line. Dry run: shown in the commands that would run'),
      (play, at) => {
        const holder: Pick<TaskDef, 'environment'> = {};
        readEnvironment(holder, at);
        if (holder.environment) play.environment = holder.environment;
      },
    ),
  };
}

/** How the play rolls through its hosts and becomes: batches, failure limits, become user and method. */
function rollingKeywords() {
  const kw = keywordsFor<Play, PlayContext>();
  return {
    // Rolling changes: hosts in batches (a count or "N%"), stopping when too many of a batch fail.
    serial: kw.plain(
      z
        .union([serialSize, z.array(serialSize).min(1)])
        .describe('Roll the play through the hosts in batches of this many hosts, or of this percentage ("25%"); a list gives the batch sizes in turn, the last repeating ([1, 5, "50%"])'),
      'a positive whole number of hosts, a percentage like "25%", or a list of them',
      (play, v) => { play.serial = v; },
    ),
    any_errors_fatal: kw.plain(
      z.boolean().describe('A failed task on any host stops the play (and the run) on every host once they all finished that task. Dry run: the same, for a failure the dry run finds'),
      'true or false',
      (play, v) => { play.anyErrorsFatal = v; },
    ),
    become_user: kw.plain(becomeUser.describe('User every task runs as through become, unless a task says otherwise'), 'a user name', (play, v) => {
      play.becomeUser = v;
    }),
    become_method: kw.plain(becomeMethod.describe('How tasks become become_user: sudo, su or doas, unless a task says otherwise'), 'sudo, su or doas', (play, v) => {
      play.becomeMethod = v;
    }),
    max_fail_percentage: kw.plain(
      z.number().min(0).max(100).describe('Stop the run when more than this percentage of the hosts of a batch failed'),
      'a number from 0 to 100',
      (play, v) => { play.maxFailPercentage = v; },
    ),
  };
}

/** The play's keyword table, with `tasks:` and `handlers:` items of the given schemas (the generator adds operations). */
function playTable(task: z.ZodType, handler: z.ZodType) {
  const kw = keywordsFor<Play, PlayContext>();
  return {
    name: kw.plain(z.string().min(1).describe('Name of the play in reports (default: its host pattern)'), 'a string', (play, v) => {
      play.name = v;
    }),
    hosts: kw.plain(
      z
        .union([z.string().trim().min(1), z.array(z.string()).min(1)])
        .describe('Host pattern(s), as Ansible: all, a group, a host, web*, ~regex, a:b (union), a:&b (intersection), a:!b (except); a list is a union'),
      'a host pattern or a list of patterns',
      (play, v, at) => {
        play.hosts = typeof v === 'string' ? v.trim() : v.join(',');
        play.hostsPos = at.pos;
      },
      { required: 'a host pattern such as all, a group or web*' },
    ),
    when: kw.structured(when.describe('Hosts where this condition is false (by facts or variables) skip the whole play'), (play, { src, node, issues }) => {
      const cond = parseCondition(src, node, issues);
      if (cond !== undefined) play.when = cond;
    }),
    vars: kw.plain(varsMapping.nullable().describe('Plan variables (above inventory variables in precedence)'), 'a mapping of variables', (play, v) => {
      Object.assign(play.vars, v);
    }),
    vars_files: kw.structured(
      z
        .union([varsFileName, z.array(varsFileName)])
        .nullable()
        .describe('Variable file(s), relative to the plan, loaded after vars: (later files win); may be encrypted with fleetplan vault'),
      readVarsFiles,
    ),
    // Roles, with their meta.yml dependencies first (each role once per play, unless given params).
    roles: kw.structured(
      z.array(roleEntry).nullable().describe('Roles to run, in order, before the tasks; their meta.yml dependencies first'),
      (play, at, ctx) => {
        for (const item of listItems(at, 'a list of role names')) {
          const req = parseRoleRequest(at.src, item, at.issues);
          if (req) ctx.roles.expand(req, play.roles);
        }
      },
    ),
    tasks: kw.structured(z.array(task).nullable().describe('Tasks run after the roles, in order'), (play, at, ctx) => {
      play.tasks = readTasks('tasks', at, ctx);
    }),
    ...playTaskKeywords(task),
    handlers: kw.structured(
      z.array(handler).nullable().describe('Tasks run once at the end of the play when notified by a task that changed something'),
      (play, at, ctx) => { play.handlers = readTasks('handlers', at, ctx); },
    ),
    become: kw.plain(z.boolean().describe('Run every task with sudo (true) unless a task says otherwise'), 'true or false', (play, v) => {
      play.become = v;
    }),
    ...rollingKeywords(),
    force_handlers: kw.plain(
      z.boolean().describe('Run notified handlers on a host even after a later task failed there'),
      'true or false',
      (play, v) => { play.forceHandlers = v; },
    ),
    gather_facts: kw.plain(
      z
        .boolean()
        .describe(
          'false: gather only the OS identity fleetplan needs to pick backends (facts.os_family, distribution*, init, pkg_mgr, system, kernel, arch, hostname, user, uid, check_mode), not fqdn, addresses, virtualization or local facts — unless another play of the run on the same host gathers them. Facts are gathered once per host and run, in the exec that starts it. Dry run: the same',
        ),
      'true or false',
      (play, v) => { play.gatherFacts = v; },
    ),
  };
}

/** A play whose `tasks:` and `handlers:` items are `task` and `handler`, for the JSON Schema. */
export function playOf(task: z.ZodType, handler: z.ZodType) {
  return keywordObject(playTable(task, handler)).meta({ anyOf: PLAY_CONTENT_KEYS.map((k) => ({ required: [k] })) });
}

/** The play keywords the loader reads (tasks are checked by src/load/task.ts, item by item). */
export const PLAY_KEYWORDS = playTable(taskKeywords, handlerKeywords);

export const PLAY_KEYS = Object.keys(PLAY_KEYWORDS);
