// ansible-playbook's flags that stop short of a run or steer it: --syntax-check, --list-hosts,
// --list-tasks, --list-tags (print and exit, no host contacted), --start-at-task and --step.
import type { Command } from 'commander';
import { playLeafTasks, tasksBefore } from '../engine/start-at.js';
import { selectedByTags, type TagOptions } from '../engine/tag-selection.js';
import type { Plan, RoleRef, TaskDef } from '../load/model.js';
import { prompt } from '../vault/passphrase.js';
import type { Inputs } from './inputs.js';

/** A command line that cannot work (as commander's own usage errors). */
const USAGE_ERROR = 2;

export interface PlaybookFlagOpts {
  syntaxCheck?: boolean;
  listHosts?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
  startAtTask?: string;
  step?: boolean;
}

export function addPlaybookFlags(cmd: Command): Command {
  return cmd
    .option('--syntax-check', 'check the plan and inventory as `fleetplan validate` does, contact no host')
    .option('--list-hosts', 'print the hosts each play would run on, contact no host')
    .option('--list-tasks', 'print the tasks each play would run (with --tags/--skip-tags applied), contact no host')
    .option('--list-tags', 'print the tags of each play\'s tasks, contact no host')
    .option('--start-at-task <name>', 'pass over every task before the first one with this name ("role : name" also matches)')
    .option('--step', 'ask before each task: (y)es, (n)o, (c)ontinue without asking (needs a terminal)');
}

/** What --list-* print, as ansible-playbook does (one section per play); undefined: none asked. */
export function listing(planFile: string, inputs: Inputs, hostsOf: (play: Plan['plays'][number]) => string[], o: PlaybookFlagOpts, tags: TagOptions): string | undefined {
  if (!o.listHosts && !o.listTasks && !o.listTags) return undefined;
  const out = [`plan: ${planFile}`, ''];
  inputs.plan.plays.forEach((play, i) => {
    out.push(`  play #${i + 1} (${play.hosts}): ${play.name}\tTAGS: [${(play.tags ?? []).join(', ')}]`);
    if (o.listHosts) {
      const hosts = hostsOf(play);
      out.push(`    pattern: ${play.hosts}`, `    hosts (${hosts.length}):`, ...hosts.map((h) => `      ${h}`));
    }
    const tasks = leafTasks(play).filter((t) => selectedByTags(t.tags, tags) === undefined);
    if (o.listTasks) out.push('    tasks:', ...tasks.map((t) => `      ${t.label}\tTAGS: [${t.tags.join(', ')}]`));
    if (o.listTags) out.push(`      TASK TAGS: [${[...new Set(tasks.flatMap((t) => t.tags))].sort().join(', ')}]`);
    out.push('');
  });
  return out.join('\n');
}

function leafTasks(play: Plan['plays'][number]): { label: string; tags: string[] }[] {
  return playLeafTasks(play).map(({ def, ref, label }) => ({ label, tags: [...new Set([...def.tags, ...(ref?.tags ?? []), ...(play.tags ?? [])])] }));
}

/** The run options --start-at-task and --step give; --step without a terminal is a usage error. */
export function steering(plan: Plan, o: PlaybookFlagOpts): { passOver?: ReadonlySet<TaskDef>; step?: (def: TaskDef, ref?: RoleRef) => boolean } {
  const passOver = o.startAtTask !== undefined ? tasksBefore(plan, o.startAtTask) : undefined;
  if (!o.step) return { ...(passOver ? { passOver } : {}) };
  if (!process.stdin.isTTY) {
    process.stderr.write('error: --step asks on a terminal and stdin is not one\n');
    process.exit(USAGE_ERROR);
  }
  return { ...(passOver ? { passOver } : {}), step: stepper() };
}

/** One question per task (the answer holds for every host); "c" stops asking. Asked when the play is planned. */
function stepper(): (def: TaskDef, ref?: RoleRef) => boolean {
  const answers = new Map<TaskDef, boolean>();
  let always = false;
  return (def, ref) => {
    if (always) return true;
    const known = answers.get(def);
    if (known !== undefined) return known;
    let yes = false;
    for (;;) {
      const a = promptEcho(`Perform task: ${ref ? `${ref.role.name} : ` : ''}${def.name} (N)o/(y)es/(c)ontinue: `).trim().toLowerCase();
      if (a === 'c' || a === 'continue') always = yes = true;
      else if (a === 'y' || a === 'yes') yes = true;
      else if (a !== '' && a !== 'n' && a !== 'no') continue;
      break;
    }
    answers.set(def, yes);
    return yes;
  };
}

/** The answer is no secret, but the prompt helper reads without echo: say what was typed. */
function promptEcho(question: string): string {
  const a = prompt(question);
  process.stderr.write(`${a}\n`);
  return a;
}
