// `fleetplan apply`: load and validate everything (no host contacted on invalid input), then run,
// or with --check plan only. Exit codes are documented in docs/usage.md "Exit codes".
import type { Command } from 'commander';
import { ExitCode, InputErrors } from '../core/errors.js';
import type { RunSummary } from '../engine/events.js';
import { runPlan, targets } from '../engine/run.js';
import { MAX_SHARDS, parseShard, type Shard } from '../engine/shard.js';
import { inventoryValues } from '../report/inventory-values.js';
import { InvalidArgumentError } from 'commander';
import { tagSelectionErrors } from '../engine/tag-selection.js';
import { ConsoleReporter, GROUP_OVER } from '../report/console.js';
import { HtmlReporter, ReportError } from '../report/html.js';
import { JsonReporter } from '../report/json.js';
import { fanOut, type Reporter } from '../report/reporter.js';
import { addInventoryOptions, addPlanOptions, connectOptions, guard, MAX_TIMEOUT_SECONDS, type PlanOpts, useColor, wholeNumber } from './common.js';
import { loadInputs, type Inputs } from './inputs.js';
import { JsonDocument } from './json-document.js';
import { addVerifyOptions, checkVerifyOptions, verifyLoaded } from './verify.js';
import { verifyExitCode, verifyJson } from '../verify/report.js';
import type { VerifySummary } from '../verify/outcome.js';
import { version } from './version.js';
import { signalExitCode, watchSignals } from './signals.js';
import { runSecrets } from './run-secrets.js';
import { addPlaybookFlags, listing, steering, type PlaybookFlagOpts } from './playbook-flags.js';
import { validSummary } from './validate.js';
import { describeConnections, sshDebug, VERBOSE_OPTION } from './verbosity.js';
import { selectHosts } from '../load/inventory.js';
import { factsCacheDir, startHistory } from './history.js';

export interface ApplyOpts extends PlanOpts, PlaybookFlagOpts {
  check: boolean;
  diff: boolean;
  tags?: string;
  skipTags?: string;
  json: boolean;
  detailedExitcode: boolean;
  /** -v … -vvvv (docs/usage.md "Verbosity"). */
  verbose: number;
  timeout?: number;
  forceHandlers: boolean;
  breakLock: boolean;
  report?: string;
  group?: boolean;
  shard?: Shard;
  verify: boolean;
  probeTimeout: number;
  dnsServer?: string;
}

export function exitCodeOf(summary: RunSummary, detailed: boolean): number {
  if (summary.interrupted) return signalExitCode(summary.interrupted);
  const hosts = Object.values(summary.hosts);
  if (hosts.some((h) => h.failed > 0)) return ExitCode.hostFailed;
  if (hosts.some((h) => h.unreachable)) return ExitCode.unreachable;
  if (detailed && summary.check && hosts.some((h) => h.changed > 0)) return ExitCode.changesPending;
  return ExitCode.ok;
}

function shardOption(value: string): Shard {
  const shard = parseShard(value);
  if (!shard) throw new InvalidArgumentError(`Expected i/n with n from 1 to ${MAX_SHARDS} and i from 1 to n (e.g. 2/4).`);
  return shard;
}

const list = (v?: string) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

export function registerApply(program: Command): void {
  const apply = addInventoryOptions(
    addPlanOptions(addPlaybookFlags(program
      .command('apply')
      .description('bring the hosts to the state the plan describes (--check: only show what would change)')
      .argument('<plan>', 'plan file (YAML)')
      .option('-C, --check', 'dry run: read state and plan every task, change nothing', false)
      .option('-D, --diff', 'show the unified diff of every file and the exact commands', false)
      .option('-t, --tags <tags>', 'only run tasks with one of these tags (comma separated)')
      .option('--skip-tags <tags>', 'skip tasks with one of these tags')
      .option('--json', 'print one JSON document with every host and task on stdout', false)
      .option('--report <file>', 'also write the run as one self-contained HTML page (hosts, tasks, diffs; secrets redacted)')
      .option('--detailed-exitcode', `with --check: exit ${ExitCode.changesPending} when changes are pending`, false)
      .option('--force-handlers', 'run notified handlers on a host even after a task failed there', false)
      .option('--break-lock', 'remove run locks left on hosts by a run that died (see the error naming the holder)', false)
      .option('--timeout <seconds>', 'fail a host whose single remote command runs longer than this', wholeNumber(1, MAX_TIMEOUT_SECONDS))
      .option('--group', `show each distinct change once with the hosts that share it (default from ${GROUP_OVER + 1} hosts on)`)
      .option('--no-group', 'one block per changed host, whatever the number of hosts')
      .option('--shard <i/n>', 'run only shard i of n (a stable partition by host name; docs/scale.md)', shardOption)
      .option(...VERBOSE_OPTION)
      .option('--verify', 'after a successful apply, run `fleetplan verify` on the same hosts (a probe through each relay)', false))),
  );
  addVerifyOptions(apply).action((planFile: string, opts: ApplyOpts) => {
    // Verify's options without --verify would do nothing: a usage error, not a silent no-op.
    const idle = ['probeTimeout', 'dnsServer', 'smarthostTo', 'smtpdCa'].filter((o) => apply.getOptionValueSource(o) === 'cli');
    if (!opts.verify && idle.length) apply.error(`error: ${idle.map((o) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(' and ')} only apply with --verify`);
    checkVerifyOptions(apply, opts);
    return guard(applyRun(planFile, opts));
  });
}

