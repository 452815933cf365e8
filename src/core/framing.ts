// The output framing of host scripts: a snippet's stdout between two marker lines that carry a random
// nonce, the end marker also carrying the snippet's exit status. Nothing a file or a command prints
// can forge a marker (it cannot know the nonce), so many snippets share one exec and their outputs
// are split back exactly, whatever bytes they hold (src/state/batch.ts, the change script of
// src/engine/executor.ts). A script sent to a long-lived shell ends with the same kind of marker
// (scriptEnd, src/connectors/shell-session.ts); a query's own tagged lines start with marker()
// (src/state/file-state.ts).
import { randomBytes } from 'node:crypto';

/** A fresh nonce for one script: 18 hex digits. */
export function newNonce(): string {
  return randomBytes(9).toString('hex');
}

/** The start of every marker line: `@@<nonce>`. */
export function marker(nonce: string): string {
  return `@@${nonce}`;
}

/** An end marker, `@@<nonce> end[ <label>]`; on stdout the exit status follows it. */
function endMark(nonce: string, label?: string): string {
  return `${marker(nonce)} end${label === undefined ? '' : ` ${label}`}`;
}

/**
 * The end of a script run in a long-lived shell (connectors/shell-session.ts), which streams: no
 * begin marker (the output starts with the script), an end marker on stdout carrying the exit status
 * and one on stderr, so the reader knows both streams are complete.
 */
export interface ScriptEnd {
  /** Shell text to run right after the script. */
  shell: string;
  /** What to look for in stdout (the exit status and a newline follow) and in stderr. */
  out: Buffer;
  err: Buffer;
}

export function scriptEnd(nonce: string): ScriptEnd {
  const end = endMark(nonce);
  return {
    shell: `_fp_rc=$?; printf '\\n${end} %d\\n' "$_fp_rc"; printf '\\n${end}\\n' >&2`,
    out: Buffer.from(`\n${end} `),
    err: Buffer.from(`\n${end}\n`),
  };
}

/** One snippet's output and exit status. */
export interface Frame {
  out: Buffer;
  exitCode: number;
}

/**
 * Shell lines running `body` in a subshell that reads nothing (the script itself may be on stdin), framed as `label`;
 * `status`: a shell variable that keeps the body's exit status for the lines after (a batch of changes stops at a failure).
 * `inShell`: in the script's own shell (a `{ …; }` group, one fork less) — only for a body that cannot
 * exit, cd, set options or leave a variable another body reads (state/query.ts StateQuery.inShell).
 */
export function framedSnippet(nonce: string, label: string, body: string, status?: string, inShell = false): string[] {
  const begin = `printf '${marker(nonce)} begin ${label}\\n'`;
  const run = inShell ? `{ ${body}\n} </dev/null` : `( ${body}\n) </dev/null`;
  if (status === undefined) return [begin, run, `printf '\\n${endMark(nonce, label)} %d\\n' "$?"`];
  return [begin, run, `${status}=$?`, `printf '\\n${endMark(nonce, label)} %d\\n' "$${status}"`];
}

/**
 * The frame `label` of `stdout`, looked for from byte `from`, and where the next frame may begin;
 * 'missing' when its begin marker is not there, 'truncated' when its end marker is not.
 */
export function readFrame(stdout: Buffer, nonce: string, label: string, from = 0): { frame: Frame; next: number } | 'missing' | 'truncated' {
  const begin = Buffer.from(`${marker(nonce)} begin ${label}\n`);
  const endPrefix = Buffer.from(`\n${endMark(nonce, label)} `);
  const b = stdout.indexOf(begin, from);
  if (b < 0) return 'missing';
  const start = b + begin.length;
  const e = stdout.indexOf(endPrefix, start);
  if (e < 0) return 'truncated';
  const nl = stdout.indexOf(0x0a, e + endPrefix.length);
  const exitCode = Number(stdout.subarray(e + endPrefix.length, nl < 0 ? undefined : nl).toString());
  return { frame: { out: stdout.subarray(start, e), exitCode }, next: nl < 0 ? stdout.length : nl + 1 };
}
