// One run at a time per host. The lock is a file created exclusively (written aside, then
// hard-linked into place: link(2) fails when it exists) in a directory only root can write
// (/var/run/fleetplan, made 0700 when missing), so no host user can plant, remove or forge it; a
// parent that is a symlink, not root's, or writable by others is refused. The file holds one
// record in a strict grammar (`v1 <token> <user>@<host> pid <n>`), checked on the host before it
// is printed and parsed strictly here: anything else is an error naming the file, never data — a
// forged record cannot add lines to the facts exec's output. A record left by a dead run of this
// controller is taken over by exactly one racing run: the takeover holds a per-token mutex (mkdir)
// while it re-checks the token and removes the file. Dry runs change nothing and take no lock.
import { hostname, userInfo } from 'node:os';
import { randomBytes } from 'node:crypto';
import { shQuote } from '../core/quote.js';
import { processAlive } from '../core/process-alive.js';
import { POSTFIX_MARKER_VAR } from '../facts/gather.js';

export { processAlive };

/** Where the lock lives on every host (Linux /var/run → /run, FreeBSD /var/run): root-only, and cleared at boot. */
export const LOCK_PARENT = '/var/run/fleetplan';

export const lockPath = (parent = LOCK_PARENT) => `${parent}/lock`;
/** The run's record file: the lock's second name while this run holds it (takeOrReport). */
export const recordPath = (owner: LockOwner, parent = LOCK_PARENT) => `${parent}/lock.${owner.token}`;

export interface LockOwner {
  /** Unique per run: only the run that took the lock removes it. */
  token: string;
  user: string;
  host: string;
  pid: number;
}

/** What a record's user and host may hold: the controller's names, anything else replaced by `_`. */
const safe = (s: string, max: number) => (s.replace(/[^A-Za-z0-9._-]/g, '_') || '_').slice(0, max);

export function newOwner(): LockOwner {
  return { token: randomBytes(8).toString('hex'), user: safe(userInfo().username, 64), host: safe(hostname(), 253), pid: process.pid };
}

export const ownerRecord = (o: LockOwner) => `v1 ${o.token} ${o.user}@${o.host} pid ${o.pid}`;
export const describeOwner = (o: LockOwner) => `${o.user}@${o.host} pid ${o.pid}`;

const RECORD = /^v1 ([0-9a-f]{16}) ([A-Za-z0-9._-]{1,64})@([A-Za-z0-9._-]{1,253}) pid ([1-9][0-9]{0,9})$/;

/** A record in the grammar, or undefined: the caller reports it as malformed. */
export function parseRecord(line: string): LockOwner | undefined {
  const m = RECORD.exec(line);
  return m ? { token: m[1]!, user: m[2]!, host: m[3]!, pid: Number(m[4]) } : undefined;
}

/**
 * sh checking the lock's parent: made 0700 when missing; `lock=unsafe` (with what `ls -ldn` says)
 * unless it is a directory (not a symlink) of uid 0 that neither group nor others may write;
 * `lock=needroot` when not run as root. One `ls` per run: it also replaces the mkdir a directory
 * lock cost, so taking the lock forks no more than before.
 */
function parentCheck(parent: string): string {
  const p = shQuote(parent);
  return [
    `_fl_p=${p}; _fl_l=${shQuote(lockPath(parent))}; _fl_s=`,
    `if [ ! -O / ]; then echo lock=needroot; _fl_s=1`,
    `else`,
    `  [ -e "$_fl_p" ] || [ -h "$_fl_p" ] || mkdir -m 700 "$_fl_p" 2>/dev/null`,
    `  set -- $(ls -ldn "$_fl_p" 2>/dev/null)`,
    // d, user bits, group write '-', two, other write '-', then nothing or an SELinux '.' (an ACL '+' is refused).
    `  case "$1:$3" in d????-??-?:0|d????-??-?.:0) ;; *) echo lock=unsafe; echo "lock_parent=$1 uid $3"; _fl_s=1 ;; esac`,
    `fi`,
  ].join('\n');
}

/**
 * sh creating the lock file exclusively with this run's record. When it exists: `lock=held` with the
 * record (`lock_owner=`), its mtime and the host's clock — or `lock=malformed` when the file is not a
 * root-owned regular file holding one line of the record's characters. Nothing from the file is
 * printed unchecked.
 */
