// Acting on a host path without following a symbolic link the plan did not ask to follow, and without
// being turned by a swap between the state read and the change (docs/security.md, "Symlinks and paths a
// host user controls"). The read (state/file-state.ts) found the physical directory above each path and
// who may write the directories on the way; a change enters that directory with `cd -P`, checks that it
// is still the same physical path, and from there names only entries of it: a parent swapped for a link
// since the read makes the change fail instead of acting elsewhere. Entries a user may swap are acted on
// through the opened file or without following (the NO_FOLLOW helpers), or replaced by rename. What is
// not there (a missing parent, an entry that is no directory) is said as such, never as a swap: refused
// when planning (as a dry run does), and told apart by the change script when it is gone by then.
import { shQuote } from '../core/quote.js';
import type { Place } from '../core/change.js';
import { fileResource, linkRefusal, type FileState } from '../state/file-state.js';
import type { StateView } from '../state/query.js';
import { Unresolved, type PlanResult } from './operation.js';

export type { Place } from '../core/change.js';

export function dirnameOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i);
}

export function basenameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** `dir` + `/` + `name`, without doubling the slash of `/`. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/**
 * Refuses a path the plan may not act on: a parent that is a host user's symbolic link, a link at the
 * path itself unless `follow` (and then only a link root owns in directories only root may write), a
 * file with other hard links in a directory a user may write.
 */
export function checkPath(path: string, st: FileState, follow: boolean | undefined): void {
  if (st.foreignLink) {
    throw new Error(`${path}: ${st.foreignLink.path} is a symbolic link owned by ${st.foreignLink.owner}; refusing to follow a link a host user controls`);
  }
  const l = st.link;
  if (l) {
    const to = l.target || '(a path that does not exist)';
    if (!follow) throw new Error(linkRefusal(path, l));
    if (l.uid !== 0) throw new Error(`${path} is a symbolic link to ${to} owned by ${l.owner}: follow: true follows only a link owned by root`);
    if (l.userWritable) {
      throw new Error(`${path} is a symbolic link to ${to} in ${l.userWritable.path}, which ${l.userWritable.owner} may write: follow: true follows only a link in directories only root may write`);
    }
    if (!l.target || !st.followed) throw new Error(`${path} is a symbolic link to a path that does not exist; nothing to follow`);
  }
  if (st.nlink && st.userWritable) {
    throw new Error(
      `${path} has ${st.nlink} hard links and ${st.userWritable.path} is writable by ${st.userWritable.owner}: another name may be a file root alone should change; refusing`,
    );
  }
}

/** Where a change to `path` acts, from its read state (the link target when followed). */
export function placeOf(path: string, st: FileState): Place {
  // `/srv/www/` names /srv/www: its entry is `www` in /srv.
  const acted = (st.followed ?? path).replace(/(.)\/+$/, '$1');
  const parent = dirnameOf(acted);
  const anchor = st.anchor && (st.followed || st.anchor.logical === parent) ? st.anchor : { logical: parent, physical: parent };
  return { dir: anchor, name: basenameOf(acted), userWritable: st.userWritable !== undefined };
}

function fail(message: string): string {
  return `{ printf '%s\\n' ${shQuote(message)} >&2; exit 1; }`;
}

/**
 * `cd -P` into the directory, then the check that it is still the physical directory the read found. A
 * directory that cannot be entered at all is not a swap: NOT_ENTERED says what it is (missing, no
 * directory, no permission); the `exit` after it holds even where that helper is not defined.
 */
export function enterScript(dir: Place['dir'], what: string): string {
  const moved = `${what}: ${dir.logical} no longer leads to ${dir.physical} (changed since it was read: a symbolic link swapped in?); nothing done`;
  const d = shQuote(dir.logical);
  return `if cd -P -- ${d} 2>/dev/null; then [ "$PWD" = ${shQuote(dir.physical)} ] || ${fail(moved)}; else _fp_nodir ${shQuote(what)} ${d}; exit 1; fi`;
}

