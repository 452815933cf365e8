// `fleetplan report merge a.json b.json …`: the --json documents of the shards of one run
// (`apply --shard i/n`, docs/scale.md) printed as that run over all their hosts would have printed
// them: the console report, and with --json and --report the document and the page. The exit code
// is the run's (docs/usage.md "Exit codes").
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { ConsoleReporter, GROUP_OVER } from '../report/console.js';
import { HtmlReporter } from '../report/html.js';
import { JsonReporter } from '../report/json.js';
import { fanOut, type Reporter } from '../report/reporter.js';
import { replayShards, shardDocument } from '../report/replay.js';
import { exitCodeOf } from './apply.js';
import { guard, useColor } from './common.js';
import { runSecrets } from './run-secrets.js';
import { version } from './version.js';

interface MergeOpts {
  json: boolean;
  report?: string;
  diff: boolean;
  verbose: boolean;
  group?: boolean;
  detailedExitcode: boolean;
  color: boolean;
}

function readShard(file: string) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { pos: { file: displayPath(file) } });
  }
  try {
    return shardDocument(displayPath(file), JSON.parse(text));
  } catch (err) {
    if (err instanceof SyntaxError) throw new InputError(`not JSON: ${err.message}`, { pos: { file: displayPath(file) } });
    throw err;
  }
}

export function registerReport(program: Command): void {
  const report = program.command('report').description('work with the --json documents of runs');
  report
    .command('merge')
    .description('print the shards of one run (apply --shard i/n --json) as one run over all their hosts')
    .argument('<json...>', "the shards' --json documents")
    .option('--json', 'print the merged JSON document on stdout', false)
    .option('--report <file>', 'also write the merged run as one HTML page')
    .option('-D, --diff', 'show the unified diff of every file and the exact commands', false)
    .option('--group', `show each distinct change once with the hosts that share it (default from ${GROUP_OVER + 1} hosts on)`)
    .option('--no-group', 'one block per changed host, whatever the number of hosts')
    .option('--detailed-exitcode', 'exit 5 when the merged dry run has changes pending', false)
    .option('--no-color', 'no colours')
    .option('-v, --verbose', 'every host and task', false)
    .action((files: string[], opts: MergeOpts) =>
      guard(async () => {
        const run = replayShards(files.map(readShard));
        const human = opts.json ? process.stderr : process.stdout;
        const reporters: Reporter[] = [];
        if (!opts.json || process.stderr.isTTY) {
          // No status line: the run is over, its events arrive at once.
          reporters.push(new ConsoleReporter({ diff: opts.diff, verbose: opts.verbose, out: human, color: useColor(opts, human), live: false, group: opts.group, valuesOf: run.valuesOf }));
        }
        if (opts.json) reporters.push(new JsonReporter(process.stdout, { plan: run.plan, valuesOf: run.valuesOf }));
        if (opts.report !== undefined) {
          reporters.push(new HtmlReporter({ file: opts.report, plan: run.plan ?? files.join(' '), argv: process.argv.slice(2), version: version(), check: run.check, secrets: runSecrets, valuesOf: run.valuesOf }));
        }
        const emit = fanOut(reporters);
        for (const e of run.events) emit(e);
        const end = run.events.at(-1)!;
        return end.type === 'run-end' ? exitCodeOf(end.summary, opts.detailedExitcode) : 0;
      }),
    );
}
