// `fleetplan run <pattern> -- <command>` and `fleetplan run <pattern> -m <operation> -a <args>`:
// Ansible's ad-hoc commands. Not a second runner: the command line becomes a one-task play that the
// engine runs as `apply` runs a plan — the same connections, run lock, become, forks, --check/--diff,
// JSON and exit codes — and the console groups hosts whose results are identical.
import type { Command } from 'commander';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { InputError } from '../core/errors.js';
import { runPlan } from '../engine/run.js';
import { loadPlanText } from '../load/plan.js';
import type { Plan, Vars } from '../load/model.js';
import type { Interrupt } from '../engine/interrupt.js';
import type { RunOptions } from '../engine/options.js';
import { GroupedOutputReporter } from '../report/grouped-output.js';
import { JsonReporter } from '../report/json.js';
import { fanOut, type Reporter } from '../report/reporter.js';
import { exitCodeOf } from './apply.js';
import { addInventoryOptions, addPlanOptions, connectOptions, guard, MAX_TIMEOUT_SECONDS, type PlanOpts, rolesPath, useColor, wholeNumber } from './common.js';
import { loadInputs } from './inputs.js';
import { runSecrets } from './run-secrets.js';
import { watchSignals } from './signals.js';
import { describeConnections, sshDebug, VERBOSE_OPTION } from './verbosity.js';

interface RunOpts extends PlanOpts {
  moduleName?: string;
  args?: string;
  check: boolean;
  diff: boolean;
  json: boolean;
  verbose: number;
  timeout?: number;
}

/** What messages call the play the command line makes (it has no file). */
const SOURCE = '(fleetplan run)';
/** Ansible's names of the module that runs a command line; all are fleetplan's `command`. */
const COMMAND_OPS = ['command', 'shell', 'ansible.builtin.command', 'ansible.builtin.shell', 'raw'];

export function registerRun(program: Command): void {
  addInventoryOptions(
    addPlanOptions(
      program
        .command('run')
        .description("ad-hoc: run one command (or, with -m, one operation) on the hosts a pattern selects, as apply would run a one-task play")
        .argument('<pattern>', 'host pattern, as a play\'s hosts: (all, a group, web*, relays:!relay2, relays[0:9]…)')
        .argument('[command...]', "after --: the command line each host's sh runs (quote it as for ssh host '…')")
        .option('-m, --module-name <operation>', 'the operation to run (default: command); Ansible\'s module names are read as in plans')
        .option('-a, --args <args>', "the operation's arguments: key=value words or a YAML/JSON mapping; for command, the command line (a template)")
        .option('-C, --check', 'dry run: say what would change, change nothing', false)
        .option('-D, --diff', 'show the diff of every file and the exact commands', false)
        .option('--json', 'print one JSON document (apply\'s, with rc, stdout and stderr per task) on stdout', false)
        .option('--timeout <seconds>', 'fail a host whose command runs longer than this', wholeNumber(1, MAX_TIMEOUT_SECONDS))
        .option(...VERBOSE_OPTION),
    ),
  ).action((pattern: string, words: string[], opts: RunOpts, cmd: Command) => {
    const task = adhocTask(words, opts, cmd);
    return guard(async () => {
      const inputs = loadInputs(() => adhocPlan(pattern, task, opts), opts, runSecrets);
      const human = opts.json ? process.stderr : process.stdout;
      if (opts.verbose >= 2) human.write(describeConnections(inputs, opts));
      const reporters: Reporter[] = [];
      // -v names every host of each group (else the first few).
      if (!opts.json || process.stderr.isTTY) reporters.push(new GroupedOutputReporter({ diff: opts.diff, verbose: opts.verbose > 0, out: human, color: useColor(opts, human) }));
      if (opts.json) reporters.push(new JsonReporter(process.stdout));
      const signals = watchSignals();
      const options = { ...adhocOptions(opts, inputs.extraVars, signals.interrupt), ...connectOptions(opts), ...sshDebug(opts.verbose, human) };
      const summary = await runPlan(inputs.plan, inputs.inventory, options, fanOut(reporters)).finally(() => {
        if (!signals.interrupt.hard) signals.release();
      });
      return exitCodeOf(summary, false);
    });
  });
}

/** The run's options: apply's, for one task, keeping each command's output for the grouped report. */
function adhocOptions(opts: RunOpts, extraVars: Vars, interrupt: Interrupt): RunOptions {
  const timeout = opts.timeout !== undefined ? { commandTimeoutMs: opts.timeout * 1000 } : {};
  return { keepOutput: true, become: opts.become, secrets: runSecrets, interrupt, check: opts.check, forks: opts.forks, tags: [], skipTags: [], extraVars, limit: opts.limit, ...timeout };
}

interface AdhocTask {
  op: string;
  args: unknown;
  name: string;
}

/** The task the command line asks for; a command line that cannot work is a usage error (exit 2). */
function adhocTask(words: string[], opts: RunOpts, cmd: Command): AdhocTask {
  const op = opts.moduleName ?? 'command';
  if (words.length > 0) {
    if (opts.args !== undefined) cmd.error('error: give the command after -- or with -a, not both');
    if (!COMMAND_OPS.includes(op)) cmd.error(`error: words after the pattern are a command line, for -m command only (-m ${op} takes -a '<args>')`);
    const line = words.join(' ');
    return { op: 'command', args: { cmd: literal(line, cmd) }, name: line };
  }
  if (opts.args === undefined) {
    if (COMMAND_OPS.includes(op)) cmd.error("error: nothing to run: give the command after -- (fleetplan run all -- uptime) or -m <operation> -a '<args>'");
    return { op, args: {}, name: op };
  }
  return { op, args: argsValue(opts.args), name: `${op}: ${opts.args}` };
}

/**
 * A command line after `--` is data: what the operator typed is what each host's sh gets. Task
 * arguments are Handlebars templates, so `{{` is escaped (`\{{` renders as `{{`); a command already
 * holding `\{{` has no escaped form and is refused.
 */
function literal(line: string, cmd: Command): string {
  if (line.includes('\\{{')) cmd.error("error: a command holding '\\{{' cannot be passed as it is: put it in a script on the hosts, or give it with -a (a template)");
  return line.replace(/\{\{/g, '\\{{');
}

/** -a: a YAML/JSON mapping is the arguments; anything else (key=value words, a command line) the operation's free form. */
function argsValue(text: string): unknown {
  if (/^\s*\{/.test(text)) {
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch (err) {
      throw new InputError(`-a: not a YAML/JSON mapping: ${(err as Error).message.split('\n')[0]}`);
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  }
  return text;
}

/** The one-task play, written as YAML and loaded as any plan is (so it is checked as any plan is). */
function adhocPlan(pattern: string, task: AdhocTask, opts: RunOpts): Plan {
  const play = { name: `run: ${task.name}`, hosts: pattern, gather_facts: false, tasks: [{ name: task.name, [task.op]: task.args }] };
  return loadPlanText(stringify([play]), SOURCE, path.resolve('.'), { rolesPath: rolesPath(opts.rolesPath), secrets: runSecrets });
}
