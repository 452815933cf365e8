// The human report. Its length follows what happened, not the number of hosts: a block for each host
// that changed or failed (every host under --verbose) — or, over GROUP_OVER hosts, each distinct
// change once with the hosts that share it (src/report/group.ts) — a recap, and meanwhile one status line —
// redrawn in place on a terminal, printed now and then into a pipe or CI log (never one line per
// host per task there, and no cursor escapes).
import pc from 'picocolors';
type Colors = ReturnType<typeof pc.createColors>;
import type { RunEvent, TaskResult } from '../engine/events.js';
import { commandLine } from './command-line.js';
import { blockWanted, hostBlock, type FinishedHost } from './host-block.js';
import { RunProgress } from './progress.js';
import { renderRecap } from './recap.js';
import type { Reporter } from './reporter.js';
import { statusLine } from './status-line.js';
import { liveCapable, type OutputStream } from './terminal.js';
import { signalName } from '../engine/interrupt.js';
import { visibleDeep } from './visible.js';
import type { Facts } from '../facts/facts.js';
import { ChangeGrouper, hostValues, type ValuesOf } from './group.js';
import { renderGroups } from './group-console.js';

export interface ConsoleOptions {
  diff: boolean;
  verbose: boolean;
  /** -vvv: each task's command output (stdout, stderr) under it. */
  output?: boolean;
  /** Where the report goes (stdout, or stderr under --json). */
  out: NodeJS.WritableStream & OutputStream;
  color: boolean;
  /** Redraw a status line in place; default: `out` is a terminal that takes cursor escapes. */
  live?: boolean;
  /** Without a live line: at most one plain progress line per this many ms (default 15 s). */
  progressEveryMs?: number;
  /** The clock (tests drive elapsed times with their own). */
  now?: () => number;
  /** Each distinct change once with its hosts, instead of a block per host; default: over GROUP_OVER hosts, not under --verbose. */
  group?: boolean;
  /** A host's own values, by placeholder, for grouping (default: its name and facts). */
  valuesOf?: ValuesOf;
}

/** From this many hosts on, a run's changes are grouped by default (docs/reports.md "Grouped output"). */
export const GROUP_OVER = 10;
/** Hosts of a group whose own values are printed. */
const VALUE_ROWS = 5;

/** Redraws are throttled: a burst of events from 200 hosts must not become a burst of writes. */
const REDRAW_MS = 100;
/** On a terminal the line is also redrawn while nothing happens, so elapsed times keep counting. */
const IDLE_REDRAW_MS = 500;
/** Width of lines written where the terminal width is unknown (a pipe). */
const PIPE_WIDTH = 160;
const SLOWEST = 3;

export class ConsoleReporter implements Reporter {
  private readonly c: Colors;
  private readonly live: boolean;
  private readonly now: () => number;
  private readonly progressEveryMs: number;
  private readonly progress = new RunProgress();
  private readonly results = new Map<string, TaskResult[]>();
  private readonly errors = new Map<string, string>();
  private readonly facts = new Map<string, Facts>();
  /** Set at run-start when this run's changes are grouped. */
  private grouper?: ChangeGrouper;
  private running = false;
  /** The status line is on screen, unterminated: the next write must erase it first. */
  private statusShown = false;
  private lastStatus = -Infinity;
  private timer?: NodeJS.Timeout;

  constructor(private readonly opts: ConsoleOptions) {
    this.c = pc.createColors(opts.color);
    this.live = opts.live ?? liveCapable(opts.out);
    this.now = opts.now ?? Date.now;
    this.progressEveryMs = opts.progressEveryMs ?? 15_000;
  }

