// The command tree as shell completion needs it, read from the commander program itself (so a new
// command, flag or choice is completed without anyone touching the completion scripts): per command,
// its subcommands, every visible option with its value kind, its positional arguments.
import type { Argument, Command, Option } from 'commander';
import { collect } from '../cli/common.js';

/**
 * What a value is completed with. `plan`: *.yml/*.yaml files and directories; `file`: any file;
 * `directory`: directories; `at-file`: a file after "@" (-e @vars.yml); `choices`: fixed words;
 * `none`: nothing sensible to offer (a number, a pattern).
 */
export type ValueKind = 'plan' | 'file' | 'directory' | 'at-file' | 'choices' | 'none';

export interface ValueSpec {
  kind: ValueKind;
  /** For `choices`. */
  choices?: string[];
  /** The placeholder shown in help ("file", "seconds"). */
  name: string;
}

export interface OptionSpec {
  /** "-i" */
  short?: string;
  /** "--inventory" */
  long?: string;
  description: string;
  /** Absent for a flag. */
  value?: ValueSpec;
  /** May be given several times (-e a=1 -e b=2). */
  repeatable: boolean;
}

export interface ArgumentSpec extends ValueSpec {
  description: string;
  required: boolean;
  variadic: boolean;
}

export interface CommandSpec {
  name: string;
  /** Names from the program down: [] for the program, ["vault", "encrypt"]. */
  path: string[];
  description: string;
  options: OptionSpec[];
  args: ArgumentSpec[];
  subcommands: CommandSpec[];
}

/** Placeholder names (`<file>`, `<plan>`, `[command]`) say what a value is; anything else completes nothing. */
function kindOf(placeholder: string): ValueKind {
  if (placeholder.includes('@file')) return 'at-file';
  if (/^plans?$/.test(placeholder)) return 'plan';
  if (/^files?$/.test(placeholder)) return 'file';
  if (/^dir(s|ectory|ectories)?$/.test(placeholder)) return 'directory';
  return 'none';
}

function valueOf(placeholder: string, choices: readonly string[] | undefined): ValueSpec {
  return choices?.length ? { kind: 'choices', choices: [...choices], name: placeholder } : { kind: kindOf(placeholder), name: placeholder };
}

function optionSpec(o: Option): OptionSpec {
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1];
  return {
    short: o.short,
    long: o.long,
    description: o.description,
    value: placeholder !== undefined && (o.required || o.optional) ? valueOf(placeholder, o.argChoices) : undefined,
    repeatable: o.variadic || o.parseArg === collect,
  };
}

function argumentSpec(a: Argument, siblings: string[], isHelpCommand: boolean): ArgumentSpec {
  // `help [command]` takes the name of a sibling command.
  const value = isHelpCommand ? valueOf(a.name(), siblings) : valueOf(a.name(), a.argChoices);
  return { ...value, description: a.description, required: a.required, variadic: a.variadic };
}

export function completionTree(program: Command): CommandSpec {
  const walk = (cmd: Command, path: string[], siblings: string[], isHelpCommand: boolean): CommandSpec => {
    const help = cmd.createHelp();
    // Includes commander's implicit `help [command]`, which is not among cmd.commands.
    const subcommands = help.visibleCommands(cmd);
    const names = subcommands.map((s) => s.name()).filter((n) => n !== 'help');
    return {
      name: cmd.name(),
      path,
      description: help.subcommandDescription(cmd),
      options: help.visibleOptions(cmd).map(optionSpec),
      args: cmd.registeredArguments.map((a) => argumentSpec(a, siblings, isHelpCommand)),
      subcommands: subcommands.map((s) => walk(s, [...path, s.name()], names, !cmd.commands.includes(s))),
    };
  };
  return walk(program, [], [], false);
}

/** Every command of the tree, the program first, parents before their subcommands. */
export function allCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.subcommands.flatMap(allCommands)];
}
