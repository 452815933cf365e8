// The keywords of a task and of a handler, declared once: the loader (src/load/task.ts) takes its key
// lists and value checks from here, the editor JSON Schemas and the plan language reference are
// generated from it (src/schema), which add the operation keys (src/ops/registry.ts).
import { z } from 'zod';
import { when } from './condition.js';
import { templateString } from './templated.js';

/** A handler or tag name; YAML numbers count as names too. */
export const nameItem = z.union([z.string(), z.number()]);
/** One name or a list of names; nothing (`notify:`) means none. */
export const nameList = z.union([nameItem, z.array(nameItem)]);

/** A name a loop item is bound to, usable in templates as `{{<name>}}`. */
export const LOOP_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;


export const loopControl = z
  .object({
    loop_var: z.string().regex(LOOP_VAR).describe('Name of the loop variable instead of `item` (for nested loops or clarity)'),
    label: z.string().describe('Template naming each item in reports instead of the item itself, e.g. "{{item.name}}"'),
  })
  .partial()
  .strict()
  .describe('How a loop names its items (needs loop:)');

export const changedWhenRules = z
  .object({
    rc: z.union([z.int(), z.array(z.int()).min(1)]).describe('Exit code(s) that mean "changed"; any other exit code fails the task'),
    stdout_contains: z.string().describe('Changed only when the output contains this string'),
    stdout_not_contains: z.string().describe('Changed only when the output does not contain this string'),
  })
  .partial()
  .strict();

/** A keyword that needs another (the loader reports it; JSON Schema `dependencies`). */
const keywordNeeds = { dependencies: { loop_control: ['loop'] } };

export const taskKeywords = z
  .object({
    name: z.string().trim().min(1).describe('What the task ensures, shown in reports (default: the operation and its main argument)'),
    when,
    loop: z
      .union([z.array(z.unknown()), templateString])
      .describe('Run the task once per item of this list (or of the list a template such as "{{domains}}" renders to); the item is {{item}}'),
    loop_control: loopControl,
    notify: nameList.nullable().describe('Handler name(s) (or listen: names) to run at the end of the play when this task changed something'),
    tags: nameList.nullable().describe('Tag(s) that --tags / --skip-tags select this task by'),
    become: z.boolean().describe("Run this task's commands with sudo (true) or without (false), overriding the play and the host"),
    changed_when: z
      .union([z.boolean(), changedWhenRules])
      .describe('When a command counts as a change: false (never, e.g. a read-only check), true (always), or rules on its exit code and output'),
    no_log: z.boolean().describe("Hide this task's diff, commands, output and loop labels in every report"),
    secret: z.boolean().describe('The task handles a secret: the same as no_log: true (fleetplan\'s name for it)'),
    ignore_errors: z.boolean().describe('A failure of this task is reported but does not stop the host'),
  })
  .partial()
  .strict()
  .meta(keywordNeeds);

export const handlerKeywords = taskKeywords
  .extend({ listen: nameList.nullable().optional().describe('Further name(s) that notify: may use to trigger this handler') })
  .meta(keywordNeeds);

export const TASK_KEYS = Object.keys(taskKeywords.shape);
export const HANDLER_KEYS = Object.keys(handlerKeywords.shape);