  handle(event: RunEvent): void {
    // Host-supplied text (diffs, output, errors, names) reaches the terminal only made visible.
    const e = event.type === 'host-facts' ? event : visibleDeep(event);
    const now = this.now();
    switch (e.type) {
      case 'run-start':
        this.progress.begin(e.hosts.length);
        this.running = true;
        if (this.opts.group ?? (!this.opts.verbose && e.hosts.length > GROUP_OVER)) this.grouper = new ChangeGrouper(e.hosts);
        this.lastStatus = now;
        this.print(this.c.bold(`${e.check ? 'Dry run' : 'Applying'}: ${e.plays.join(', ')} on ${e.hosts.length} host(s)`));
        this.timer = setInterval(() => this.status(this.now()), this.live ? IDLE_REDRAW_MS : this.progressEveryMs);
        this.timer.unref();
        break;
      case 'host-start':
        this.progress.hostStarted(e.host, now);
        break;
      case 'host-facts':
        this.progress.hostActivity(e.host, 'reading state');
        if (this.grouper) this.facts.set(e.host, e.facts);
        break;
      case 'task-start':
        this.progress.hostActivity(e.host, `${e.handler ? 'handler' : 'task'}: ${e.task}`);
        break;
      case 'task-result': {
        const list = this.results.get(e.result.host);
        if (list) list.push(e.result);
        else this.results.set(e.result.host, [e.result]);
        break;
      }
      case 'command':
        if (this.opts.verbose) this.print(commandLine(e, this.c));
        break;
      case 'host-unreachable':
      case 'host-failed':
        this.errors.set(e.host, e.error);
        break;
      case 'host-note':
        this.print(this.c.yellow(`  [${e.host}] note: ${e.note}`));
        break;
      case 'interrupt':
        this.print(interruptLine(e, this.c));
        break;
      case 'host-done': {
        this.progress.hostDone(e.host, e.stats);
        const finished = { host: e.host, stats: e.stats, error: this.errors.get(e.host), results: this.results.get(e.host) ?? [] };
        // A finished host's task results are not kept: the recap needs only its counts.
        this.results.delete(e.host);
        this.errors.delete(e.host);
        this.hostDone(finished);
        break;
      }
      case 'run-end':
        clearInterval(this.timer);
        this.running = false;
        if (this.grouper?.size) this.print(renderGroups(this.grouper.groups(), this.progress.total, { diff: this.opts.diff, c: this.c, width: this.width(), valueRows: VALUE_ROWS }));
        this.print(renderRecap(e.summary, { verbose: this.opts.verbose, c: this.c, width: this.width(), slowest: SLOWEST, grouped: this.grouper !== undefined }));
        return;
    }
    // Counts change once per host and are always shown exact; activity changes are throttled.
    this.status(now, e.type === 'host-start' || e.type === 'host-done' ? 'now' : 'throttled');
  }

  /** A host's block as it finishes; grouped, its changes wait for the end and only a host's own error is printed now. */
  private hostDone(finished: FinishedHost): void {
    const blockOpts = { verbose: this.opts.verbose, diff: this.opts.diff, output: this.opts.output, c: this.c };
    if (!this.grouper) {
      if (blockWanted(finished, this.opts.verbose)) this.print(hostBlock(finished, blockOpts));
      return;
    }
    const values = this.opts.valuesOf ?? hostValues;
    this.grouper.add(finished.host, finished.results, values(finished.host, this.facts.get(finished.host)));
    this.facts.delete(finished.host);
    if (finished.error !== undefined) this.print(hostBlock({ ...finished, results: [] }, blockOpts));
  }

  /** Live: redraw the status line. Otherwise: a plain progress line, at most every progressEveryMs. */
  private status(now: number, when: 'now' | 'throttled' = 'now'): void {
    if (!this.running || this.progress.done === this.progress.total) return;
    if (this.live) {
      if (when === 'throttled' && now - this.lastStatus < REDRAW_MS) return;
      this.drawStatus(now);
    } else if (now - this.lastStatus >= this.progressEveryMs) {
      this.lastStatus = now;
      this.opts.out.write(statusLine(this.progress, now, { width: PIPE_WIDTH, c: this.c, slowest: SLOWEST }) + '\n');
    }
  }

  private drawStatus(now: number): void {
    this.lastStatus = now;
    // "\r", the line, then erase whatever a longer previous line left to its right: one write, no flicker.
    this.opts.out.write(`\r${statusLine(this.progress, now, { width: this.width() - 1, c: this.c, slowest: SLOWEST })}\x1b[K`);
    this.statusShown = true;
  }

  private print(text: string): void {
    if (this.statusShown) {
      this.opts.out.write('\r\x1b[K');
      this.statusShown = false;
    }
    this.opts.out.write(text + '\n');
    if (this.live && this.running && this.progress.done < this.progress.total) this.drawStatus(this.now());
  }

  private width(): number {
    // A pty may report 0 columns (no window size set).
    return this.live ? this.opts.out.columns || 80 : PIPE_WIDTH;
  }
}

/** What a signal does to the run, said as it happens. */
function interruptLine(e: Extract<RunEvent, { type: 'interrupt' }>, c: Colors): string {
  const again = e.signal === 'SIGINT' ? 'press Ctrl-C again' : 'send SIGTERM again';
  const hosts = e.busy.length > 3 ? `${e.busy.slice(0, 3).join(', ')}, … ${e.busy.length - 3} more` : e.busy.join(', ');
  if (e.hard) {
    return c.red(`aborted by a second ${signalName(e.signal)}: not waiting for ${e.busy.length} busy host(s)${hosts ? ` (${hosts}); their run locks may remain` : ''}`);
  }
  const waiting = e.busy.length ? `; waiting for the running command on ${e.busy.length} host(s) (${hosts}) to end` : '';
  return c.yellow(`interrupted by ${signalName(e.signal)}: starting nothing new${waiting} — ${again} to abort now`);
}
