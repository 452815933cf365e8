// Host patterns of Ansible's INI inventories: `web[01:20].example.org` (zero-padded when the start
// is), `db-[a:f]`, `[1:9:2]` with a step, several ranges in one name, and `name:port` / `[v6]:port`
// for the port. As Ansible's expand_hostname_range and parse_address do, with one addition: a range
// may not name more than MAX_RANGE_HOSTS hosts (a typo such as [1:100000000] is an error, not a hang).

export const MAX_RANGE_HOSTS = 100_000;

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** `[2001:db8::1]:22`, `[2001:db8::1]`: an IPv6 address in brackets, not a range. */
const BRACKETED_V6 = /^\[([0-9A-Fa-f]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)\](?::(\d+))?$/;

export class HostPatternError extends Error {}

/** `host`, `host:port`, `[v6]:port`, or a bare IPv6 address: the name (ranges unexpanded) and the port. */
export function splitHostPort(pattern: string): { name: string; port?: number } {
  const v6 = BRACKETED_V6.exec(pattern);
  if (v6) return { name: v6[1]!, port: v6[2] === undefined ? undefined : portOf(v6[2]) };
  const outside = pattern.replace(/\[[^\]]*\]/g, (m) => '_'.repeat(m.length));
  const colons = [...outside.matchAll(/:/g)].map((m) => m.index);
  if (colons.length !== 1) return { name: pattern };
  const at = colons[0]!;
  const port = pattern.slice(at + 1);
  if (!/^\d+$/.test(port)) throw new HostPatternError(`'${pattern}': the port after ':' must be a number`);
  return { name: pattern.slice(0, at), port: portOf(port) };
}

function portOf(text: string): number {
  const n = Number(text);
  if (!(n >= 1 && n <= 65535)) throw new HostPatternError(`port ${text} is not in 1-65535`);
  return n;
}

/** Every host name a pattern stands for, in order (the name itself when it holds no range). */
export function expandHostRange(pattern: string, budget = { left: MAX_RANGE_HOSTS }): string[] {
  const open = pattern.indexOf('[');
  if (open < 0) return [pattern];
  const close = pattern.indexOf(']', open);
  if (close < 0) throw new HostPatternError(`'${pattern}': '[' without a closing ']'`);
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const out: string[] = [];
  for (const item of rangeItems(pattern.slice(open + 1, close), pattern)) {
    if (--budget.left < 0) throw new HostPatternError(`'${pattern}' names more than ${MAX_RANGE_HOSTS} hosts`);
    out.push(...expandHostRange(head + item + tail, budget));
  }
  return out;
}

function rangeItems(range: string, pattern: string): string[] {
  const bounds = range.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new HostPatternError(`'${pattern}': a host range is [begin:end] or [begin:end:step]`);
  const beg = bounds[0] || '0';
  const end = bounds[1]!;
  const stepText = bounds[2] ?? '1';
  if (!end) throw new HostPatternError(`'${pattern}': the host range has no end`);
  if (!/^[1-9]\d*$/.test(stepText)) throw new HostPatternError(`'${pattern}': the step of a host range must be a positive whole number`);
  const step = Number(stepText);
  if (LETTERS.includes(beg) && LETTERS.includes(end) && beg.length === 1 && end.length === 1) {
    const [i, j] = [LETTERS.indexOf(beg), LETTERS.indexOf(end)];
    if (i > j) throw new HostPatternError(`'${pattern}': the host range must have begin <= end`);
    return [...LETTERS.slice(i, j + 1)].filter((_, k) => k % step === 0);
  }
  if (!/^\d+$/.test(beg) || !/^\d+$/.test(end)) throw new HostPatternError(`'${pattern}': a host range is of numbers ([01:20]) or of single letters ([a:f])`);
  const width = beg.length > 1 && beg.startsWith('0') ? beg.length : 0;
  if (width && end.length !== width) throw new HostPatternError(`'${pattern}': a zero-padded range needs a begin and end of the same width`);
  const [from, to] = [Number(beg), Number(end)];
  if ((to - from) / step >= MAX_RANGE_HOSTS) throw new HostPatternError(`'${pattern}' names more than ${MAX_RANGE_HOSTS} hosts`);
  const out: string[] = [];
  for (let n = from; n <= to; n += step) out.push(width ? String(n).padStart(width, '0') : String(n));
  return out;
}
