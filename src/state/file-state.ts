// The state of one path: type, mode, owner, group, size, sha256 — and its content only when the
// caller's wanted hash differs, so a no-change run ships hashes, not files.
import { marker, newNonce } from '../core/framing.js';
import { shQuote } from '../core/quote.js';
import type { StateQuery } from './query.js';
import type { ResourceId } from './resource.js';
import { parseHashes } from './hash-lines.js';

export interface FileState {
  exists: boolean;
  /** `link`: the name itself is a symbolic link (read without following it, see `link`). */
  type?: 'file' | 'directory' | 'link' | 'other';
  /** Octal permission bits, 4 digits: "0644". */
  mode?: string;
  owner?: string;
  group?: string;
  size?: number;
  sha256?: string;
  /** Present when requested and the hash differed from the wanted one (and the file is small enough). */
  content?: Buffer;
  /** The path or one of its parent directories is a symbolic link: another path may name this file. */
  linked?: boolean;
  /** The name is a symbolic link: where it leads (resolved; '' when it leads nowhere) and who owns the link. */
  link?: { target: string; owner: string; uid: number; userWritable?: { path: string; owner: string } };
  /** With `follow`, the state is the link target's: its resolved path, which the change acts on. */
  followed?: string;
  /**
   * The nearest existing directory above the path (its parent, unless parents are missing): as the plan
   * names it, and as it physically is (links resolved). A change enters it with `cd -P` and checks it again.
   */
  anchor?: { logical: string; physical: string };
  /**
   * Only when a parent is missing: the entry on the way to the path, just below `anchor`, that exists but is
   * no directory (a file, or a symbolic link leading to none: `link`), so nothing can be created below it.
   */
  notDirectory?: { path: string; link: boolean };
  /** A directory on the physical way to the path that a user other than root may write, and its owner. */
  userWritable?: { path: string; owner: string };
  /** A symbolic link among the parent directories owned by another user than root: never followed. */
  foreignLink?: { path: string; owner: string };
  /** Hard links to the file (another name may be elsewhere). */
  nlink?: number;
}

/** The refusal of a symbolic link at a path the plan did not ask to follow: names the path, its target and owner. */
export function linkRefusal(path: string, link: NonNullable<FileState['link']>): string {
  return `${path} is a symbolic link to ${link.target || '(a path that does not exist)'} owned by ${link.owner}; refusing to follow it (follow: true acts on its target)`;
}

/**
 * A link's state as an op reading content sees it: asking for the content (which was never read)
 * fails with the refusal naming the link, whatever the op does next (line, settings).
 */
function refuseContent(path: string, st: FileState): FileState {
  Object.defineProperty(st, 'content', {
    enumerable: false,
    get() {
      throw new Error(linkRefusal(path, st.link!));
    },
  });
  return st;
}

/** Largest file whose content is fetched for a diff; larger ones are reported "too large to show". */
export const DIFF_CONTENT_LIMIT = 1024 * 1024;

function normalizeType(t: string): NonNullable<FileState['type']> {
  const s = t.toLowerCase();
  if (s.includes('link')) return 'link';
  if (s.includes('directory')) return 'directory';
  if (s.includes('regular')) return 'file';
  return 'other';
}

export function fileResource(path: string): ResourceId {
  return { kind: 'file', path };
}

export function normalizeMode(mode: string): string {
  return mode.replace(/^0*/, '').padStart(4, '0');
}

/** What one file query asks: the path, and the hash of the wanted content when its current content may be needed. */
interface FileSpec {
  path: string;
  wantSha?: string;
  withContent?: boolean;
  /** A symbolic link at the path is followed (the plan's `follow: true`); otherwise it is reported, never read through. */
  follow?: boolean;
}

/** File queries are one name group: a batch reads all its paths with one `stat` and one `sha256sum`. */
const FILES_GROUP = 'files';

function specName(s: FileSpec): string {
  return JSON.stringify([s.path, s.wantSha ?? null, s.withContent === true, s.follow === true]);
}

function parseSpec(name: string): FileSpec {
  const [path, wantSha, withContent, follow] = JSON.parse(name) as [string, string | null, boolean, boolean];
  return { path, wantSha: wantSha ?? undefined, withContent, follow };
}

/**
 * `wantSha`: the hash of the wanted content. When it differs and `withContent`, the current content
 * comes back too (for the diff). `follow`: a symbolic link at the path is read through (its target's state).
 */
