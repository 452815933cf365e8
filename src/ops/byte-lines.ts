// A file as lines of bytes, for `line` and `settings`: a config file on a host may be in any
// encoding (a Latin-1 file, stray invalid bytes, CRLF endings, no final newline), and an edit of
// one line must keep every other byte exactly as it was. Decoding the whole file as UTF-8 would
// replace each invalid byte by U+FFFD on write, so nothing here decodes more than one line, and
// only to match it.
import { isUtf8 } from 'node:buffer';

const LF = 0x0a;
const CR = 0x0d;

/** One line: its bytes without the line ending, and the ending exactly as the file had it. */
export interface ByteLine {
  bare: Buffer;
  /** '\n', '\r\n', or — for a last line without newline — '' or '\r'. */
  end: string;
}

/** Splits on LF; `joinLines(splitLines(b))` equals `b` byte for byte. */
export function splitLines(content: Buffer): ByteLine[] {
  const lines: ByteLine[] = [];
  let start = 0;
  while (start < content.length) {
    const nl = content.indexOf(LF, start);
    const stop = nl < 0 ? content.length : nl;
    const cr = stop > start && content[stop - 1] === CR;
    const bare = content.subarray(start, cr ? stop - 1 : stop);
    lines.push({ bare, end: (cr ? '\r' : '') + (nl < 0 ? '' : '\n') });
    start = stop + 1;
  }
  return lines;
}

export function joinLines(lines: readonly ByteLine[]): Buffer {
  return Buffer.concat(lines.flatMap((l) => [l.bare, Buffer.from(l.end, 'latin1')]));
}

/**
 * The text a pattern is matched against: the line as UTF-8 when it is valid UTF-8 (so a pattern
 * with non-ASCII characters, `.` and classes work per character), otherwise as Latin-1 — one
 * character per byte, U+0000–U+00FF — so ASCII parts of a pattern match as anywhere, `.` matches
 * one byte, and a character up to U+00FF in the pattern matches that byte (é matches Latin-1 0xE9).
 */
export function lineText(bare: Buffer): string {
  return isUtf8(bare) ? bare.toString('utf8') : bare.toString('latin1');
}

/** The file's own newline for new lines: that of its first terminated line, else LF. */
export function newlineOf(lines: readonly ByteLine[]): string {
  return lines.find((l) => l.end.endsWith('\n'))?.end ?? '\n';
}

/**
 * New lines from a plan's text (UTF-8; several only for a setting with continuation lines), each
 * ending with the file's newline — the last with `lastEnd` when given (that of the line replaced).
 */
export function newLines(text: string, lines: readonly ByteLine[], lastEnd?: string): ByteLine[] {
  const nl = newlineOf(lines);
  const parts = text.split('\n');
  return parts.map((t, i) => ({ bare: Buffer.from(t, 'utf8'), end: i === parts.length - 1 ? (lastEnd ?? nl) : nl }));
}

/** Does the line hold exactly these bytes (its ending aside)? */
export function sameLine(l: ByteLine, text: string): boolean {
  return l.bare.equals(Buffer.from(text, 'utf8'));
}

/** A line in the text of a plan cannot hold a line break: it would be two lines in the file. */
export function hasLineBreak(s: string): boolean {
  return /[\r\n]/.test(s);
}

/** Is every line after the first an indented continuation line (Postfix's main.cf and master.cf)? */
export function onlyContinuations(s: string): boolean {
  const [, ...rest] = s.split('\n');
  return !s.includes('\r') && rest.every((l) => /^[ \t]+\S/.test(l));
}