function takeOrReport(owner: LockOwner): string {
  return [
    `if [ -z "$_fl_s" ]; then`,
    // The record is written to a file of this run's own and hard-linked into place: link(2) fails
    // when the lock exists (as O_EXCL would) and a racing reader never sees a half-written record.
    // A link that fails on a file gone a moment later (its holder released it, or a stale takeover
    // removed it) is tried again; three failures with no file is a real failure (read-only, full).
    // The record file (lock.<token>) stays while the lock is held, and the release removes both in
    // one rm: taking the lock execs ln only. One left by this run's own take (a re-take after a
    // reboot that kept /var/run) is removed first, so writing it never rewrites the held lock.
    `  _fl_t="$_fl_p"/lock.${owner.token}; _fl_r=failed`,
    `  if [ -e "$_fl_t" ] || [ -h "$_fl_t" ]; then rm -f -- "$_fl_t"; fi`,
    `  if { printf '%s\\n' ${shQuote(ownerRecord(owner))} > "$_fl_t"; } 2>/dev/null; then`,
    `    for _fl_i in 1 2 3; do`,
    // Tested before each link too: ln would put the link inside a directory (or a symlink to one).
    `      if [ -e "$_fl_l" ] || [ -h "$_fl_l" ]; then _fl_r=exists; break; fi`,
    `      if ln -- "$_fl_t" "$_fl_l" 2>/dev/null; then _fl_r=acquired; break; fi`,
    `    done`,
    `  fi`,
    // Held, in the directory checked above: the facts that follow may keep Postfix's version there (facts/gather.ts).
    `  if [ "$_fl_r" = acquired ]; then echo lock=acquired; ${POSTFIX_MARKER_VAR}="$_fl_p"/postfix_version`,
    // Not taken: this run's record file goes now (a run that holds no lock leaves nothing behind).
    `  else`,
    `    rm -f -- "$_fl_t"`,
    `    _fl_o=; _fl_x=; _fl_m=`,
    `    if [ "$_fl_r" = failed ]; then echo lock=failed; _fl_m=-`,
    `    elif [ -h "$_fl_l" ] || { [ -e "$_fl_l" ] && { [ ! -f "$_fl_l" ] || [ ! -O "$_fl_l" ]; }; }; then _fl_m=1`,
    // 2>/dev/null first: a file removed since the check is read as empty (held, no record yet), quietly.
    `    else { IFS= read -r _fl_o || [ -n "$_fl_o" ]; { IFS= read -r _fl_x || [ -n "$_fl_x" ]; } && _fl_m=1; } 2>/dev/null < "$_fl_l"; fi`,
    `    case "$_fl_o" in *[!A-Za-z0-9@._\\ -]*) _fl_m=1 ;; esac`,
    `    [ \${#_fl_o} -gt 400 ] && _fl_m=1`,
    `    case "$_fl_m" in -) ;; 1) echo lock=malformed ;; *) echo lock=held; echo "lock_owner=$_fl_o" ;; esac`,
    `    echo "lock_since=$(stat -c %Y "$_fl_l" 2>/dev/null || stat -f %m "$_fl_l" 2>/dev/null)"; echo "lock_now=$(date +%s)"`,
    `  fi`,
    `fi`,
  ].join('\n');
}

/**
 * sh printing `lock=acquired`, or why not (see LockState). Runs with the facts, in the same exec.
 * `breakLock` first removes whatever lock (and takeover mutex, and record left unlinked) is there.
 */
export function acquireScript(owner: LockOwner, breakLock: boolean, parent = LOCK_PARENT): string {
  const brk = breakLock ? `[ -z "$_fl_s" ] && rm -rf "$_fl_l" "$_fl_p"/takeover.* "$_fl_p"/lock.*` : '';
  return [parentCheck(parent), brk, takeOrReport(owner)].filter(Boolean).join('\n');
}

/**
 * Takes over a lock whose holder is known to be dead (token `stale`): under the mutex
 * takeover.<token> (mkdir: one racer at a time), removes the file only if it still holds that
 * token, then creates this run's exclusively. Of any number of racers exactly one ends up holding it.
 */
export function takeoverScript(owner: LockOwner, stale: string, parent = LOCK_PARENT): string {
  if (!/^[0-9a-f]{16}$/.test(stale)) throw new Error(`not a lock token: ${stale}`);
  const mutex = `"$_fl_p"/takeover.${stale}`;
  return [
    parentCheck(parent),
    `if [ -z "$_fl_s" ] && mkdir ${mutex} 2>/dev/null; then`,
    `  _fl_o=; { IFS= read -r _fl_o; } < "$_fl_l" 2>/dev/null`,
    // The dead run's record file (lock.<token>, kept while it held the lock) goes with its lock.
    `  case "$_fl_o" in "v1 ${stale} "*) rm -f -- "$_fl_l" "$_fl_p"/lock.${stale} ;; esac`,
    `  rmdir ${mutex}`,
    `fi`,
    takeOrReport(owner),
  ].join('\n');
}