export function fileQuery(path: string, opts: { wantSha?: string; withContent?: boolean; follow?: boolean } = {}): StateQuery<FileState> {
  const name = specName({ path, ...opts });
  // Built only when this query runs alone: in a batch, it is merged with the others.
  let alone: StateQuery<Record<string, FileState>> | undefined;
  return {
    key: `file:${path}` + (opts.withContent ? `#${opts.wantSha ?? 'content'}` : '') + (opts.follow ? '#follow' : ''),
    resource: fileResource(path),
    get script() {
      return (alone ??= readFiles([name])).script;
    },
    inShell: true, // as readFiles' query
    parse: (out, exitCode) => (alone ??= readFiles([name])).parse(out, exitCode)[name] as FileState,
    group: { id: FILES_GROUP, names: [name], read: readFiles, pick: (all) => all[name] },
  };
}

/** Adds the name in `$_fp_x` to the one `stat` call's operands, once, and says so in the output. */
const ADD = (mark: string, v: string) =>
  `_fp_x=${v}; case "$_fp_seen" in *"$_fp_nl$_fp_x$_fp_nl"*) ;; *) _fp_seen=$_fp_seen$_fp_x$_fp_nl; set -- "$@" "$_fp_x"; printf '%s\\n%s\\n' '${mark} N' "$_fp_x" ;; esac`;

/** Every directory of a physical path in `$_fp_q`, from it up to (not including) `/`. */
const CHAIN = (mark: string) => `while [ -n "$_fp_q" ]; do ${ADD(mark, '$_fp_q')}; _fp_q=\${_fp_q%/*}; done`;

/**
 * Every path asked, in a fixed number of processes whatever their count: symbolic links, existence and
 * the physical directory above each path found with builtins (`[ -L ]`, `cd -P`); then ONE `stat` that
 * never follows a link, of the paths, the links among their parents and every directory on their physical
 * way (so a directory a user may write is seen); one hash of the regular files (never through a link the
 * plan did not ask to follow), and the content of those whose hash is not the wanted one — read from the
 * opened file only after checking it is the file the name holds (no link swapped in meanwhile). A
 * `realpath` runs only for a path that is itself a symbolic link. Each item starts with a marker line
 * carrying a random token, so no file name or content can be taken for one.
 */
