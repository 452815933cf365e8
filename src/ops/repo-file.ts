// What the repository operations (apt_repository, deb822_repository, yum_repository, pkg_repository)
// share: one definition file written (or removed when nothing is left in it), and — with
// update_cache — the package indexes refreshed after it changed, in the same task.
import { z } from 'zod';
import type { FileState } from '../state/file-state.js';
import { planFileContent } from './file-content.js';
import type { OpContext, PlanResult } from './operation.js';
import { cacheWanted, planCacheUpdate } from './package-cache.js';
import { planRemoval } from './safe-path.js';
import type { StateView } from '../state/query.js';

/** A value written into a definition file: one line, no NUL. */
export const oneLineValue = (what: string) =>
  z
    .string()
    .min(1)
    .refine((s) => !/[\n\r\0]/.test(s), { message: `${what} is one line` });

/** A file name in a directory the package manager reads: letters, digits, _ . - (apt ignores others). */
export const repoFileName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'a file name of letters, digits, _ . and - (apt and dnf ignore other names)');

/** Fails, naming the host, when its package manager is not the one the operation writes for. */
export function requirePkgMgr(op: string, wanted: readonly string[], ctx: OpContext): void {
  if (!wanted.includes(ctx.facts.pkg_mgr)) {
    throw new Error(
      `${op} configures ${wanted.join('/')} repositories; ${ctx.host} is ${ctx.facts.distribution} ${ctx.facts.distribution_version} with package manager ${ctx.facts.pkg_mgr} — guard the task with when: {facts.pkg_mgr: ${wanted[0]}}`,
    );
  }
}

/**
 * The definition file at `path` holding `content` (null: removed, as when its last entry went), then,
 * with `updateCache`, the host's package indexes refreshed — only when the file changes. `makesParent`:
 * the caller's own change makes the directory first (pkg_repository), so a missing one is not refused.
 */
export function planRepoFile(
  want: { path: string; content: string | null; updateCache: boolean; makesParent?: boolean },
  st: FileState,
  state: StateView,
  ctx: OpContext,
): PlanResult {
  let planned: PlanResult;
  if (want.content === null) {
    if (!st.exists) return { changes: [], reason: `${want.path} does not exist` };
    planned = planRemoval(want.path, st, false, `remove ${want.path}`);
  } else {
    planned = planFileContent({ path: want.path, content: Buffer.from(want.content), mode: '0644' }, st, ctx, want.makesParent ? undefined : state);
  }
  if (!want.updateCache || planned.changes.length === 0) return planned;
  const cache = cacheWanted(ctx.backends.package, { update_cache: true });
  const refresh = planCacheUpdate(cache!, state, true);
  return {
    changes: [...planned.changes, ...refresh.changes],
    effects: { ...planned.effects, predicts: [...(planned.effects?.predicts ?? []), ...refresh.predicts] },
  };
}
