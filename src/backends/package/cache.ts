// update_cache / cache_valid_time: how old a package manager's indexes are, read as the age of the
// backend's stamp file (the host's clock against the file's mtime: no clock skew with the controller),
// and the refresh that touches the stamp after it succeeds. apt's stamp is the one Ubuntu's
// update-notifier hook and Ansible's apt module use (/var/lib/apt/periodic/update-success-stamp);
// dnf/yum and pkg have no such convention, so the stamp is fleetplan's, named in the backend.
import { shQuote } from '../../core/quote.js';
import type { StateQuery } from '../../state/query.js';
import type { ResourceId } from '../../state/resource.js';
import type { PackageBackend, PackageCache } from '../backends.js';

export interface CacheAge {
  /** Seconds since the last refresh; null when the stamp does not exist (never refreshed that way). */
  age: number | null;
}

export const cacheResource = (backend: string): ResourceId => ({ kind: 'package-cache', name: backend });

export function cacheAgeQuery(backend: PackageBackend & { cache: PackageCache }): StateQuery<CacheAge> {
  const s = shQuote(backend.cache.stamp);
  return {
    key: `package-cache:${backend.name}`,
    resource: cacheResource(backend.name),
    paths: [backend.cache.stamp],
    // GNU stat first, BSD's if that fails: as the state prelude's _fp_stat.
    script: `date +%s; if [ -e ${s} ]; then stat -c %Y -- ${s} 2>/dev/null || stat -f %m -- ${s}; fi`,
    parse(out) {
      const [now, mtime] = out.toString().trim().split('\n').map(Number);
      return { age: mtime === undefined || Number.isNaN(mtime) || now === undefined ? null : Math.max(0, now - mtime) };
    },
  };
}

/** The refresh, then the stamp touched (its directory made first): only a successful refresh counts. */
export function cacheUpdateCommand(cache: PackageCache): string {
  const dir = cache.stamp.slice(0, cache.stamp.lastIndexOf('/')) || '/';
  return `${cache.update} && mkdir -p -- ${shQuote(dir)} && touch -- ${shQuote(cache.stamp)}`;
}

/** Does a refresh have to run? Without cache_valid_time: always; with it, when older or never done. */
export function cacheIsStale(age: number | null, validFor: number | undefined): boolean {
  return validFor === undefined || age === null || age > validFor;
}