function readFiles(names: string[]): StateQuery<Record<string, FileState>> {
  const specs = names.map(parseSpec);
  const paths = [...new Set(specs.map((s) => s.path))];
  const followed = new Set(specs.filter((s) => s.follow).map((s) => s.path));
  const mark = marker(newNonce());
  const list = (ps: string[]) => ps.map(shQuote).join(' ');
  const item = (tag: string, v: string) => `printf '%s\\n%s\\n' '${mark} ${tag}' "${v}"`;
  const compare = specs.some((s) => s.withContent && s.wantSha !== undefined);
  const contents = specs.flatMap((s, k) => (s.withContent ? [contentScript(s, k, mark)] : []));
  const hashable = (ps: string[], follow: boolean) =>
    ps.length ? [`for _fp_p in ${list(ps)}; do if [ -f "$_fp_p" ]${follow ? '' : ' && ! [ -L "$_fp_p" ]'}; then set -- "$@" "$_fp_p"; fi; done`] : [];
  const script = [
    // The batch's positional parameters (none) carry the stat and hash operands; OLDPWD is kept to be put back.
    `set --; _fp_nl='\n'; _fp_seen=$_fp_nl; _fp_o=$PWD; _fp_ov=\${OLDPWD-}; _fp_os=\${OLDPWD+1}`,
    `for _fp_p in ${list(paths)}; do`,
    `  printf '%s\\n' '${mark} P'`,
    // Symbolic links on the way, tested with builtins only: no process per path component.
    `  _fp_l=0; _fp_w=$_fp_p; while [ -n "$_fp_w" ]; do if [ -L "$_fp_w" ]; then _fp_l=1; if [ "$_fp_w" != "$_fp_p" ]; then ${item('K', '$_fp_w')}; ${ADD(mark, '$_fp_w')}; fi; fi; case "$_fp_w" in */*) _fp_w=\${_fp_w%/*} ;; *) _fp_w= ;; esac; done`,
    `  _fp_e=0; if [ -e "$_fp_p" ]; then _fp_e=1; fi; _fp_k=0; if [ -L "$_fp_p" ]; then _fp_k=1; fi; printf '%s\\n' "${mark} F$_fp_l$_fp_e$_fp_k"`,
    // The nearest existing directory above the path, and where it physically is; the entry below it on
    // the way ($_fp_m) is reported when it is neither the path nor missing: it exists, but is no directory.
    `  _fp_d=$_fp_p; while :; do _fp_m=$_fp_d; case "$_fp_d" in */*) _fp_d=\${_fp_d%/*}; [ -n "$_fp_d" ] || _fp_d=/ ;; *) _fp_d=. ;; esac; if [ -d "$_fp_d" ]; then break; fi; done`,
    `  if [ "$_fp_m" != "$_fp_p" ]; then if [ -L "$_fp_m" ]; then ${item('M1', '$_fp_m')}; elif [ -e "$_fp_m" ]; then ${item('M0', '$_fp_m')}; fi; fi`,
    `  if cd -P -- "$_fp_d" 2>/dev/null; then ${item('A', '$_fp_d')}; ${item('B', '$PWD')}; _fp_q=$PWD; ${CHAIN(mark)}; fi`,
    `  if [ $_fp_e = 1 ] || [ $_fp_k = 1 ]; then ${ADD(mark, '$_fp_p')}; fi`,
    `  if [ $_fp_k = 1 ]; then _fp_r=$(realpath -- "$_fp_p" 2>/dev/null) || _fp_r=; ${item('T', '$_fp_r')}; if [ -n "$_fp_r" ]; then _fp_q=\${_fp_r%/*}; ${CHAIN(mark)}; if [ -e "$_fp_r" ]; then ${ADD(mark, '$_fp_r')}; fi; fi; fi`,
    `  cd -P -- "$_fp_o"`,
    'done',
    // Back where the batch's shell was, as it named it, with its OLDPWD: the queries after this one see
    // that shell. (bash starts with OLDPWD exported and unset; dash and FreeBSD's sh without it.)
    `cd -- "$_fp_o"; if [ -n "$_fp_os" ]; then OLDPWD=$_fp_ov; else unset OLDPWD; if [ -n "\${BASH_VERSION-}" ]; then export OLDPWD; fi; fi`,
    `echo '${mark} stat'`,
    'if [ $# -gt 0 ]; then _fp_stat "$@" 2>/dev/null; fi',
    `echo '${mark} sha'`,
    'set --',
    ...hashable(paths.filter((p) => !followed.has(p)), false),
    ...hashable(paths.filter((p) => followed.has(p)), true),
    // The hashes are kept only when a wanted content must be compared with them here.
    compare
      ? `_fp_sums=; if [ $# -gt 0 ]; then _fp_sums=$(_fp_shx "$@" 2>/dev/null); printf '%s\\n' "$_fp_sums"; fi`
      : 'if [ $# -gt 0 ]; then _fp_sha "$@" 2>/dev/null; fi',
    ...(contents.length ? [`echo '${mark} content'`, ...contents] : []),
    'set --',
    ':',
  ].join('\n');
  return {
    key: `files:${names.join('\n')}`,
    script,
    // `_fp_*` variables only, no arguments left, cwd and OLDPWD put back (test/unit/state-in-shell.test.ts).
    inShell: true,
    parse(out) {
      return parseFiles(out, specs, names, paths, mark);
    },
  };
}

/**
 * Ships a file's first DIFF_CONTENT_LIMIT + 1 bytes unless its hash line says it has the wanted content.
 * Without `follow`, only from a file opened and then found to be the one its name holds, not a link.
 */
function contentScript(s: FileSpec, k: number, mark: string): string {
  const p = shQuote(s.path);
  const ship = `echo '${mark} content ${k}'; head -c ${DIFF_CONTENT_LIMIT + 1}; echo; echo '${mark} end ${k}'`;
  const read = s.follow
    ? `if [ -f ${p} ]; then { ${ship}; } < ${p}; fi`
    : `if [ -f ${p} ] && ! [ -L ${p} ]; then { if _fp_same ${p}; then ${ship}; fi; } < ${p}; fi`;
  if (s.wantSha === undefined) return read;
  // Literal (quoted) pattern: the wanted hash and this name, in GNU's or BSD's line format. A name
  // GNU escapes never matches, and the content is shipped anyway: more bytes, never a wrong diff.
  const w = shQuote(s.wantSha);
  const line = (sep: string) => `*"$_fp_nl"${w}'${sep}'${p}"$_fp_nl"*`;
  return `case "$_fp_nl$_fp_sums$_fp_nl" in ${line('  ')}|${line(' ')}) ;; *) ${read} ;; esac`;
}