/**
 * `_fp_nodir WHAT DIR`: why `cd -P DIR` failed, said as what it is, then exit 1. Climbs from DIR to the
 * nearest existing entry with builtins (tests only, nothing followed into or changed): DIR missing below
 * a directory one may search; an entry on the way that is no directory (or a link leading to none); a
 * directory one may not search (not root: permission denied). A physical path that changed since the
 * read is enterScript's own message, never this one.
 */
export const NOT_ENTERED = String.raw`
_fp_nodir() {
  _fp_w=$2
  until [ -e "$_fp_w" ] || [ -L "$_fp_w" ]; do case "$_fp_w" in */*) _fp_w=${'$'}{_fp_w%/*}; [ -n "$_fp_w" ] || _fp_w=/ ;; *) _fp_w=. ;; esac; done
  if [ -d "$_fp_w" ] && [ "$_fp_w" != "$2" ] && [ -x "$_fp_w" ]; then _fp_c="directory $2 does not exist"
  elif [ -d "$_fp_w" ]; then _fp_c="directory $_fp_w cannot be entered (permission denied)"
  elif [ -L "$_fp_w" ]; then _fp_c="$_fp_w is a symbolic link that leads to no directory"
  else _fp_c="$_fp_w is not a directory"; fi
  printf '%s: %s; nothing done\n' "$1" "$_fp_c" >&2
  exit 1
}
`;

/**
 * What stops a new `path` from being made, or undefined: an entry on the way that is no directory, or —
 * unless `mkdirs` (a directory task makes the missing ones) — a missing parent. Goes by what the read
 * found (`anchor`, the nearest directory there, and `notDirectory`, the entry below it), except where an
 * earlier task of a dry run or batch predicts a directory on the way, from the parent up to the anchor.
 */
function obstacle(path: string, st: FileState, view: StateView, mkdirs: boolean): { why: string; missing?: boolean } | undefined {
  if (st.exists || st.followed || !st.anchor) return undefined;
  const parent = dirnameOf(path.replace(/(.)\/+$/, '$1'));
  const missing = { why: `destination directory ${parent} does not exist`, missing: true };
  const notDirectory = (q: string, link: boolean) => ({ why: link ? `${q} is a symbolic link that leads to no directory` : `${q} is not a directory` });
  for (let q = parent; ; q = dirnameOf(q)) {
    const p = view.prediction<FileState>(fileResource(q));
    if (p?.exists && p.type !== 'directory') return notDirectory(q, p.type === 'link');
    // A directory predicted there: what lies between it and the path is missing.
    if (p?.exists) return mkdirs || q === parent ? undefined : missing;
    if (p) return mkdirs ? undefined : missing; // predicted absent: mkdir -p makes it again, nothing else does
    if (q === st.anchor.logical && q === parent) return undefined;
    if (q === st.anchor.logical || q === '/' || q === '.') break;
  }
  if (st.notDirectory) return notDirectory(st.notDirectory.path, st.notDirectory.link);
  return mkdirs ? undefined : missing;
}

/**
 * Refuses a new `path` whose parent directory is not there: said at planning, so a dry run fails as the
 * real run would. copy, template, file and link make no parent directory (as Ansible's copy: "Destination
 * directory … does not exist"); the change would find no directory to enter. Unresolved: after a command
 * or a package install a dry run cannot tell, and reports the task as depending on it — with `planned`,
 * what it would then do (its diff, its prediction). Returns `planned` when nothing is missing.
 */
export function refuseMissingParent<T extends PlanResult | undefined>(path: string, st: FileState, view: StateView, planned?: T): T {
  const o = obstacle(path, st, view, false);
  if (o) throw new Unresolved(`${path}: ${o.why}`, o.missing ? 'create it first: a directory task makes it, parents included' : undefined, planned);
  return planned as T;
}

/** A directory task's path below an entry that is no directory: mkdir -p would fail, so the dry run does too. */
export function refuseBlocked(path: string, st: FileState, view: StateView): void {
  const o = obstacle(path, st, view, true);
  if (o) throw new Unresolved(`${path}: ${o.why}`);
}

