// `fleetplan run`'s console output: the hosts whose results are identical — status, exit code,
// output, error, the changes (and their diffs under --diff) — are printed once, as one group, the
// largest group first, so that `postqueue -p` on 300 relays reads "298 hosts: …" and then the two
// that differ. Unreachable hosts are grouped by their error. One summary line ends it.
import pc from 'picocolors';
type Colors = ReturnType<typeof pc.createColors>;
import type { RunEvent, TaskResult } from '../engine/events.js';
import { formatDuration } from './duration.js';
import { renderChange } from './diff.js';
import { statusWord } from './host-block.js';
import type { Reporter } from './reporter.js';
import { visible } from './visible.js';

export interface GroupedOutputOptions {
  diff: boolean;
  /** List every host of a group, not the first few. */
  verbose: boolean;
  out: NodeJS.WritableStream;
  color: boolean;
}

/** Host names shown for a group before "… and N more" (--verbose shows all). */
const NAMES_SHOWN = 5;

interface HostOutcome {
  host: string;
  /** What makes two hosts the same group; also what is printed for the group. */
  text: string;
  status: 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';
}

export class GroupedOutputReporter implements Reporter {
  private readonly c: Colors;
  private readonly outcomes = new Map<string, HostOutcome>();

  constructor(private readonly opts: GroupedOutputOptions) {
    this.c = pc.createColors(opts.color);
  }

  handle(e: RunEvent): void {
    if (e.type === 'task-result' && !e.result.handler) this.outcomes.set(e.result.host, { host: e.result.host, status: e.result.status, text: this.describe(e.result) });
    else if (e.type === 'host-unreachable') this.outcomes.set(e.host, { host: e.host, status: 'unreachable', text: this.c.red(`UNREACHABLE: ${visible(e.error)}`) });
    else if (e.type === 'host-failed' && !this.outcomes.has(e.host)) this.outcomes.set(e.host, { host: e.host, status: 'failed', text: this.c.red(`FAILED: ${visible(e.error)}`) });
    else if (e.type === 'run-end') this.opts.out.write(this.render(Object.keys(e.summary.hosts), e.summary.ms));
  }

  private describe(r: TaskResult): string {
    const { c } = this;
    const color = r.status === 'failed' ? c.red : r.status === 'changed' ? c.yellow : r.status === 'skipped' ? c.dim : c.green;
    const head = [color(statusWord(r)), ...(r.output ? [`rc=${r.output.rc}`] : []), ...(r.reason ? [c.dim(`(${visible(r.reason)})`)] : [])].join(' ');
    const lines = [head];
    // With its output shown, "exited 3: <output>" would say it twice.
    if (r.error && !r.output) lines.push(c.red(indent(visible(r.error))));
    if (r.output?.stdout) lines.push(indent(visible(r.output.stdout.replace(/\n$/, ''))));
    if (r.output?.stderr) lines.push(c.dim(indent(visible(r.output.stderr.replace(/\n$/, '')))));
    if (this.opts.diff && r.status !== 'ok') for (const ch of r.changes) lines.push(visible(renderChange(ch, c)));
    return lines.join('\n');
  }

  private render(hosts: string[], ms: number): string {
    const groups = new Map<string, HostOutcome[]>();
    for (const h of hosts) {
      const o = this.outcomes.get(h) ?? { host: h, status: 'skipped', text: this.c.dim('skipped (no result)') };
      groups.set(o.text, [...(groups.get(o.text) ?? []), o]);
    }
    const ordered = [...groups.values()].sort((a, b) => b.length - a.length);
    const out = ordered.map((g) => `${this.c.bold(this.names(g.map((o) => o.host)))}: ${g[0]!.text}\n`);
    const count = (s: HostOutcome['status']) => hosts.filter((h) => this.outcomes.get(h)?.status === s).length;
    const parts = (['ok', 'changed', 'failed', 'unreachable', 'skipped'] as const).filter((s) => count(s) > 0).map((s) => `${count(s)} ${s}`);
    out.push(this.c.dim(`${hosts.length} host(s) in ${ordered.length} group(s) of identical results: ${parts.join(', ') || 'none'}; ${formatDuration(ms)}\n`));
    return out.join('');
  }

  private names(hosts: string[]): string {
    if (hosts.length === 1) return hosts[0]!;
    const shown = this.opts.verbose ? hosts : hosts.slice(0, NAMES_SHOWN);
    const more = hosts.length - shown.length;
    return `${hosts.length} hosts (${shown.join(', ')}${more > 0 ? `, … and ${more} more` : ''})`;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