/** One `stat` record: what the parse needs of a path, a parent directory or a link. */
interface StatRecord {
  type: NonNullable<FileState['type']>;
  mode: string;
  owner: string;
  group: string;
  size: number;
  uid: number;
  gid: number;
  /** st_mode, type and sticky bits included. */
  raw: number;
  nlink: number;
}

/** What the builtins found for one path (the items before the stat section). */
interface PathItems {
  flags: string;
  parentLinks: string[];
  anchor?: { logical: string; physical: string };
  target?: string;
  notDirectory?: { path: string; link: boolean };
}

/** Splits the item section: `<mark> TAG\nvalue\n` items, values as raw (latin1) strings. */
function parseItems(sec: string, mark: string, count: number): { perPath: PathItems[]; statted: string[] } {
  const perPath: PathItems[] = [];
  const statted: string[] = [];
  const chunks = sec.split(`${mark} `).slice(1);
  let cur: PathItems | undefined;
  for (const chunk of chunks) {
    const nl = chunk.indexOf('\n');
    const tag = chunk.slice(0, nl);
    const value = chunk.slice(nl + 1, -1);
    if (tag === 'P') perPath.push((cur = { flags: '', parentLinks: [] }));
    else if (!cur) throw new Error('file read output is garbled');
    else if (/^F[01][01][01]$/.test(tag)) cur.flags = tag;
    else if (tag === 'K') cur.parentLinks.push(value);
    else if (tag === 'A') cur.anchor = { logical: value, physical: '' };
    else if (tag === 'B' && cur.anchor) cur.anchor.physical = value;
    else if (tag === 'T') cur.target = value;
    else if (tag === 'M0' || tag === 'M1') cur.notDirectory = { path: value, link: tag === 'M1' };
    else if (tag === 'N') statted.push(value);
    else throw new Error(`file read output has an unknown item '${tag.slice(0, 20)}'`);
  }
  if (perPath.length !== count || perPath.some((p) => !p.flags)) throw new Error('file read output is truncated');
  return { perPath, statted };
}

/** The stat section, record by record, each ending in exactly the name asked (in order). */
function parseStats(s: string, at: number, names: string[]): Map<string, StatRecord> {
  const records = new Map<string, StatRecord>();
  for (const name of names) {
    // Fields up to the sixth '|', then exactly this name: stat prints nothing for a path that
    // vanished since it was tested, so a record that names another path belongs to a later one.
    let e = at - 1;
    for (let f = 0; f < 6 && (f === 0 || e >= 0); f++) e = s.indexOf('|', e + 1);
    if (e < 0 || s.slice(e + 1, e + 1 + name.length + 1) !== `${name}\n`) {
      throw new Error(`cannot stat ${Buffer.from(name, 'latin1').toString('utf8')} (it vanished or is unreadable)`);
    }
    const [type, mode, owner, group, size, ids] = s.slice(at, e).split('|');
    const [uid, gid, raw, nlink] = ids!.split(':');
    records.set(name, {
      type: normalizeType(type!),
      mode: normalizeMode(mode!),
      owner: owner!,
      group: group!,
      size: Number(size),
      uid: Number(uid),
      gid: Number(gid),
      raw: parseInt(raw!, 16),
      nlink: Number(nlink),
    });
    at = e + 1 + name.length + 1;
  }
  return records;
}

/**
 * A directory a user other than root may change: owned by one, group-writable by a group other than gid
 * 0, or world-writable (sticky or not: in /tmp anyone may still plant a new name before root creates it).
 */
function othersMayWrite(r: StatRecord): boolean {
  return r.uid !== 0 || ((r.raw & 0o020) !== 0 && r.gid !== 0) || (r.raw & 0o002) !== 0;
}

/** The first directory from `dir` up (physical, as stat'ed) that a user other than root may write. */
function userWritableOn(dir: string, records: Map<string, StatRecord>): FileState['userWritable'] {
  for (let q = dir; q !== ''; q = q.slice(0, Math.max(q.lastIndexOf('/'), 0))) {
    const r = records.get(q);
    if (r && othersMayWrite(r)) return { path: Buffer.from(q, 'latin1').toString('utf8'), owner: r.owner };
  }
  return undefined;
}

