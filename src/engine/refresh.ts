// After a change, which of the remaining tasks' state queries are read again (in the change's own exec).
// A change whose every predicted effect is on files (file, copy, template, line, settings, directory)
// and that is not opaque can only alter file queries on those paths, their ancestors (mkdir -p creates
// parents) and their descendants (a directory removed); those are re-read, other file queries keep the
// values already read. Every query that is not about a file (services: a unit file or rc.conf may have
// been written; packages, accounts, sysrc) is always re-read, and so is everything after a change that
// may touch anything (a command, a package, a service, an account). Paths are compared as written, so
// when any file read on the host is reached through a symbolic link (one file, two names), every file
// query is re-read.
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
    if (!q.resource?.startsWith(FILE)) return true;
    const p = path.posix.normalize(q.resource.slice(FILE.length));
    return touched.some((t) => related(t, p));
  });
}
