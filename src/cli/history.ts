// The run history: every `apply` (dry run or not) is recorded (src/report/history-store.ts) in
// history_dir (default $XDG_STATE_HOME/fleetplan, else ~/.local/state/fleetplan); `fleetplan history`
// lists the runs, `fleetplan history show <id>` shows one, as JSON, or as the HTML report of --report.
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import path from 'node:path';
import { displayPath } from '../core/paths.js';
import { shQuote } from '../core/quote.js';
import { writeAtomic } from '../core/write-atomic.js';
import { HistoryRecorder } from '../report/history-recorder.js';
import { findRun, readRecord, runIds, toRunRecord, type HistoryOptions, type HistoryRecord } from '../report/history-store.js';
import { checkReportPath } from '../report/html.js';
import { renderReport } from '../report/html-page.js';
import { formatDuration } from '../report/duration.js';
import { countsText } from '../report/recap.js';
import type { Reporter } from '../report/reporter.js';
import { visible } from '../report/visible.js';
import { currentSettings } from './config.js';
import { fileCommandGuard } from './common.js';
import { runSecrets } from './run-secrets.js';
import { version } from './version.js';

export function historyOptions(): HistoryOptions {
  const s = currentSettings().settings;
  const n = (key: string) => s.get(key)!.value as number;
  return { dir: s.get('history_dir')!.value as string, keep: n('history_keep'), maxAgeDays: n('history_max_age_days'), maxMiB: n('history_max_mib') };
}

/** Where each host's facts of its last run are kept (beside the runs), or undefined when history_keep is 0. */
export function factsCacheDir(): string | undefined {
  const options = historyOptions();
  return options.keep === 0 ? undefined : path.join(options.dir, 'facts');
}

/** The recorder of this apply; `finish` saves it once the exit code is known (a failure to save is a warning). */
export function startHistory(planFile: string, inventoryFile: string | string[]): { recorder: Reporter; finish: (exitCode: number) => void } {
  const options = historyOptions();
  if (options.keep === 0) return { recorder: { handle: () => undefined }, finish: () => undefined };
  const recorder = new HistoryRecorder({ planFile, inventoryFile, argv: process.argv.slice(2), version: version(), secrets: runSecrets, options });
  return {
    recorder,
    finish: (exitCode) => {
      const { problem } = recorder.save(exitCode);
      if (problem) process.stderr.write(`warning: ${runSecrets.redact(problem)}\n`);
    },
  };
}

const mode = (r: HistoryRecord) => (r.check ? 'dry run' : 'apply');
const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function totals(r: HistoryRecord): string {
  const stats = Object.values(r.summary?.hosts ?? {});
  const n = (f: (s: (typeof stats)[number]) => boolean) => stats.filter(f).length;
  return `${r.hosts.length} host(s): ${n((s) => s.changed > 0)} changed, ${n((s) => s.failed > 0)} failed, ${n((s) => s.unreachable)} unreachable${r.summary ? '' : ' (unfinished)'}`;
}

function list(dir: string): string {
  const ids = runIds(dir);
  if (!ids.length) return `no run recorded yet in ${dir}\n`;
  const lines = ids.reverse().map((id) => {
    try {
      const r = readRecord(dir, id);
      return `${id}  ${when(r.startedAt)}  ${mode(r).padEnd(7)}  exit ${String(r.exitCode).padEnd(3)}  ${displayPath(r.plan.file)}  ${totals(r)}`;
    } catch (err) {
      return `${id}  unreadable: ${(err as Error).message}`;
    }
  });
  return `${lines.join('\n')}\n`;
}

function describe(r: HistoryRecord): string {
  const took = formatDuration(Date.parse(r.endedAt) - Date.parse(r.startedAt));
  const out = [
    `run ${r.id}: ${mode(r)} of ${displayPath(r.plan.file)}, exit ${r.exitCode}`,
    `started ${when(r.startedAt)}, took ${took}, fleetplan ${r.version}, in ${r.cwd}`,
    `command: fleetplan ${r.argv.map(shQuote).join(' ')}`,
    `plan: ${r.plan.file} sha256 ${r.plan.sha256 ?? 'unknown'}`,
    `inventory: ${r.inventory.file} sha256 ${r.inventory.sha256 ?? 'unknown'}`,
    totals(r),
  ];
  const pad = Math.max(4, ...r.hosts.map((h) => h.name.length));
  for (const h of r.hosts) {
    out.push(`${h.name.padEnd(pad)}  ${h.stats ? countsText(h.stats) : 'unfinished'}${h.error ? `  ${h.error.split('\n')[0]}` : ''}`);
    for (const t of h.tasks) {
      if (t.status !== 'changed' && !(t.status === 'failed' && !t.ignored)) continue;
      const word = t.status === 'failed' ? 'failed' : r.check ? 'would change' : 'changed';
      out.push(`  ${word.padEnd(12)}  ${t.role ? `${t.role}: ` : ''}${t.handler ? 'handler ' : ''}${t.task}${t.error ? `: ${t.error.split('\n')[0]}` : ''}`);
    }
  }
  return `${visible(out.join('\n'))}\n`;
}

function show(wanted: string, opts: { json: boolean; report?: string }): void {
  const { dir } = historyOptions();
  const found = findRun(dir, wanted);
  if (!found.id) throw new InputError(found.problem!);
  const r = readRecord(dir, found.id);
  if (opts.report !== undefined) {
    checkReportPath(opts.report);
    const page = renderReport(toRunRecord(r), {
      plan: displayPath(r.plan.file),
      commandLine: ['fleetplan', ...r.argv].map(shQuote).join(' '),
      version: r.version,
      writtenAt: new Date(),
      stopped: r.summary ? undefined : 'the run did not finish',
    });
    writeAtomic(opts.report, page, undefined, 0o644);
    process.stdout.write(`wrote ${opts.report} (run ${r.id})\n`);
    return;
  }
  process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : describe(r));
}

export function registerHistory(program: Command): void {
  const history = program
    .command('history')
    .description('the runs of apply recorded on this machine (dry runs too): list them, show one, render one as an HTML report');
  history
    .command('list', { isDefault: true })
    .description('every recorded run, newest first: id, start, dry run or apply, exit code, plan, hosts changed/failed/unreachable')
    .action(() => fileCommandGuard(() => void process.stdout.write(list(historyOptions().dir))));
  history
    .command('show')
    .description("one run: its command line, plan and inventory digests, each host's counts and changed or failed tasks")
    .argument('<id>', "the run's id, a unique prefix of it, or 'last'")
    .option('--json', 'the whole record as JSON (secrets redacted, written files as hashes and diffs)', false)
    .option('--report <file>', 'write the run as the self-contained HTML page of apply --report instead')
    .action((id: string, opts: { json: boolean; report?: string }) => fileCommandGuard(() => show(id, opts)));
}