function stateOf(r: StatRecord, sha: string | undefined): FileState {
  return {
    exists: true,
    type: r.type,
    mode: r.mode,
    owner: r.owner,
    group: r.group,
    size: r.size,
    sha256: r.type === 'file' ? sha : undefined,
    ...(r.type === 'file' && r.nlink > 1 ? { nlink: r.nlink } : {}),
  };
}

/** The state of one path, from its items and the stat records; a link is never read through unless followed. */
function pathState(path: string, it: PathItems, records: Map<string, StatRecord>, hashes: Map<string, string>, follow: boolean): FileState {
  const name = Buffer.from(path, 'utf8').toString('latin1');
  const utf8 = (v: string) => Buffer.from(v, 'latin1').toString('utf8');
  const [linked, exists, isLink] = [it.flags[1] === '1', it.flags[2] === '1', it.flags[3] === '1'];
  const extra: Partial<FileState> = {};
  if (linked) extra.linked = true;
  if (it.anchor?.physical) {
    extra.anchor = { logical: utf8(it.anchor.logical), physical: utf8(it.anchor.physical) };
    const w = userWritableOn(it.anchor.physical, records);
    if (w) extra.userWritable = w;
  }
  const foreign = it.parentLinks.map((q) => [q, records.get(q)] as const).find(([, r]) => r && r.uid !== 0);
  if (foreign) extra.foreignLink = { path: utf8(foreign[0]), owner: foreign[1]!.owner };
  if (it.notDirectory) extra.notDirectory = { path: utf8(it.notDirectory.path), link: it.notDirectory.link };
  if (!isLink) {
    if (!exists) return { exists: false, ...extra };
    const r = records.get(name);
    if (!r) throw new Error(`cannot stat ${path}`);
    return { ...stateOf(r, hashes.get(name)), ...extra };
  }
  const l = records.get(name);
  if (!l) throw new Error(`cannot stat ${path}`);
  const target = it.target ?? '';
  extra.link = { target: utf8(target), owner: l.owner, uid: l.uid, ...(extra.userWritable ? { userWritable: extra.userWritable } : {}) };
  if (!follow) return { exists: true, type: 'link', mode: l.mode, owner: l.owner, group: l.group, ...extra };
  const t = target ? records.get(target) : undefined;
  delete extra.userWritable;
  if (target) {
    const dir = target.slice(0, Math.max(target.lastIndexOf('/'), 0));
    const w = userWritableOn(dir, records);
    if (w) extra.userWritable = w;
    extra.followed = utf8(target);
    extra.anchor = { logical: utf8(dir || '/'), physical: utf8(dir || '/') };
  }
  return t ? { ...stateOf(t, hashes.get(name)), ...extra } : { exists: false, ...extra };
}

function parseFiles(out: Buffer, specs: FileSpec[], names: string[], paths: string[], mark: string): Record<string, FileState> {
  // latin1: one character per byte, so string offsets are buffer offsets and names compare as bytes.
  const s = out.toString('latin1');
  const statAt = s.indexOf(`${mark} stat\n`);
  const shaAt = s.indexOf(`${mark} sha\n`, statAt);
  if (statAt < 0 || shaAt < 0) throw new Error('file read output is truncated');
  const contentAt = s.indexOf(`${mark} content\n`, shaAt);
  const { perPath, statted } = parseItems(s.slice(0, statAt), mark, paths.length);
  const hashes = parseHashes(s.slice(shaAt + mark.length + 5, contentAt < 0 ? s.length : contentAt));
  const records = parseStats(s.slice(0, shaAt), statAt + mark.length + 6, statted);

  const result: Record<string, FileState> = {};
  specs.forEach((spec, k) => {
    const st = pathState(spec.path, perPath[paths.indexOf(spec.path)]!, records, hashes, spec.follow === true);
    const begin = `${mark} content ${k}\n`;
    const b = spec.withContent && contentAt >= 0 ? s.indexOf(begin, contentAt) : -1;
    if (b >= 0 && st.type === 'file' && st.sha256 !== spec.wantSha && (st.size ?? 0) <= DIFF_CONTENT_LIMIT) {
      const e = s.indexOf(`\n${mark} end ${k}\n`, b + begin.length);
      if (e < 0) throw new Error(`the content of ${spec.path} is truncated`);
      if (e - (b + begin.length) <= DIFF_CONTENT_LIMIT) st.content = Buffer.from(out.subarray(b + begin.length, e));
    }
    result[names[k]!] = spec.withContent && st.type === 'link' ? refuseContent(spec.path, st) : st;
  });
  return result;
}
