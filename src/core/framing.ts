// The output framing of host scripts: a snippet's stdout between two marker lines that carry a random
// nonce, the end marker also carrying the snippet's exit status. Nothing a file or a command prints
// can forge a marker (it cannot know the nonce), so many snippets share one exec and their outputs
// are split back exactly, whatever bytes they hold (src/state/batch.ts).
import { randomBytes } from 'node:crypto';

/** A fresh nonce for one script: 18 hex digits. */
export function newNonce(): string {
  return randomBytes(9).toString('hex');
}

/** One snippet's output and exit status. */
export interface Frame {
  out: Buffer;
  exitCode: number;
}

/** Shell lines running `body` in a subshell that reads nothing (the script itself may be on stdin), framed as `label`. */
export function framedSnippet(nonce: string, label: string, body: string): string[] {
  return [`printf '@@${nonce} begin ${label}\\n'`, `( ${body}\n) </dev/null`, `printf '\\n@@${nonce} end ${label} %d\\n' "$?"`];
}

/**
 * The frame `label` of `stdout`, looked for from byte `from`, and where the next frame may begin;
 * 'missing' when its begin marker is not there, 'truncated' when its end marker is not.
 */
export function readFrame(stdout: Buffer, nonce: string, label: string, from = 0): { frame: Frame; next: number } | 'missing' | 'truncated' {
  const begin = Buffer.from(`@@${nonce} begin ${label}\n`);
  const endPrefix = Buffer.from(`\n@@${nonce} end ${label} `);
  const b = stdout.indexOf(begin, from);
  if (b < 0) return 'missing';
  const start = b + begin.length;
  const e = stdout.indexOf(endPrefix, start);
  if (e < 0) return 'truncated';
  const nl = stdout.indexOf(0x0a, e + endPrefix.length);
  const exitCode = Number(stdout.subarray(e + endPrefix.length, nl < 0 ? undefined : nl).toString());
  return { frame: { out: stdout.subarray(start, e), exitCode }, next: nl < 0 ? stdout.length : nl + 1 };
}
