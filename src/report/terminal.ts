// What an output stream can show: colour (--no-color, NO_COLOR, FORCE_COLOR, a terminal) and a live
// status line redrawn in place (a real terminal that understands cursor escapes). Decided per
// stream, because --json moves the human report to stderr while stdout is a pipe.

export interface OutputStream {
  isTTY?: boolean;
  columns?: number;
}

type Env = Record<string, string | undefined>;

/**
 * Colour unless --no-color or NO_COLOR (any non-empty value, no-color.org) says no; FORCE_COLOR
 * (non-empty, not "0"/"false") turns it on even into a pipe; otherwise only on a terminal that is
 * not TERM=dumb. An explicit "no" always wins over FORCE_COLOR.
 */
export function colorWanted(flag: boolean, stream: OutputStream, env: Env = process.env): boolean {
  if (!flag || env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  return liveCapable(stream, env);
}

/** A terminal that takes "\r" and erase-line: the status line is redrawn there, never into a pipe or log. */
export function liveCapable(stream: OutputStream, env: Env = process.env): boolean {
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}
