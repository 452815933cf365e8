// `fleetplan validate`: everything apply checks before contacting a host, and nothing else.
import type { Command } from 'commander';
import { ExitCode } from '../core/errors.js';
import { runSecrets } from './run-secrets.js';
import { addInventoryOptions, addPlanOptions, guard, type PlanOpts } from './common.js';
import { loadInputs } from './inputs.js';
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
      const inputs = loadInputs(planFile, opts, runSecrets);
      let tasks = 0;
      for (const play of inputs.plan.plays) {
        eachTask(playTaskLists(play).flat(), (t) => {
          if (t.structure?.kind !== 'block' && t.structure?.kind !== 'meta') tasks++;
        });
      }
      process.stdout.write(`${planFile}: valid (${inputs.plan.plays.length} play(s), ${tasks} task(s), ${inputs.hosts.length} host(s))\n`);
      return ExitCode.ok;
    }),
  );
}