/** `chown -h`/`chmod` words for what differs; empty when nothing does. */
function attrWords(owner: string, mode: string, target: string): string[] {
  return [owner ? `chown -h -- ${shQuote(owner)} ${target}` : '', mode ? `chmod -- ${mode} ${target}` : ''].filter(Boolean);
}

/**
 * chown/chmod of an existing entry, for what differs, never through a symbolic link. Where only root may
 * write on the way (nobody can swap a name), by path; else from inside the checked directory, a directory
 * as `.` once entered, a file through the opened file (NO_FOLLOW's `_fp_fattr`).
 */
export function attrScript(path: string, place: Place, type: FileState['type'], owner: string, mode: string): string {
  if (!place.userWritable) return attrWords(owner, mode, shQuote(joinPath(place.dir.logical, place.name))).join(' && ');
  const n = shQuote(place.name);
  if (type === 'directory') {
    const inside = joinPath(place.dir.physical, place.name);
    const swapped = fail(`${path} is no longer the directory read (a symbolic link swapped in?); nothing done`);
    return [enterScript(place.dir, path), `cd -P -- ${n} && [ "$PWD" = ${shQuote(inside)} ] || ${swapped}`, attrWords(owner, mode, '.').join(' && ')].join('\n');
  }
  const swapped = fail(`${path} is no longer the regular file read (a symbolic link swapped in?); nothing done`);
  return [
    enterScript(place.dir, path),
    `{ [ -f ${n} ] && ! [ -L ${n} ]; } || ${swapped}`,
    `{ _fp_same ${n} || ${swapped}; _fp_fattr ${shQuote(owner)} ${shQuote(mode)} ${n}; } < ${n}`,
  ].join('\n');
}

/**
 * mkdir of each missing directory, then chown/chmod of the last. Where a user may write on the way: one
 * level at a time from the nearest existing directory, entering each (never a link planted meanwhile),
 * the attributes set on `.`.
 */
export function mkdirScript(path: string, anchor: Place['dir'], userWritable: boolean, owner: string, mode: string): string {
  if (!userWritable) {
    const p = shQuote(path);
    return [`mkdir -p -- ${p}`, ...attrWords(owner, mode, p)].join(' && ');
  }
  const rest = anchor.logical === '.' ? path : path.slice(anchor.logical.length);
  let physical = anchor.physical;
  const steps = rest
    .split('/')
    .filter((c) => c !== '' && c !== '.')
    .map((c) => {
      physical = joinPath(physical, c);
      const q = shQuote(c);
      // mkdir's own message says why it failed (an entry there that is no directory, permission).
      const make = `{ [ -d ${q} ] || mkdir -- ${q} || ${fail(`${path}: cannot create directory ${physical}; nothing more done`)}; }`;
      return `${make} && cd -P -- ${q} && [ "$PWD" = ${shQuote(physical)} ] || ${fail(`${path}: ${physical} is not the directory created (a symbolic link swapped in?)`)}`;
    });
  return [enterScript(anchor, path), ...steps, attrWords(owner, mode, '.').join(' && ')].filter(Boolean).join('\n');
}

/** rm of the entry (rm never follows the link it removes); from inside its checked directory where a user may write. */
export function removeScript(path: string, place: Place, recursive: boolean): string {
  const rm = `rm -${recursive ? 'r' : ''}f --`;
  if (!place.userWritable) return `${rm} ${shQuote(path)}`;
  return `${enterScript(place.dir, path)} && ${rm} ${shQuote(place.name)}`;
}

/**
 * `state: absent` of what is at `path`: a link there is removed itself (rm never follows it), a host
 * user's link above it is refused; later tasks of a dry run see it gone.
 */
export function planRemoval(path: string, st: FileState, recursive: boolean, description: string): PlanResult {
  checkPath(path, { ...st, link: undefined }, false);
  const command = removeScript(path, placeOf(path, { ...st, followed: undefined }), recursive);
  return {
    changes: [{ kind: 'run', description, command }],
    effects: { predicts: [{ resource: fileResource(path), value: { exists: false } satisfies FileState }] },
  };
}
