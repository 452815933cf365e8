// Runs many state queries in ONE exec: every snippet in its own subshell, its output framed by
// markers carrying a random nonce, so a file's raw bytes can never be mistaken for a frame.
import { randomBytes } from 'node:crypto';
import type { Connection } from '../connectors/connection.js';
import { PRELUDE } from './prelude.js';
import type { StateQuery } from './query.js';
import { StateView } from './query.js';

export interface BatchFrame {
  out: Buffer;
  exitCode: number;
}

/** The script text for a batch; the nonce frames each query's output. */
export function batchScript(queries: readonly StateQuery[], nonce: string): string {
  const parts = [PRELUDE];
  queries.forEach((q, i) => {
    // </dev/null: the script itself arrives on sh's stdin, a snippet must never read it.
    parts.push(
      `printf '@@${nonce} begin ${i}\\n'`,
      `( ${q.script}\n) </dev/null`,
      `printf '\\n@@${nonce} end ${i} %d\\n' "$?"`,
    );
  });
  return parts.join('\n') + '\n';
}

/** Splits a batch's stdout back into one frame per query. Throws if a frame is missing (truncated output). */
export function parseFrames(stdout: Buffer, nonce: string, count: number): BatchFrame[] {
  const frames: BatchFrame[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const begin = Buffer.from(`@@${nonce} begin ${i}\n`);
    const endPrefix = Buffer.from(`\n@@${nonce} end ${i} `);
    const b = stdout.indexOf(begin, at);
    if (b < 0) throw new Error(`state read output ends before query #${i}`);
    const start = b + begin.length;
    const e = stdout.indexOf(endPrefix, start);
    if (e < 0) throw new Error(`state read output of query #${i} is truncated`);
    const nl = stdout.indexOf(0x0a, e + endPrefix.length);
    const exitCode = Number(stdout.subarray(e + endPrefix.length, nl < 0 ? undefined : nl).toString());
    frames.push({ out: stdout.subarray(start, e), exitCode });
    at = nl < 0 ? stdout.length : nl + 1;
  }
  return frames;
}

/** De-duplicates queries by key, keeping first occurrence order. */
export function uniqueQueries(queries: Iterable<StateQuery>): StateQuery[] {
  const seen = new Map<string, StateQuery>();
  for (const q of queries) if (!seen.has(q.key)) seen.set(q.key, q);
  return [...seen.values()];
}

export function newNonce(): string {
  return randomBytes(9).toString('hex');
}

/** Parses frames into values, writing them into `view`. A parser that throws names its query. */
export function storeFrames(view: StateView, queries: readonly StateQuery[], frames: readonly BatchFrame[]): void {
  queries.forEach((q, i) => {
    const f = frames[i]!;
    try {
      view.set(q.key, q.parse(f.out, f.exitCode));
    } catch (err) {
      throw new Error(`cannot read ${q.key}: ${(err as Error).message}`);
    }
  });
}

/** Reads the state of all queries in one exec. */
export async function readState(
  conn: Connection,
  queries: readonly StateQuery[],
  opts: { become: boolean; view?: StateView; label?: string },
): Promise<StateView> {
  const view = opts.view ?? new StateView();
  if (queries.length === 0) return view;
  const nonce = newNonce();
  const res = await conn.run('sh -s', { stdin: batchScript(queries, nonce), become: opts.become, label: opts.label });
  if (res.exitCode !== 0) {
    throw new Error(`state read exited ${res.exitCode}: ${res.stderr.trim().slice(0, 500)}`);
  }
  storeFrames(view, queries, parseFrames(res.stdout, nonce, queries.length));
  return view;
}
