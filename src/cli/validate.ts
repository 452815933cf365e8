// `fleetplan validate`: everything apply checks before contacting a host, and nothing else.
import type { Command } from 'commander';
import { ExitCode } from '../core/errors.js';
import { runSecrets } from './run-secrets.js';
import { addInventoryOptions, addPlanOptions, guard, type PlanOpts } from './common.js';
import { loadInputs, type Inputs } from './inputs.js';
import { playTaskLists } from '../load/plan.js';
import { eachTask } from '../load/task-tree.js';

export function registerValidate(program: Command): void {
  addInventoryOptions(
    addPlanOptions(
      program
        .command('validate')
        .description('check a plan, its roles, templates and variables against an inventory without connecting')
        .argument('<plan>', 'plan file (YAML)'),
    ),
  ).action((planFile: string, opts: PlanOpts) =>
    guard(async () => {
      process.stdout.write(validSummary(planFile, loadInputs(planFile, opts, runSecrets)));
      return ExitCode.ok;
    }),
  );
}

/** "plan.yml: valid (N play(s), N task(s), N host(s))" — also what `apply --syntax-check` prints. */
export function validSummary(planFile: string, inputs: Inputs): string {
  let tasks = 0;
  for (const play of inputs.plan.plays) {
    eachTask(playTaskLists(play).flat(), (t) => {
      if (t.structure?.kind !== 'block' && t.structure?.kind !== 'meta') tasks++;
    });
  }
  return `${planFile}: valid (${inputs.plan.plays.length} play(s), ${tasks} task(s), ${inputs.hosts.length} host(s))\n`;
}
