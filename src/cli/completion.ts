// `fleetplan completion bash|zsh|fish`: prints a completion script for the shell, generated from this
// very program's commander tree, so it always matches the installed version's commands and flags.
import { Argument, type Command } from 'commander';
import { bashScript } from '../completion/bash.js';
import { fishScript } from '../completion/fish.js';
import { completionTree } from '../completion/model.js';
import { zshScript } from '../completion/zsh.js';

const SHELLS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print the shell completion script (commands, flags, plan and file paths); see docs/terminal.md')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(Object.keys(SHELLS)))
    .addHelpText(
      'after',
      `
Install:
  bash  echo 'source <(fleetplan completion bash)' >> ~/.bashrc
  zsh   echo 'source <(fleetplan completion zsh)' >> ~/.zshrc   (after compinit)
  fish  fleetplan completion fish > ~/.config/fish/completions/fleetplan.fish`,
    )
    .action((shell: keyof typeof SHELLS) => {
      process.stdout.write(SHELLS[shell](completionTree(program)));
    });
}
