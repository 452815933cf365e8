// Runs many state queries in ONE exec: every snippet in its own subshell (or, when it keeps to itself,
// in the batch's shell: StateQuery.inShell), its output framed by
// markers carrying a random nonce (src/core/framing.ts), so a file's raw bytes can never be mistaken
// for a frame. Queries of one name group (services, packages, files) are merged first: one process
// reads all their names.
import { framedSnippet, newNonce, readFrame, type Frame } from '../core/framing.js';
import type { BecomeRequest, CommandResult, Connection } from '../connectors/connection.js';
import { PRELUDE } from './prelude.js';
import type { StateQuery } from './query.js';
import { StateView } from './query.js';

export type BatchFrame = Frame;

/** The script text for a batch; the nonce frames each query's output. */
export function batchScript(queries: readonly StateQuery[], nonce: string): string {
  const parts = [PRELUDE];
  queries.forEach((q, i) => parts.push(...framedSnippet(nonce, String(i), q.script, undefined, q.inShell)));
  return parts.join('\n') + '\n';
}

/** Splits a batch's stdout back into one frame per query. Throws if a frame is missing (truncated output). */
export function parseFrames(stdout: Buffer, nonce: string, count: number): BatchFrame[] {
  const frames: BatchFrame[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const read = readFrame(stdout, nonce, String(i), at);
    if (read === 'missing') throw new Error(`state read output ends before query #${i}`);
    if (read === 'truncated') throw new Error(`state read output of query #${i} is truncated`);
    frames.push(read.frame);
    at = read.next;
  }
  return frames;
}

/** De-duplicates queries by key, keeping first occurrence order. */
export function uniqueQueries(queries: Iterable<StateQuery>): StateQuery[] {
  const seen = new Map<string, StateQuery>();
  for (const q of queries) if (!seen.has(q.key)) seen.set(q.key, q);
  return [...seen.values()];
}

/** The queries a batch really runs, and how their frames answer the queries asked. */
export interface BatchPlan {
  /** What the script runs: every ungrouped query, and one query per group for all its names. */
  readonly run: readonly StateQuery[];
  /** Parses the frames of `run`, writing a value for every query asked into `view`. */
  store(view: StateView, frames: readonly BatchFrame[]): void;
}

/** Merges the queries of each group (src/state/query.ts NameGroup) into one, keeping first-seen order. */
export function planBatch(queries: readonly StateQuery[]): BatchPlan {
  const run: StateQuery[] = [];
  const members: Array<StateQuery[] | undefined> = [];
  const groups = new Map<string, { at: number; names: Set<string> }>();
  for (const q of queries) {
    if (!q.group) {
      run.push(q);
      members.push(undefined);
      continue;
    }
    const g = groups.get(q.group.id);
    if (!g) {
      groups.set(q.group.id, { at: run.length, names: new Set(q.group.names) });
      run.push(q);
      members.push([q]);
    } else {
      for (const n of q.group.names) g.names.add(n);
      members[g.at]!.push(q);
    }
  }
  for (const g of groups.values()) {
    const qs = members[g.at]!;
    if (qs.length > 1) run[g.at] = qs[0]!.group!.read([...g.names]);
  }
  return {
    run,
    store(view, frames) {
      run.forEach((q, i) => {
        const f = frames[i]!;
        let value: unknown;
        try {
          value = q.parse(f.out, f.exitCode);
        } catch (err) {
          throw new Error(`cannot read ${q.key}: ${(err as Error).message}`);
        }
        const asked = members[i];
        if (!asked || asked.length === 1) return view.set((asked?.[0] ?? q).key, value);
        const all = value as Record<string, unknown>;
        for (const m of asked) {
          const g = m.group!;
          view.set(m.key, g.pick ? g.pick(all) : Object.fromEntries(g.names.filter((n) => Object.hasOwn(all, n)).map((n) => [n, all[n]])));
        }
      });
    },
  };
}


/** A batch's script, and how its answer fills a view: what readState sends, for a caller that sends it itself. */
export function stateRead(queries: readonly StateQuery[]): { script: string; take: (res: CommandResult, view?: StateView) => StateView } {
  const nonce = newNonce();
  const batch = planBatch(queries);
  return {
    script: batchScript(batch.run, nonce),
    take(res, view = new StateView()) {
      if (res.exitCode !== 0) {
        throw new Error(`state read exited ${res.exitCode}: ${res.stderr.trim().slice(0, 500)}`);
      }
      batch.store(view, parseFrames(res.stdout, nonce, batch.run.length));
      return view;
    },
  };
}

/** Reads the state of all queries in one exec. */
export async function readState(
  conn: Connection,
  queries: readonly StateQuery[],
  opts: { become: BecomeRequest; view?: StateView; label?: string },
): Promise<StateView> {
  const view = opts.view ?? new StateView();
  if (queries.length === 0) return view;
  const read = stateRead(queries);
  return read.take(await conn.script(read.script, { become: opts.become, label: opts.label }), view);
}
