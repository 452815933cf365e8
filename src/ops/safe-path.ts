// Acting on a host path without following a symbolic link the plan did not ask to follow, and without
// being turned by a swap between the state read and the change (docs/security.md, "Symlinks and paths a
// host user controls"). The read (state/file-state.ts) found the physical directory above each path and
// who may write the directories on the way; a change enters that directory with `cd -P`, checks that it
// is still the same physical path, and from there names only entries of it: a parent swapped for a link
// since the read makes the change fail instead of acting elsewhere. Entries a user may swap are acted on
// through the opened file or without following (the NO_FOLLOW helpers), or replaced by rename.
import { shQuote } from '../core/quote.js';
import type { Place } from '../core/change.js';
import { fileResource, linkRefusal, type FileState } from '../state/file-state.js';
import type { PlanResult } from './operation.js';

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

/** `cd -P` into the directory, then the check that it is still the physical directory the read found. */
export function enterScript(dir: Place['dir'], what: string): string {
  const moved = `${what}: ${dir.logical} no longer leads to ${dir.physical} (changed since it was read: a symbolic link swapped in?); nothing done`;
  return `cd -P -- ${shQuote(dir.logical)} && [ "$PWD" = ${shQuote(dir.physical)} ] || ${fail(moved)}`;
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
      return `{ [ -d ${q} ] || mkdir -- ${q}; } && cd -P -- ${q} && [ "$PWD" = ${shQuote(physical)} ] || ${fail(`${path}: ${physical} is not the directory created (a symbolic link swapped in?)`)}`;
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
