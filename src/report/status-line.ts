// The one-line run status: hosts done out of total, finished hosts by outcome, running and queued
// hosts, then the hosts running longest with what they are on. The same line is redrawn in place on
// a terminal and printed now and then into a pipe; it never wraps (a wrapped line could not be
// erased in place).
import { stripVTControlCharacters } from 'node:util';
import type pc from 'picocolors';
type Colors = ReturnType<typeof pc.createColors>;
import { formatDuration } from './duration.js';
import type { RunProgress } from './progress.js';

export interface StatusLineOptions {
  /** Visible characters available (the terminal's columns minus one). */
  width: number;
  c: Colors;
  /** At most this many running hosts are named. */
  slowest: number;
}

export function statusLine(p: RunProgress, now: number, o: StatusLineOptions): string {
  const { c } = o;
  const n = (key: string, count: number, paint: (s: string) => string) => (count > 0 ? paint(`${key}=${count}`) : `${key}=${count}`);
  const parts = [
    n('ok', p.finished.ok, c.green),
    n('changed', p.finished.changed, c.yellow),
    n('failed', p.finished.failed, c.red),
    n('unreachable', p.finished.unreachable, c.red),
    `running=${p.runningCount}`,
    ...(p.queued > 0 ? [`queued=${p.queued}`] : []),
  ];
  let line = `${c.bold(`[${p.done}/${p.total} done]`)} ${parts.join(' ')}`;
  const slow = p.slowest(o.slowest, now);
  slow.forEach((h, i) => {
    const entry = `${i === 0 ? ' · slowest: ' : ', '}${h.host} ${c.dim(`${formatDuration(h.ms)} (${h.activity})`)}`;
    // The first entry may be cut to fit; later ones only join when whole.
    if (i === 0 || visibleLength(line + entry) <= o.width) line += entry;
  });
  return fitToWidth(line, o.width);
}

export function visibleLength(text: string): number {
  return [...stripVTControlCharacters(text)].length;
}

/** Cuts `text` to `width` visible characters (colour codes kept, closed with a reset), ending in "…". */
export function fitToWidth(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  const limit = Math.max(0, width - 1);
  let out = '';
  let visible = 0;
  let coloured = false;
  for (let i = 0; i < text.length && visible < limit; ) {
    const escape = /^\x1b\[[0-9;]*m/.exec(text.slice(i, i + 16));
    if (escape) {
      out += escape[0];
      coloured = true;
      i += escape[0].length;
      continue;
    }
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    out += ch;
    visible++;
    i += ch.length;
  }
  return `${out}…${coloured ? '\x1b[0m' : ''}`;
}
