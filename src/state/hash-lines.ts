// The hash section of a file read: `sha256sum` (GNU) or `sha256 -r` (BSD) lines, one per regular file,
// parsed back to the hash of each name — names may hold spaces, newlines and backslashes.

const HASH_LINE = /(\\?)([0-9a-f]{64})( \*|  | )/y;
const HASH_START = /^\\?[0-9a-f]{64} /;

/** `sha256sum` / `sha256 -r` lines → hash by name (GNU escapes names holding a backslash or newline). */
export function parseHashes(sec: string): Map<string, string> {
  const byName = new Map<string, string>();
  let i = 0;
  while (i < sec.length) {
    if (sec[i] === '\n') {
      i++;
      continue;
    }
    HASH_LINE.lastIndex = i;
    const m = HASH_LINE.exec(sec);
    if (!m) throw new Error(`unexpected hash output '${sec.slice(i, i + 80)}'`);
    const from = i + m[0].length;
    // A name ends at a newline followed by the end, a blank line or the next hash line.
    let e = sec.indexOf('\n', from);
    while (e >= 0 && e + 1 < sec.length && sec[e + 1] !== '\n' && !HASH_START.test(sec.slice(e + 1, e + 67))) e = sec.indexOf('\n', e + 1);
    if (e < 0) e = sec.length;
    const raw = sec.slice(from, e);
    byName.set(m[1] ? raw.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : raw, m[2]!);
    i = e + 1;
  }
  return byName;
}