/** apply once its command line is checked; also `fleetplan pull`'s, over the bundle it fetched (src/cli/pull.ts). */
export function applyRun(planFile: string, opts: ApplyOpts): () => Promise<number> {
  return withReport(planFile, opts, async (report) => {
    const inputs = loadInputs(planFile, opts, runSecrets);
    const tagErrors = tagSelectionErrors(inputs.plan, { tags: list(opts.tags), skipTags: list(opts.skipTags) });
    if (tagErrors.length) throw new InputErrors(tagErrors);
    const listed = opts.syntaxCheck
      ? validSummary(planFile, inputs)
      : listing(planFile, inputs, (play) => selectHosts(inputs.inventory, play.hosts, opts.limit), opts, { tags: list(opts.tags), skipTags: list(opts.skipTags) });
    if (listed !== undefined) {
      process.stdout.write(listed);
      return ExitCode.ok;
    }
    const human = opts.json ? process.stderr : process.stdout;
    if (opts.verbose >= 2) human.write(describeConnections(inputs, opts));
    const reporters: Reporter[] = [];
    const allHosts = [...targets(inputs.plan, inputs.inventory, opts.limit).keys()];
    const valuesOf = inventoryValues(inputs.inventory, allHosts, runSecrets);
    report?.setValues(valuesOf);
    if (!opts.json || process.stderr.isTTY) {
      reporters.push(new ConsoleReporter({ diff: opts.diff, verbose: opts.verbose > 0, output: opts.verbose >= 3, out: human, color: useColor(opts, human), group: opts.group, valuesOf }));
    }
    // With --verify the document waits for verify's result, which it then carries as `verify`.
    const json = opts.json ? new JsonDocument(opts.verify && !opts.check) : undefined;
    if (json) reporters.push(new JsonReporter(json.sink, { plan: planFile, valuesOf, shard: opts.shard && { label: `${opts.shard.index}/${opts.shard.count}`, hosts: allHosts } }));
    // Every run goes into the run history (docs/usage.md "Run history"), saved with its exit code.
    const history = startHistory(planFile, opts.inventory);
    reporters.push(history.recorder);
    // Last: the page is written at run-end, after the recap and the JSON document are out.
    if (report) reporters.push(report);
    // Ctrl-C / SIGTERM from here on: stop new work, finish the running commands, release the locks,
    // then the recap, --json and --report as for any run (docs/security.md "Interrupts").
    const signals = watchSignals();
    const summary = await runPlan(
      inputs.plan,
      inputs.inventory,
      {
        check: opts.check,
        forks: opts.forks,
        tags: list(opts.tags),
        skipTags: list(opts.skipTags),
        extraVars: inputs.extraVars,
        limit: opts.limit,
        commandTimeoutMs: opts.timeout !== undefined ? opts.timeout * 1000 : undefined,
        forceHandlers: opts.forceHandlers,
        breakLock: opts.breakLock,
        interrupt: signals.interrupt,
        secrets: runSecrets,
        shard: opts.shard,
        become: opts.become,
        keepOutput: opts.verbose >= 3,
        // Each host's facts of its last run, beside the run history: its first play's state read rides with the facts.
        // history_keep 0 means nothing is written on this machine, so no facts are kept either.
        factsCacheDir: factsCacheDir(),
        ...steering(inputs.plan, opts),
        ...connectOptions(opts),
        ...sshDebug(opts.verbose, human),
      },
      fanOut(reporters),
    ).finally(() => {
      // An aborted run returns while hosts are still busy: a further signal must not find the default handler.
      if (!signals.interrupt.hard) signals.release();
    });
    const code = exitCodeOf(summary, opts.detailedExitcode);
    const verified = await verifyAfterApply(inputs, opts, code, human);
    json?.end(verified && verifyJson(verified));
    const final = verified ? verifyExitCode(verified) : code;
    history.finish(final);
    return final;
  });
}

/** apply --verify: verify runs only after a real apply that succeeded (a dry run sends nothing). */
async function verifyAfterApply(inputs: Inputs, opts: ApplyOpts, code: number, human: NodeJS.WritableStream & { isTTY?: boolean }): Promise<VerifySummary | undefined> {
  if (!opts.verify) return undefined;
  if (opts.check || code !== ExitCode.ok) {
    human.write(`verify: not run (${opts.check ? 'a dry run sends no probe' : `the apply did not succeed, exit ${code}`})\n`);
    return undefined;
  }
  human.write('\nVERIFY\n');
  return verifyLoaded(inputs, opts, human);
}

/**
 * --report: the page is set up before the inputs load, so that it is written even when they are
 * invalid or the run breaks off (with why). A page that cannot be written is an error of its own.
 */
function withReport(planFile: string, opts: ApplyOpts, body: (report?: HtmlReporter) => Promise<number>): () => Promise<number> {
  return async () => {
    const report =
      opts.report === undefined ? undefined : new HtmlReporter({ file: opts.report, plan: planFile, argv: process.argv.slice(2), version: version(), check: opts.check, secrets: runSecrets });
    try {
      return await body(report);
    } catch (err) {
      if (err instanceof ReportError) {
        process.stderr.write(`error: ${err.describe()}\n`);
        return ExitCode.internal;
      }
      const reportErr = report?.stopped(err);
      if (reportErr) process.stderr.write(`error: ${reportErr.describe()}\n`);
      throw err;
    }
  };
}
