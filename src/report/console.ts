// The human report: a block per host when it finishes (tasks that changed or failed, with diffs and
// the exact commands under --diff), a live footer on a terminal (which host is on which task),
// plain progress lines otherwise, and a recap at the end.
import pc from 'picocolors';
type Colors = ReturnType<typeof pc.createColors>;
import type { HostStats, RunEvent, TaskResult } from '../engine/events.js';
import { formatPos } from '../errors.js';
import { renderChange } from './diff.js';
import type { Reporter } from './reporter.js';

export interface ConsoleOptions {
  diff: boolean;
  verbose: boolean;
  /** Where the report goes (stdout, or stderr under --json). */
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  color: boolean;
}

const STATUS_WORD = (r: TaskResult): string => {
  if (r.status === 'changed' && r.check) return r.handler ? 'would run' : 'would change';
  if (r.status === 'failed' && r.ignored) return 'failed (ignored)';
  return r.status;
};

export class ConsoleReporter implements Reporter {
  private readonly c: Colors;
  private readonly live: boolean;
  private readonly results = new Map<string, TaskResult[]>();
  private readonly current = new Map<string, string>();
  private readonly errors = new Map<string, string>();
  private total = 0;
  private done = 0;
  private footerLines = 0;
  private timer?: NodeJS.Timeout;
  private check = false;

  constructor(private readonly opts: ConsoleOptions) {
    this.c = pc.createColors(opts.color);
    this.live = Boolean(opts.out.isTTY);
  }

  handle(e: RunEvent): void {
    switch (e.type) {
      case 'run-start':
        this.total = e.hosts.length;
        this.check = e.check;
        this.print(this.c.bold(`${e.check ? 'Dry run' : 'Applying'}: ${e.plays.join(', ')} on ${e.hosts.length} host(s)`));
        if (this.live) this.timer = setInterval(() => this.redraw(), 200);
        break;
      case 'host-start':
        this.current.set(e.host, 'connecting');
        break;
      case 'host-facts':
        this.current.set(e.host, 'reading state');
        break;
      case 'task-start':
        this.current.set(e.host, `${e.handler ? 'handler' : 'task'}: ${e.task}`);
        break;
      case 'task-result':
        (this.results.get(e.result.host) ?? this.results.set(e.result.host, []).get(e.result.host)!).push(e.result);
        break;
      case 'command':
        if (this.opts.verbose) {
          this.print(this.c.dim(`  [${e.host}] exit ${e.exitCode} in ${e.ms} ms: ${e.command.replace(/\s*\n\s*/g, ' ⏎ ').slice(0, 200)}`));
        }
        break;
      case 'host-unreachable':
      case 'host-failed':
        this.errors.set(e.host, e.error);
        break;
      case 'host-note':
        this.print(this.c.yellow(`  [${e.host}] note: ${e.note}`));
        break;
      case 'host-done':
        this.done++;
        this.current.delete(e.host);
        this.print(this.hostBlock(e.host, e.stats));
        break;
      case 'run-end':
        if (this.timer) clearInterval(this.timer);
        this.clearFooter();
        this.print(this.recap(e.summary.hosts, e.summary.ms));
        break;
    }
  }

  private hostBlock(host: string, stats: HostStats): string {
    const c = this.c;
    const lines: string[] = [];
    const head = stats.unreachable ? c.red(`${host}: UNREACHABLE`) : stats.failed ? c.red(`${host}: FAILED`) : stats.changed ? c.yellow(host) : c.green(host);
    lines.push(`${head}  ${c.dim(this.counts(stats))}`);
    const err = this.errors.get(host);
    if (err) lines.push(c.red(`  ${err.split('\n').join('\n  ')}`));
    for (const r of this.results.get(host) ?? []) {
      const interesting = r.status === 'changed' || r.status === 'failed';
      if (!interesting && !this.opts.verbose) continue;
      const color = r.status === 'failed' ? c.red : r.status === 'changed' ? c.yellow : r.status === 'skipped' ? c.dim : c.green;
      const where = r.role ? `${r.role}: ` : '';
      lines.push(`  ${color(STATUS_WORD(r).padEnd(12))} ${r.handler ? 'handler ' : ''}${where}${r.task}${r.reason ? c.dim(`  (${r.reason})`) : ''}`);
      if (r.status === 'failed' && r.error) {
        lines.push(c.red(`    ${r.error.split('\n').join('\n    ')}`));
        if (r.pos) lines.push(c.dim(`    at ${formatPos(r.pos)}`));
      }
      if (this.opts.diff && r.status !== 'ok') for (const ch of r.changes) lines.push(renderChange(ch, c));
    }
    return lines.join('\n');
  }

  private counts(s: HostStats): string {
    return `ok=${s.ok} changed=${s.changed} failed=${s.failed} skipped=${s.skipped}${s.unreachable ? ' unreachable=1' : ''}`;
  }

  private recap(hosts: Record<string, HostStats>, ms: number): string {
    const c = this.c;
    const names = Object.keys(hosts);
    const width = Math.max(4, ...names.map((n) => n.length));
    const lines = [c.bold(`\nRECAP ${this.check ? '(dry run: nothing was changed)' : ''}`.trimEnd())];
    for (const n of names) {
      const s = hosts[n]!;
      const color = s.unreachable || s.failed ? c.red : s.changed ? c.yellow : c.green;
      lines.push(`${color(n.padEnd(width))}  ${this.counts(s)}`);
    }
    lines.push(c.dim(`${names.length} host(s) in ${(ms / 1000).toFixed(1)} s`));
    return lines.join('\n');
  }

  private print(text: string): void {
    this.clearFooter();
    this.opts.out.write(text + '\n');
    if (!this.live && text) return;
    this.drawFooter();
  }

  private clearFooter(): void {
    if (!this.live || this.footerLines === 0) return;
    this.opts.out.write(`\x1b[${this.footerLines}A\x1b[J`);
    this.footerLines = 0;
  }

  private drawFooter(): void {
    if (!this.live || this.total === 0 || this.done === this.total) return;
    const width = (this.opts.out.columns ?? 100) - 1;
    const active = [...this.current.entries()];
    const shown = active.slice(0, 8).map(([h, t]) => this.c.dim(`  ${h}: ${t}`.slice(0, width)));
    if (active.length > shown.length) shown.push(this.c.dim(`  … and ${active.length - shown.length} more`));
    const lines = [this.c.bold(`[${this.done}/${this.total} hosts done, ${active.length} running]`), ...shown];
    this.opts.out.write(lines.join('\n') + '\n');
    this.footerLines = lines.length;
  }

  private redraw(): void {
    this.clearFooter();
    this.drawFooter();
  }
}
