// A state query is one piece of the batched state read: a POSIX sh snippet run on the host and a pure
// parser of what it printed. Operations declare the queries they need; the engine de-duplicates them by
// key, runs them all in one exec (src/state/batch.ts) and hands each operation the parsed values.
import { resourceKey, type ResourceId } from './resource.js';

export interface StateQuery<T = unknown> {
  /** Identity for de-duplication: "file:/etc/postfix/main.cf#<sha>". */
  readonly key: string;
  /**
   * The resource the value describes (the file /etc/postfix/main.cf), when check mode can predict it:
   * a prediction for the resource replaces the value read from the host.
   */
  readonly resource?: ResourceId;
  /** POSIX sh run in a subshell; may use the helpers of src/state/prelude.ts. Must not change the host. */
  readonly script: string;
  /**
   * Run in the batch's own shell instead of a subshell (a fork less, ≈ 0.3 ms of the host's CPU): only
   * for a script that sets no variable but `_fp_*` ones (each set before it is read), never exits or
   * sets options, and leaves the positional parameters empty and the cwd (with OLDPWD) as it found
   * them — whatever a user's command does must run in a subshell of its own inside it
   * (commandStatusQuery's `(eval …)`).
   */
  readonly inShell?: boolean;
  /** Pure: raw stdout bytes and exit status of the snippet → value. */
  parse(out: Buffer, exitCode: number): T;
  /**
   * Queries of one group (same id) read the same kind of thing for a list of names (services of one
   * init system, packages of one manager): a batch reads them all with one query for every name,
   * one process instead of one per task (src/state/batch.ts).
   */
  readonly group?: NameGroup;
  /**
   * Where on the host the answer comes from: a change that only writes files elsewhere cannot alter it,
   * so the query is not read again after such a change (src/engine/refresh.ts). Unset: any change may.
   */
  readonly paths?: readonly string[];
}

export interface NameGroup {
  /** Queries with the same id can be answered by one `read` of all their names. */
  readonly id: string;
  readonly names: readonly string[];
  read(names: string[]): StateQuery<Record<string, unknown>>;
  /** This query's value out of the merged record. Default: the record of its own names. */
  pick?(all: Record<string, unknown>): unknown;
}

/** A by-name query (value: a record by name) that a batch may merge with others of its group. */
export function groupedByName<T>(
  id: string,
  names: string[],
  read: (names: string[]) => StateQuery<Record<string, T>>,
): StateQuery<Record<string, T>> {
  return { ...read(names), group: { id, names, read } };
}

/**
 * The values of a batch, by query key, plus check-mode predictions by resource: what earlier tasks of
 * this run would have changed, so later tasks are planned against the state they would really meet.
 */
export class StateView {
  private readonly values = new Map<string, unknown>();
  private readonly predicted = new Map<string, unknown>();

  set(key: string, value: unknown): void {
    this.values.set(key, value);
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  /** Whether any value read from the host satisfies `test`. */
  some(test: (value: unknown) => boolean): boolean {
    for (const v of this.values.values()) if (test(v)) return true;
    return false;
  }

  get<T>(query: StateQuery<T>): T {
    if (query.resource !== undefined && this.predicted.size > 0) {
      const key = resourceKey(query.resource);
      if (this.predicted.has(key)) return this.predicted.get(key) as T;
    }
    if (!this.values.has(query.key)) {
      throw new Error(`internal: state for ${query.key} was not read (the operation did not declare this query)`);
    }
    return this.values.get(query.key) as T;
  }

  /** Record what a resource would be after a check-mode change. */
  predict(resource: ResourceId, value: unknown): void {
    this.predicted.set(resourceKey(resource), value);
  }

  /** A prediction for one resource, for queries that cover several (packages, services). */
  prediction<T>(resource: ResourceId): T | undefined {
    return this.predicted.get(resourceKey(resource)) as T | undefined;
  }
}
