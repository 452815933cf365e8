// The keys of a play, declared once: the loader (src/load/plan.ts) takes its key list and value checks
// from here, the editor JSON Schema and the plan language reference are generated from it
// (src/schema), which plugs in tasks with their operations.
import { z } from 'zod';
import { when } from './condition.js';
import { roleEntry, varsMapping } from './role.js';
import { handlerKeywords, taskKeywords } from './task.js';

/** Hosts per batch: a count, or a percentage of the play's hosts. */
const SERIAL_PERCENT = /^(100|[1-9]\d?)%$/;

/** A file named in vars_files:. */
export const varsFileName = z.string().min(1);

/** A play whose `tasks:` and `handlers:` items are `task` and `handler` (the generator adds operations). */
export function playOf<T extends z.ZodType, H extends z.ZodType>(task: T, handler: H) {
  return z
    .object({
      name: z.string().min(1).describe('Name of the play in reports (default: its host pattern)'),
      hosts: z
        .union([z.string().trim().min(1), z.array(z.string()).min(1)])
        .describe('Host pattern(s), as Ansible: all, a group, a host, web*, ~regex, a:b (union), a:&b (intersection), a:!b (except); a list is a union'),
      when: when.describe('Hosts where this condition is false (by facts or variables) skip the whole play'),
      vars: varsMapping.nullable().describe('Plan variables (above inventory variables in precedence)'),
      vars_files: z
        .union([varsFileName, z.array(varsFileName)])
        .nullable()
        .describe('Variable file(s), relative to the plan, loaded after vars: (later files win); may be encrypted with fleetplan vault'),
      roles: z.array(roleEntry).nullable().describe('Roles to run, in order, before the tasks; their meta.yml dependencies first'),
      tasks: z.array(task).nullable().describe('Tasks run after the roles, in order'),
      handlers: z.array(handler).nullable().describe('Tasks run once at the end of the play when notified by a task that changed something'),
      become: z.boolean().describe('Run every task with sudo (true) unless a task says otherwise'),
      serial: z
        .union([z.int().positive(), z.string().regex(SERIAL_PERCENT)])
        .describe('Roll the play through the hosts in batches of this many hosts, or of this percentage ("25%")'),
      max_fail_percentage: z
        .number()
        .min(0)
        .max(100)
        .describe('Stop the run when more than this percentage of the hosts of a batch failed'),
      force_handlers: z.boolean().describe('Run notified handlers on a host even after a later task failed there'),
    })
    .partial({
      name: true, when: true, vars: true, vars_files: true, roles: true, tasks: true, handlers: true,
      become: true, serial: true, max_fail_percentage: true, force_handlers: true,
    })
    .strict()
    .meta({ anyOf: [{ required: ['tasks'] }, { required: ['roles'] }] });
}

/** The play keys for the loader (tasks are checked by src/load/task.ts, item by item). */
export const playKeywords = playOf(taskKeywords, handlerKeywords);

export const PLAY_KEYS = Object.keys(playKeywords.shape);
