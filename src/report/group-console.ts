// The grouped console report (docs/reports.md "Grouped output"): each distinct change once, with how
// many hosts share it and which, its diff under --diff with the hosts' own values as placeholders,
// and those values per host for the first few hosts.
import type pc from 'picocolors';
type Colors = ReturnType<typeof pc.createColors>;
import { renderChange } from './diff.js';
import { hostsCount, taskKey, type ChangeGroup } from './group.js';
import { fitToWidth, visibleLength } from './status-line.js';

export interface GroupConsoleOptions {
  diff: boolean;
  c: Colors;
  width: number;
  /** Hosts of a group whose own values are printed (the rest are in --json and --report). */
  valueRows: number;
}

function statusText(g: ChangeGroup): string {
  if (g.status === 'failed') return g.ignored ? 'failed (ignored)' : 'failed';
  return g.check ? (g.handler ? 'would run' : 'would change') : 'changed';
}

/** "relay01, relay02, … and 410 more" within what is left of the line. */
export function hostList(hosts: string[], room: number): string {
  const shown: string[] = [];
  for (const [i, h] of hosts.entries()) {
    const left = hosts.length - i - 1;
    const tail = left > 0 ? `, … and ${left} more` : '';
    if (shown.length > 0 && visibleLength([...shown, h].join(', ') + tail) > room) break;
    shown.push(h);
  }
  const more = hosts.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? `, … and ${more} more` : ''}`;
}

const hostsWord = (n: number) => `${n} host${n === 1 ? '' : 's'}`;

function groupHead(g: ChangeGroup, variant: boolean, o: GroupConsoleOptions): string {
  const { c } = o;
  const color = g.status === 'failed' ? c.red : c.yellow;
  const where = g.role ? `${g.role}: ` : '';
  const count = hostsCount(g.hosts.length, variant);
  const head = `${color(statusText(g).padEnd(12))} ${g.handler ? 'handler ' : ''}${where}${g.task}  ${c.bold(count)}: `;
  return head + hostList(g.hosts, Math.max(20, o.width - visibleLength(head)));
}

function valueRows(g: ChangeGroup, o: GroupConsoleOptions): string[] {
  const hosts = g.hosts.filter((h) => g.values[h]);
  if (hosts.length === 0) return [];
  const pad = Math.max(...hosts.slice(0, o.valueRows).map((h) => h.length));
  const rows = hosts.slice(0, o.valueRows).map((h) => {
    const vals = Object.entries(g.values[h]!).map(([p, v]) => `${p}=${v}`);
    return fitToWidth(`    ${o.c.dim(h.padEnd(pad))}  ${vals.join('  ')}`, o.width);
  });
  const more = hosts.length - rows.length;
  if (more > 0) rows.push(o.c.dim(`    … and ${more} more host(s): each host's values are in --json ("groups") and --report`));
  return rows;
}

/** The whole section; empty when nothing changed or failed. */
export function renderGroups(groups: ChangeGroup[], hosts: number, o: GroupConsoleOptions): string {
  if (groups.length === 0) return '';
  const { c } = o;
  const lines = ['', c.bold(`CHANGES (${hostsWord(hosts)}; each distinct change once, with the hosts that share it)`)];
  const seen = new Set<string>();
  for (const g of groups) {
    const key = taskKey(g);
    lines.push(groupHead(g, seen.has(key), o));
    seen.add(key);
    if (g.reason) lines.push(c.dim(`    (${g.reason})`));
    if (g.error) lines.push(c.red(g.error.replace(/^/gm, '    ')));
    if (o.diff) for (const ch of g.changes) lines.push(renderChange(ch, c));
    if (o.diff || g.error) lines.push(...valueRows(g, o));
  }
  return lines.join('\n');
}
