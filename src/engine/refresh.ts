// After a change, which of the remaining tasks' state queries it may have made stale: those the next
// task needs are read again in the change's own script, the others when a task needs them.
// A change whose every predicted effect is on files (file, copy, template, line, settings, directory)
// and that is not opaque can only alter what is read from those paths, their ancestors (mkdir -p
// creates parents) or their descendants (a directory removed): a file query on such a path, or a query
// whose answer comes from there (its `paths`: a package database, unit files, rc.conf, the account
// files). Those are re-read and the others keep the values already read. After a change that may
// touch anything (a command, a package, a service, an account), and for a query that does not say
// where its answer comes from, everything is re-read. Paths are compared as written, so when any file
// read on the host is reached through a symbolic link (one file, two names), everything is re-read.
// A write's `validate` command is taken to only read (documented in docs/plans.md).
import path from 'node:path';
import type { PlanResult } from '../ops/operation.js';
import type { FileState } from '../state/file-state.js';
import type { StateQuery, StateView } from '../state/query.js';

const FILE = 'file:';

function related(a: string, b: string): boolean {
  return a === b || a.startsWith(b.endsWith('/') ? b : `${b}/`) || b.startsWith(a.endsWith('/') ? a : `${a}/`);
}

/** The queries `planned`'s changes may have made stale, out of `queries`; `view` holds what was read. */
export function staleAfter(planned: PlanResult, queries: readonly StateQuery[], view: StateView): StateQuery[] {
  const predicted = planned.predicts ?? [];
  const onlyFiles = !planned.opaque && predicted.length > 0 && predicted.every((p) => p.key.startsWith(FILE));
  if (!onlyFiles || view.some((v) => (v as FileState | undefined)?.linked === true)) return [...queries];
  const touched = predicted.map((p) => path.posix.normalize(p.key.slice(FILE.length)));
  return queries.filter((q) => {
    const from = q.resource?.startsWith(FILE) ? [q.resource.slice(FILE.length)] : q.paths;
    if (from === undefined) return true;
    return from.some((p) => touched.some((t) => related(t, path.posix.normalize(p))));
  });
}
