// One run at a time per host: a lock directory created atomically (mkdir) when an apply starts on a
// host, holding who took it (its mtime says when), removed when the run ends there. A second
// operator's run fails on that host naming the holder; a lock left by a run that died is reported
// with its age and can be broken with --break-lock. Dry runs change nothing and take no lock.
import { hostname, userInfo } from 'node:os';
import { randomBytes } from 'node:crypto';
import { shQuote } from '../connectors/quote.js';

export const LOCK_DIR = '/tmp/fleetplan.lock';

export interface LockOwner {
  /** "alice@ops-laptop pid 4242": who holds it. */
  who: string;
  /** Unique per run: only the run that took the lock removes it. */
  token: string;
}

export function newOwner(): LockOwner {
  return { who: `${userInfo().username}@${hostname()} pid ${process.pid}`, token: randomBytes(8).toString('hex') };
}

/**
 * sh printing `lock=acquired`, or `lock=held` with `lock_owner=`, `lock_since=` (the lock's mtime) and
 * `lock_now=` (epoch seconds, the host's clock) lines. Runs with the facts; taking the lock runs no
 * process but mkdir (the time comes from the directory, read only when someone else holds it).
 */
export function acquireScript(owner: LockOwner, breakLock: boolean): string {
  const d = shQuote(LOCK_DIR);
  const line = shQuote(`${owner.token} ${owner.who}`);
  return [
    breakLock ? `rm -rf ${d}` : '',
    `if mkdir ${d} 2>/dev/null; then printf '%s\\n' ${line} > ${d}/owner; echo lock=acquired`,
    `else echo lock=held; o=$(cat ${d}/owner 2>/dev/null); echo "lock_owner=$o"`,
    `  echo "lock_since=$(stat -c %Y ${d} 2>/dev/null || stat -f %m ${d} 2>/dev/null)"; echo "lock_now=$(date +%s)"; fi`,
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * A lock taken from this controller by a process that no longer exists is provably stale (the run
 * died, e.g. its connection dropped before it could release): it may be taken over.
 */
export function staleFromHere(raw: Record<string, string>): boolean {
  const m = / (\S+)@(\S+) pid (\d+)(?: \d+)?$/.exec(raw.lock_owner ?? '');
  if (raw.lock !== 'held' || !m || m[2] !== hostname()) return false;
  try {
    process.kill(Number(m[3]), 0);
    return false;
  } catch {
    return true;
  }
}

/** The holder of a lock as the facts exec read it: who ("bob@ops-2 pid 77") and since when (epoch s). */
export function lockHolder(raw: Record<string, string>): { who: string; since: number } {
  const [, ...rest] = (raw.lock_owner ?? '').split(' ');
  // Earlier fleetplan versions wrote the time after the owner; now the directory's mtime says it.
  const since = /^\d+$/.test(rest.at(-1) ?? '') && rest.at(-3) === 'pid' ? Number(rest.pop()) : Number(raw.lock_since || NaN);
  return { who: rest.join(' ') || 'unknown', since };
}

/** Why the host is locked, from the facts exec's output, or undefined when the lock was taken. */
export function lockProblem(raw: Record<string, string>): string | undefined {
  if (raw.lock === 'acquired') return undefined;
  if (raw.lock !== 'held') return 'could not take the run lock (no answer from the lock script)';
  const { who, since } = lockHolder(raw);
  const age = Number.isFinite(since) && raw.lock_now ? `${Number(raw.lock_now) - since} s ago` : 'at an unknown time';
  return `another fleetplan run holds this host (${who}, since ${age}; lock ${LOCK_DIR}); if that run is gone, re-run with --break-lock`;
}

/** Removes the lock only if this run still owns it. */
export function releaseScript(owner: LockOwner): string {
  const d = shQuote(LOCK_DIR);
  return `_o=; read -r _o 2>/dev/null < ${d}/owner; case "$_o" in ${shQuote(owner.token)}\\ *) rm -rf ${d};; esac; true`;
}
