// What a play knows of a host's state, and which of it is stale — all staleness is tracked here.
// The play's state is read in one batch before its first task (FreshState.read). After a change,
// which of the remaining tasks' state queries it may have made stale: those the next task needs are
// read again in the change's own script, the others are marked stale and read when a task needs them,
// all stale queries at once — so a run of consecutive changes (a first apply) does not re-read the
// whole play after each of them, and no task is planned against stale state.
// A change whose every predicted effect is on files (file, copy, template, line, settings, directory)
// and that has no unpredictable effects (PlanResult.effects) can only alter what is read from those
// paths, their ancestors (mkdir -p creates parents) or their descendants (a directory removed): a file
// query on such a path, or a query whose answer comes from there (its `paths`: a package database,
// unit files, rc.conf, the account files). Those are re-read and the others keep the values already
// read. After a change that may touch anything (a command, a package, a service, an account), and for
// a query that does not say where its answer comes from, everything is re-read. Paths are compared as
// written, so when any file read on the host is reached through a symbolic link (one file, two names),
// everything is re-read.
// A write's `validate` command is taken to only read (documented in docs/plans.md).
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { BecomeRequest, Connection } from '../connectors/connection.js';
import type { PlanResult } from '../ops/operation.js';
import { readState, uniqueQueries, type BatchFrame, type BatchPlan } from '../state/batch.js';
import type { FileState } from '../state/file-state.js';
import type { StateQuery, StateView } from '../state/query.js';

function related(a: string, b: string): boolean {
  return a === b || a.startsWith(b.endsWith('/') ? b : `${b}/`) || b.startsWith(a.endsWith('/') ? a : `${a}/`);
}

/** The queries `planned`'s changes may have made stale, out of `queries`; `view` holds what was read. */
export function staleAfter(planned: PlanResult, queries: readonly StateQuery[], view: StateView, linked?: boolean): StateQuery[] {
  const { predicts = [], unpredictable } = planned.effects ?? {};
  const files = predicts.flatMap((p) => (p.resource.kind === 'file' ? [p.resource.path] : []));
  const onlyFiles = unpredictable === undefined && predicts.length > 0 && files.length === predicts.length;
  if (!onlyFiles || (linked ?? view.some((v) => (v as FileState | undefined)?.linked === true))) return [...queries];
  const touched = files.map((p) => path.posix.normalize(p));
  return queries.filter((q) => {
    const from = q.resource?.kind === 'file' ? [q.resource.path] : q.paths;
    if (from === undefined) return true;
    return from.some((p) => touched.some((t) => related(t, path.posix.normalize(p))));
  });
}

/** Reads made outside a FreshState (first-read.ts: with the facts): for each view, when and as whom its queries were read. */
const readsElsewhere = new WeakMap<StateView, { at: number | undefined; keys: readonly string[]; become: BecomeRequest }>();

/** `view` holds what `queries` read, sent when the connection had started `at` commands (FreshState.readNow keeps such values). */
export function noteRead(view: StateView, at: number | undefined, queries: readonly StateQuery[], become: BecomeRequest): StateView {
  readsElsewhere.set(view, { at, keys: queries.map((q) => q.key), become });
  return view;
}

/** The fresh-state cache of one play on one host: the values read (and, in a dry run, predicted), and the stale queries. */
export class FreshState {
  /** Queries a change may have made stale and that were not read again yet (real run only). */
  private readonly stale = new Set<string>();
  /**
   * Per query read by this state: how many commands the connection had started just before the read,
   * and as whom it read. While no other command has started on the host since, what it read is what
   * the host holds.
   */
  private readonly readAt = new Map<string, { at: number | undefined; become: BecomeRequest }>();

  private constructor(
    readonly view: StateView,
    private readonly conn: Connection,
    private readonly reading: { become: BecomeRequest; play: string },
  ) {}

  /** One batched read of everything the play's tasks and handlers need. */
  static async read(conn: Connection, queries: StateQuery[], reading: { become: BecomeRequest; play: string }): Promise<FreshState> {
    const todo = uniqueQueries(queries);
    const before = conn.started;
    const state = new FreshState(await readState(conn, todo, { become: reading.become, label: `read state: ${reading.play}` }), conn, reading);
    for (const q of todo) state.readAt.set(q.key, { at: before, become: reading.become });
    return state;
  }

