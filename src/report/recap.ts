// The end-of-run recap, readable at 200 hosts: every host that changed, failed or was unreachable on
// its own line with its counts, the unchanged ones in one line (each listed under --verbose), the
// slowest hosts of the run, and the totals.
import type pc from 'picocolors';
type Colors = ReturnType<typeof pc.createColors>;
import type { HostStats, RunSummary } from '../engine/events.js';
import { formatDuration } from './duration.js';
import { outcomeOf, type HostOutcome } from './progress.js';
import { visibleLength } from './status-line.js';
import { signalName } from '../engine/interrupt.js';

export interface RecapOptions {
  verbose: boolean;
  c: Colors;
  /** Visible characters per line for the one-line summaries. */
  width: number;
  /** How many of the slowest hosts to name. */
  slowest: number;
  /** Grouped output: the changed hosts in one line too (their changes were listed by change). */
  grouped?: boolean;
}

/** Ansible's recap counts: "ok=12 changed=2 failed=0 skipped=3" (and "unreachable=1"). */
export function countsText(s: Omit<HostStats, 'execs' | 'ms'>): string {
  return `ok=${s.ok} changed=${s.changed} failed=${s.failed} skipped=${s.skipped}${s.unreachable ? ' unreachable=1' : ''}${s.interrupted ? ' interrupted' : ''}`;
}

export function outcomeColor(c: Colors, outcome: HostOutcome): (s: string) => string {
  return outcome === 'ok' ? c.green : outcome === 'changed' ? c.yellow : c.red;
}

export function renderRecap(summary: RunSummary, o: RecapOptions): string {
  const { c } = o;
  const hosts = Object.entries(summary.hosts);
  const outcome = new Map(hosts.map(([h, s]) => [h, outcomeOf(s)]));
  const summarised = (h: string) => !o.verbose && (outcome.get(h) === 'ok' || (o.grouped === true && outcome.get(h) === 'changed'));
  const listed = hosts.filter(([h]) => !summarised(h));
  const unchanged = hosts.filter(([h]) => summarised(h) && outcome.get(h) === 'ok').map(([h]) => h);
  const changed = hosts.filter(([h]) => summarised(h) && outcome.get(h) === 'changed').map(([h]) => h);

  const notes = [summary.check ? 'dry run: nothing was changed' : '', summary.interrupted ? `interrupted by ${signalName(summary.interrupted)}` : ''].filter(Boolean);
  const lines = ['', c.bold(`RECAP${notes.length ? ` (${notes.join('; ')})` : ''}`)];
  const pad = Math.max(4, ...listed.map(([h]) => h.length));
  for (const [h, s] of listed) lines.push(`${outcomeColor(c, outcome.get(h)!)(h.padEnd(pad))}  ${countsText(s)}`);
  if (changed.length) lines.push(o.c.yellow(namesLine(`${changed.length} host(s) ${summary.check ? 'would change' : 'changed'}: `, changed, o.width)));
  if (unchanged.length) lines.push(o.c.green(namesLine(`${unchanged.length} host(s) ok, nothing ${summary.check ? 'to change' : 'changed'}: `, unchanged, o.width)));

  const slowest = hosts
    .filter(([, s]) => s.ms > 0)
    .sort(([a, x], [b, y]) => y.ms - x.ms || a.localeCompare(b))
    .slice(0, o.slowest);
  if (hosts.length > 1 && slowest.length) {
    lines.push(c.dim(`slowest: ${slowest.map(([h, s]) => `${h} ${formatDuration(s.ms)}`).join(', ')}`));
  }

  const tally = (k: HostOutcome) => [...outcome.values()].filter((v) => v === k).length;
  const totals = (['ok', 'changed', 'failed', 'unreachable'] as const).map((k) => {
    const n = tally(k);
    return n > 0 ? outcomeColor(c, k)(`${n} ${k}`) : `${n} ${k}`;
  });
  lines.push(`${hosts.length} host(s) in ${formatDuration(summary.ms)}: ${totals.join(', ')}`);
  return lines.join('\n');
}

/** "185 host(s) ok, nothing changed: web1, web2, … and 181 more (--verbose lists each)", within the width. */
function namesLine(head: string, names: string[], width: number): string {
  const shown: string[] = [];
  for (const [i, name] of names.entries()) {
    const left = names.length - i - 1;
    const tail = left > 0 ? `, … and ${left} more (--verbose lists each)` : '';
    if (shown.length > 0 && visibleLength(head + [...shown, name].join(', ') + tail) > width) break;
    shown.push(name);
  }
  const more = names.length - shown.length;
  return `${head}${shown.join(', ')}${more > 0 ? `, … and ${more} more (--verbose lists each)` : ''}`;
}
