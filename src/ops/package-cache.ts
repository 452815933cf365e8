// update_cache / cache_valid_time of the package operation (and of the repository operations, whose
// change makes the cache stale): Ansible's apt semantics, for every backend that declares a cache.
import { z } from 'zod';
import type { PackageBackend, PackageCache } from '../backends/backends.js';
import { cacheAgeQuery, cacheIsStale, cacheResource, cacheUpdateCommand, type CacheAge } from '../backends/package/cache.js';
import type { StateQuery, StateView } from '../state/query.js';
import type { Change, Prediction } from './operation.js';

export const cacheArgs = {
  update_cache: z
    .boolean()
    .optional()
    .describe(
      'Refresh the package indexes first (apt-get update, yum/dnf makecache, pkg update). Without cache_valid_time it runs on every run. Dry run: "would update the package cache (last updated N s ago)"',
    ),
  cache_valid_time: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Refresh only when the last refresh is older than this many seconds (implies update_cache, as in Ansible)'),
};

export interface CacheWanted {
  backend: PackageBackend & { cache: PackageCache };
  validFor?: number;
  query: StateQuery<CacheAge>;
}

/** The cache refresh a task asks for, or undefined; fails naming the backend when it has no cache. */
export function cacheWanted(backend: PackageBackend, a: { update_cache?: boolean; cache_valid_time?: number }): CacheWanted | undefined {
  if (!a.update_cache && a.cache_valid_time === undefined) return undefined;
  if (a.update_cache === false) return undefined;
  const cache = backend.cache;
  if (!cache) throw new Error(`the package backend ${backend.name} has no package cache to update (update_cache)`);
  const withCache = { ...backend, cache };
  return { backend: withCache, validFor: a.cache_valid_time, query: cacheAgeQuery(withCache) };
}

const ago = (age: number | null) => (age === null ? 'no record of an update' : `last updated ${age} s ago`);

/**
 * The refresh to run (none when the cache is fresh enough), and the prediction of a fresh cache for
 * later tasks. `force`: a repository definition changed, so the indexes are stale whatever their age.
 */
export function planCacheUpdate(w: CacheWanted, state: StateView, force = false): { changes: Change[]; predicts: Prediction[]; fresh?: string } {
  // Forced (a repository changed): the age does not matter, and the task need not read it.
  const age = force ? null : state.get(w.query).age;
  if (!force && !cacheIsStale(age, w.validFor)) {
    return { changes: [], predicts: [], fresh: `package cache ${ago(age)} (valid for ${w.validFor} s)` };
  }
  const why = force ? 'a repository changed' : ago(age);
  return {
    changes: [{ kind: 'run', description: `update the package cache (${w.backend.name}; ${why})`, command: cacheUpdateCommand(w.backend.cache) }],
    predicts: [{ resource: cacheResource(w.backend.name), value: { age: 0 } satisfies CacheAge }],
  };
}