  /** What a read made elsewhere found (first-read.ts: with the facts). */
  static from(view: StateView, conn: Connection, reading: { become: BecomeRequest; play: string }): FreshState {
    const state = new FreshState(view, conn, reading);
    const read = readsElsewhere.get(view);
    for (const key of read?.keys ?? []) state.readAt.set(key, { at: read!.at, become: read!.become });
    return state;
  }

  /** Queries not read yet (a delegated task's, whose delegate's state grows task by task) are read now. */
  async include(queries: readonly StateQuery[]): Promise<void> {
    const todo = uniqueQueries(queries).filter((q) => !this.view.has(q.key));
    if (todo.length) await readState(this.conn, todo, { become: this.reading.become, view: this.view, label: `read state: ${this.reading.play}` });
  }

  /** Before a task plans: when it needs anything stale, that is read — with every stale query of `later` tasks, at once. */
  async ensureFresh(needs: readonly StateQuery[], later: () => StateQuery[]): Promise<void> {
    if (!needs.some((q) => this.stale.has(q.key))) return;
    const todo = uniqueQueries([...needs, ...later()]).filter((q) => this.stale.has(q.key));
    await readState(this.conn, todo, { become: this.reading.become, view: this.view, label: `read state again: ${this.reading.play}` });
    for (const q of todo) this.stale.delete(q.key);
  }

  /** Whether any of these queries is stale (a batch of changes stops before a task that would need a read). */
  anyStale(queries: readonly StateQuery[]): boolean {
    return queries.some((q) => this.stale.has(q.key));
  }

  /** Queries never read in this play (tasks prepared after it started: a rescue) are read now, in one batch. */
  async readMissing(needs: readonly StateQuery[]): Promise<void> {
    const todo = uniqueQueries(needs).filter((q) => !this.view.has(q.key));
    if (todo.length === 0) return;
    await readState(this.conn, todo, { become: this.reading.become, view: this.view, label: `read state: ${this.reading.play} (rescue)` });
  }

  /**
   * Read these queries now, whatever is known of them: for a task prepared just before it runs (its
   * queries were in no lookahead, so no change marked them stale), and for the state a registering
   * task left (settle.ts). One read, only for such tasks.
   */
  async readNow(needs: readonly StateQuery[], become: boolean): Promise<void> {
    // A value the play's read got, with no command started on the host since (a dry run that ran
    // nothing, a real run that changed nothing yet): reading it again would find the same (values read
    // are kept apart from a dry run's predictions, StateView), so it is not read again. A command
    // another host's delegated task began on this host before the read and ended after it is the one
    // change not seen, as the play's read itself would not see it.
    const as = become || this.reading.become;
    const unchanged = (q: StateQuery) => {
      const read = this.readAt.get(q.key);
      return read?.at !== undefined && read.at + 1 === this.conn.started && isDeepStrictEqual(read.become, as) && !this.stale.has(q.key);
    };
    const todo = uniqueQueries(needs).filter((q) => !unchanged(q));
    if (todo.length === 0) return;
    const before = this.conn.started;
    await readState(this.conn, todo, { become: as, view: this.view, label: `read state: ${this.reading.play} (for a task using a result)` });
    for (const q of todo) {
      this.stale.delete(q.key);
      this.readAt.set(q.key, { at: before, become: as });
    }
  }

  /**
   * A change is about to be made: what `later` tasks need and it may alter is marked stale. Returns
   * what of it the next task needs, for the change's own exec to read again.
   */
  changing(planned: PlanResult, later: readonly StateQuery[], next: readonly StateQuery[]): StateQuery[] {
    for (const q of staleAfter(planned, uniqueQueries(later), this.view)) this.stale.add(q.key);
    return uniqueQueries(next).filter((q) => this.stale.has(q.key));
  }

  /**
   * What of `next` the changes of `planned` would make stale (or is already): read again in their own
   * exec. Unlike `changing`, nothing is marked: a batch of changes (batch-apply.ts) marks what those of
   * its changes that ran may have altered once it knows which ran.
   */
  toRefresh(planned: PlanResult, next: readonly StateQuery[]): StateQuery[] {
    const wanted = uniqueQueries(next);
    const hit = new Set(staleAfter(planned, wanted, this.view).map((q) => q.key));
    return wanted.filter((q) => hit.has(q.key) || this.stale.has(q.key));
  }

  /** The change's exec came back with a fresh read of `queries` (as `changing` returned them). */
  refreshed(batch: BatchPlan, frames: BatchFrame[], queries: readonly StateQuery[]): void {
    batch.store(this.view, frames);
    for (const q of queries) this.stale.delete(q.key);
  }
}
