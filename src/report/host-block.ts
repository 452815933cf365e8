// What one finished host did, printed when it finishes: a header with its counts and error, then its
// changed and failed tasks (every task under --verbose) with their diffs and exact commands under
// --diff. Hosts with nothing to show print no block, so 200 unchanged hosts print nothing here.
import type pc from 'picocolors';
type Colors = ReturnType<typeof pc.createColors>;
import type { HostStats, TaskResult } from '../engine/events.js';
import { formatPos } from '../core/errors.js';
import { renderChange } from './diff.js';
import { outcomeOf } from './progress.js';
import { countsText, outcomeColor } from './recap.js';

export interface FinishedHost {
  host: string;
  stats: HostStats;
  /** Why it was unreachable, or why it failed outside a task. */
  error?: string;
  results: TaskResult[];
}

export interface HostBlockOptions {
  verbose: boolean;
  diff: boolean;
  /** Each task's command output (-vvv). */
  output?: boolean;
  c: Colors;
}

/** Ansible's words: "changed", "failed", and in a dry run "would change" / "would run" (handlers). */
export function statusWord(r: TaskResult): string {
  if (r.status === 'changed' && r.check) return r.handler ? 'would run' : 'would change';
  if (r.status === 'failed' && r.rescued) return 'failed (rescued)';
  if (r.status === 'failed' && r.ignored) return 'failed (ignored)';
  return r.status;
}

const noteworthy = (r: TaskResult) => r.status === 'changed' || r.status === 'failed';

/** A block is printed for a host that changed, failed (even ignored) or was unreachable — or any under --verbose. */
export function blockWanted(h: FinishedHost, verbose: boolean): boolean {
  return verbose || outcomeOf(h.stats) !== 'ok' || h.error !== undefined || h.results.some(noteworthy);
}

export function hostBlock(h: FinishedHost, o: HostBlockOptions): string {
  const { c } = o;
  const outcome = outcomeOf(h.stats);
  const failed = h.stats.interrupted ? 'INTERRUPTED' : 'FAILED';
  const title = outcome === 'unreachable' ? `${h.host}: UNREACHABLE` : outcome === 'failed' ? `${h.host}: ${failed}` : h.host;
  const lines = [`${outcomeColor(c, outcome)(title)}  ${c.dim(countsText(h.stats))}`];
  if (h.error) lines.push(c.red(indent(h.error, '  ')));
  for (const r of h.results) {
    if (!noteworthy(r) && !o.verbose) continue;
    const color = r.status === 'failed' ? c.red : r.status === 'changed' ? c.yellow : r.status === 'skipped' ? c.dim : c.green;
    const where = r.role ? `${r.role}: ` : '';
    lines.push(`  ${color(statusWord(r).padEnd(12))} ${r.handler ? 'handler ' : ''}${where}${r.task}${r.reason ? c.dim(`  (${r.reason})`) : ''}`);
    if (r.status === 'failed' && r.error) {
      lines.push(c.red(indent(r.error, '    ')));
      if (r.pos) lines.push(c.dim(`    at ${formatPos(r.pos)}`));
    }
    if (o.diff && r.status !== 'ok') for (const ch of r.changes) lines.push(renderChange(ch, c));
    if (o.output && r.output) lines.push(c.dim(`    rc=${r.output.rc}`), ...[r.output.stdout, r.output.stderr].filter((t) => t !== '').map((t) => indent(t.replace(/\n$/, ''), '    | ')));
  }
  return lines.join('\n');
}

function indent(text: string, by: string): string {
  return by + text.split('\n').join(`\n${by}`);
}