/** Exit status of heldScript when the lock does not hold this run's record (yet). */
export const NOT_HELD = 97;

/** sh ending the script it begins (exit NOT_HELD, nothing printed) unless the lock holds this run's record. */
export function heldScript(owner: LockOwner, parent = LOCK_PARENT): string {
  const l = shQuote(lockPath(parent));
  return `_fl_o=; { IFS= read -r _fl_o; } 2>/dev/null < ${l}; case "$_fl_o" in ${shQuote(`v1 ${owner.token} `)}*) ;; *) exit ${NOT_HELD};; esac`;
}

/**
 * Removes the lock only if this run still owns it, and this run's record file (lock.<token>) in any
 * case, in one rm. The rm is exec'd in place of the script's shell (each script runs in a subshell of
 * its own, shell-session.ts; a one-shot `sh -s` ends with it): no fork for it. Its status is the
 * release's — a lock that could not be removed is reported.
 */
export function releaseScript(owner: LockOwner, parent = LOCK_PARENT): string {
  const l = shQuote(lockPath(parent));
  const t = shQuote(recordPath(owner, parent));
  return `_fl_o=; { IFS= read -r _fl_o; } 2>/dev/null < ${l}; case "$_fl_o" in ${shQuote(`v1 ${owner.token} `)}*) exec rm -f -- ${l} ${t};; esac; exec rm -f -- ${t}`;
}

export type LockState =
  | { kind: 'acquired' }
  | { kind: 'held'; owner?: LockOwner; since?: number; now?: number }
  | { kind: 'malformed' }
  | { kind: 'unsafe'; detail: string }
  | { kind: 'needroot' }
  | { kind: 'failed' }
  | { kind: 'none' };

/** What the lock script said, parsed strictly: a record outside the grammar is `malformed`. */
export function readLock(raw: Record<string, string>): LockState {
  const num = (s: string | undefined) => (s && /^\d{1,12}$/.test(s) ? Number(s) : undefined);
  switch (raw.lock) {
    case 'acquired':
    case 'malformed':
    case 'needroot':
    case 'failed':
      return { kind: raw.lock };
    case 'unsafe':
      return { kind: 'unsafe', detail: (raw.lock_parent ?? '').replace(/[^\w .+:-]/g, '?').slice(0, 100) };
    case 'held': {
      const line = raw.lock_owner ?? '';
      if (line === '') return { kind: 'held', since: num(raw.lock_since), now: num(raw.lock_now) };
      const owner = parseRecord(line);
      return owner ? { kind: 'held', owner, since: num(raw.lock_since), now: num(raw.lock_now) } : { kind: 'malformed' };
    }
    default:
      return { kind: 'none' };
  }
}

/**
 * The token of a lock taken from this controller by a process that no longer exists: provably
 * stale (the run died, e.g. its connection dropped before it could release), so it may be taken over.
 */
export function staleToken(state: LockState, here = safe(hostname(), 253), alive = processAlive): string | undefined {
  if (state.kind !== 'held' || !state.owner || state.owner.host !== here) return undefined;
  return alive(state.owner.pid) ? undefined : state.owner.token;
}

/** Why the host is locked (or the lock could not be checked), or undefined when the lock was taken. */
export function lockProblem(state: LockState, parent = LOCK_PARENT): string | undefined {
  const file = lockPath(parent);
  switch (state.kind) {
    case 'acquired':
      return undefined;
    case 'malformed':
      return `the run lock record at ${file} is malformed — not written by fleetplan; inspect and remove it (or re-run with --break-lock)`;
    case 'unsafe':
      return `the run lock directory ${parent} is unsafe (${state.detail || 'missing and could not be created'}): it must be a directory owned by root (uid 0), not a symlink, that no group or other user may write; inspect and fix it`;
    case 'needroot':
      return `the run lock at ${file} needs root on the host: log in as root or allow become (sudo) for this user`;
    case 'failed':
      return `could not create the run lock ${file} (is the filesystem read-only or full? a run may also have just released it: re-run)`;
    case 'none':
      return 'could not take the run lock (no answer from the lock script)';
    case 'held': {
      const who = state.owner ? describeOwner(state.owner) : 'a run that has not written its record yet';
      const age = state.since !== undefined && state.now !== undefined ? `${state.now - state.since} s ago` : 'at an unknown time';
      return `another fleetplan run holds this host (${who}, since ${age}; lock ${file}); if that run is gone, re-run with --break-lock`;
    }
  }
}
