// The keywords of a play, declared once (keyword.ts): the loader (src/load/plan.ts) reads a play's keys
// with this table, the editor JSON Schema and the plan language reference are generated from it
// (src/schema), which plugs in tasks with their operations.
import type { SecretRegistry } from '../../core/secret.js';
import path from 'node:path';
import { z } from 'zod';
import type { Operation } from '../../ops/operation.js';
import type { Issues } from '../issues.js';
import type { Play } from '../model.js';
import { displayPath } from '../../core/paths.js';
import type { RoleLoader } from '../role.js';
import { parseTaskList } from '../task.js';
import { readVarsFile } from '../vars.js';
import { parseCondition } from '../when.js';
import { isSeq, isUnreadableFile, nodeKind, type Node } from '../yaml.js';
import { when } from './condition.js';
import { keywordObject, keywordsFor, listItems, type KeywordInput } from './keyword.js';
import { parseRoleRequest, roleEntry, varsMapping } from './role.js';
import { handlerKeywords, taskKeywords } from './task.js';

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

/** A file named in vars_files:. */
export const varsFileName = z.string().min(1);

/** A play needs at least one of these (JSON Schema anyOf; the loader says "has neither"). */
export const PLAY_CONTENT_KEYS = ['tasks', 'roles'] as const;

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
      if (isUnreadableFile(err)) issues.add(src.pos(n), `vars_files: '${f}' not found (looked for ${displayPath(abs)})`);
      else issues.absorb(err);
    }
  }
}

/** The play's task list (`tasks:` or `handlers:`), relative paths resolving against the plan. */
function readTasks(what: 'tasks' | 'handlers', { src, node }: KeywordInput, ctx: PlayContext) {
  return parseTaskList(node, { src, registry: ctx.registry, issues: ctx.issues, baseDir: ctx.planDir, handler: what === 'handlers' }, what);
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
    handlers: kw.structured(
      z.array(handler).nullable().describe('Tasks run once at the end of the play when notified by a task that changed something'),
      (play, at, ctx) => { play.handlers = readTasks('handlers', at, ctx); },
    ),
    become: kw.plain(z.boolean().describe('Run every task with sudo (true) unless a task says otherwise'), 'true or false', (play, v) => {
      play.become = v;
    }),
    // Rolling changes: hosts in batches (a count or "N%"), stopping when too many of a batch fail.
    serial: kw.plain(
      z
        .union([z.int().positive(), z.string().regex(SERIAL_PERCENT)])
        .describe('Roll the play through the hosts in batches of this many hosts, or of this percentage ("25%")'),
      'a positive whole number of hosts or a percentage like "25%"',
      (play, v) => { play.serial = v; },
    ),
    max_fail_percentage: kw.plain(
      z.number().min(0).max(100).describe('Stop the run when more than this percentage of the hosts of a batch failed'),
      'a number from 0 to 100',
      (play, v) => { play.maxFailPercentage = v; },
    ),
    force_handlers: kw.plain(
      z.boolean().describe('Run notified handlers on a host even after a later task failed there'),
      'true or false',
      (play, v) => { play.forceHandlers = v; },
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
