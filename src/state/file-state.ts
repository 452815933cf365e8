// The state of one path: type, mode, owner, group, size, sha256 — and its content only when the
// caller's wanted hash differs, so a no-change run ships hashes, not files.
import { randomBytes } from 'node:crypto';
import { evalWord, shQuote } from '../core/quote.js';
import type { StateQuery } from './query.js';

export interface FileState {
  exists: boolean;
  type?: 'file' | 'directory' | 'other';
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
}

/** Largest file whose content is fetched for a diff; larger ones are reported "too large to show". */
export const DIFF_CONTENT_LIMIT = 1024 * 1024;

function normalizeType(t: string): FileState['type'] {
  const s = t.toLowerCase();
  if (s.includes('directory')) return 'directory';
  if (s.includes('regular')) return 'file';
  return 'other';
}

export function fileResource(path: string): string {
  return `file:${path}`;
}

export function normalizeMode(mode: string): string {
  return mode.replace(/^0*/, '').padStart(4, '0');
}

/** What one file query asks: the path, and the hash of the wanted content when its current content may be needed. */
interface FileSpec {
  path: string;
  wantSha?: string;
  withContent?: boolean;
}

/** File queries are one name group: a batch reads all its paths with one `stat` and one `sha256sum`. */
const FILES_GROUP = 'files';

function specName(s: FileSpec): string {
  return JSON.stringify([s.path, s.wantSha ?? null, s.withContent === true]);
}

function parseSpec(name: string): FileSpec {
  const [path, wantSha, withContent] = JSON.parse(name) as [string, string | null, boolean];
  return { path, wantSha: wantSha ?? undefined, withContent };
}

/**
 * `wantSha`: the hash of the wanted content. When it differs and `withContent`, the current content
 * comes back too (for the diff).
 */
export function fileQuery(path: string, opts: { wantSha?: string; withContent?: boolean } = {}): StateQuery<FileState> {
  const name = specName({ path, ...opts });
  // Built only when this query runs alone: in a batch, it is merged with the others.
  let alone: StateQuery<Record<string, FileState>> | undefined;
  return {
    key: `file:${path}` + (opts.withContent ? `#${opts.wantSha ?? 'content'}` : ''),
    resource: fileResource(path),
    get script() {
      return (alone ??= readFiles([name])).script;
    },
    parse: (out, exitCode) => (alone ??= readFiles([name])).parse(out, exitCode)[name] as FileState,
    group: { id: FILES_GROUP, names: [name], read: readFiles, pick: (all) => all[name] },
  };
}

/**
 * Every path asked, in a fixed number of processes whatever their count: symbolic links and existence
 * tested with builtins, one `stat` of the paths that exist, one hash of the regular files, and the
 * content of those whose hash is not the wanted one. Each section starts with a marker line carrying a
 * random token, so no file name or content can be taken for one.
 */
function readFiles(names: string[]): StateQuery<Record<string, FileState>> {
  const specs = names.map(parseSpec);
  const paths = [...new Set(specs.map((s) => s.path))];
  const mark = `@@${randomBytes(6).toString('hex')}`;
  const list = paths.map(shQuote).join(' ');
  const compare = specs.some((s) => s.withContent && s.wantSha !== undefined);
  const contents = specs.flatMap((s, k) => (s.withContent ? [contentScript(s, k, mark)] : []));
  const script = [
    'set --',
    `for p in ${list}; do`,
    // Symbolic links on the way, tested with builtins only: no process per path component.
    '  l=0; q=$p; while [ -n "$q" ]; do if [ -L "$q" ]; then l=1; fi; case "$q" in */*) q=${q%/*} ;; *) q= ;; esac; done',
    '  if [ -e "$p" ]; then set -- "$@" "$p"; echo "L${l}1"; else echo "L${l}0"; fi',
    'done',
    `echo '${mark} stat'`,
    'if [ $# -gt 0 ]; then _fp_stat "$@" 2>/dev/null; fi',
    `echo '${mark} sha'`,
    'set --',
    `for p in ${list}; do if [ -f "$p" ]; then set -- "$@" "$p"; fi; done`,
    // The hashes are kept only when a wanted content must be compared with them here.
    compare
      ? `_fp_sums=; if [ $# -gt 0 ]; then _fp_sums=$(_fp_sha "$@" 2>/dev/null); printf '%s\n' "$_fp_sums"; fi`
      : 'if [ $# -gt 0 ]; then _fp_sha "$@" 2>/dev/null; fi',
    ...(contents.length ? [`echo '${mark} content'`, `_fp_nl='\n'`, ...contents] : []),
    ':',
  ].join('\n');
  return {
    key: `files:${names.join('\n')}`,
    script,
    parse(out) {
      return parseFiles(out, specs, names, paths, mark);
    },
  };
}

/** Ships a file's first DIFF_CONTENT_LIMIT + 1 bytes unless its hash line says it has the wanted content. */
function contentScript(s: FileSpec, k: number, mark: string): string {
  const p = shQuote(s.path);
  const ship = `echo '${mark} content ${k}'; head -c ${DIFF_CONTENT_LIMIT + 1} < ${p}; echo; echo '${mark} end ${k}'`;
  if (s.wantSha === undefined) return `if [ -f ${p} ]; then ${ship}; fi`;
  // Literal (quoted) pattern: the wanted hash and this name, in GNU's or BSD's line format. A name
  // GNU escapes never matches, and the content is shipped anyway: more bytes, never a wrong diff.
  const w = shQuote(s.wantSha);
  const line = (sep: string) => `*"$_fp_nl"${w}'${sep}'${p}"$_fp_nl"*`;
  return `if [ -f ${p} ]; then case "$_fp_nl$_fp_sums$_fp_nl" in ${line('  ')}|${line(' ')}) ;; *) ${ship} ;; esac; fi`;
}

const HASH_LINE = /(\\?)([0-9a-f]{64})( \*|  | )/y;
const HASH_START = /^\\?[0-9a-f]{64} /;

/** `sha256sum` / `sha256 -r` lines → hash by name (GNU escapes names holding a backslash or newline). */
function parseHashes(sec: string): Map<string, string> {
  const byName = new Map<string, string>();
  let i = 0;
  while (i < sec.length) {
    if (sec[i] === '\n') {
      i++;
      continue;
    }
    HASH_LINE.lastIndex = i;
    const m = HASH_LINE.exec(sec);
    if (!m) throw new Error(`unexpected hash output '${sec.slice(i, i + 80)}'`);
    const from = i + m[0].length;
    // A name ends at a newline followed by the end, a blank line or the next hash line.
    let e = sec.indexOf('\n', from);
    while (e >= 0 && e + 1 < sec.length && sec[e + 1] !== '\n' && !HASH_START.test(sec.slice(e + 1, e + 67))) e = sec.indexOf('\n', e + 1);
    if (e < 0) e = sec.length;
    const raw = sec.slice(from, e);
    byName.set(m[1] ? raw.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : raw, m[2]!);
    i = e + 1;
  }
  return byName;
}

function parseFiles(out: Buffer, specs: FileSpec[], names: string[], paths: string[], mark: string): Record<string, FileState> {
  // latin1: one character per byte, so string offsets are buffer offsets and names compare as bytes.
  const s = out.toString('latin1');
  const bytes = (p: string) => Buffer.from(p, 'utf8').toString('latin1');
  const statAt = s.indexOf(`${mark} stat\n`);
  const shaAt = s.indexOf(`${mark} sha\n`, statAt);
  if (statAt < 0 || shaAt < 0) throw new Error('file read output is truncated');
  const contentAt = s.indexOf(`${mark} content\n`, shaAt);
  const flags = s.slice(0, statAt).split('\n');
  const hashes = parseHashes(s.slice(shaAt + mark.length + 5, contentAt < 0 ? s.length : contentAt));

  const states = new Map<string, FileState>();
  let at = statAt + mark.length + 6;
  paths.forEach((path, i) => {
    const flag = flags[i];
    if (!flag || !/^L[01][01]$/.test(flag)) throw new Error(`file read output is truncated before ${path}`);
    const linked = flag[1] === '1' ? { linked: true } : {};
    if (flag[2] === '0') return states.set(path, { exists: false, ...linked });
    // Fields up to the fifth '|', then exactly this path's name: stat prints nothing for a path that
    // vanished since it was tested, so a record that names another path belongs to a later one.
    let e = at - 1;
    for (let f = 0; f < 5 && (f === 0 || e >= 0); f++) e = s.indexOf('|', e + 1);
    const name = bytes(path);
    if (e < 0 || s.slice(e + 1, e + 1 + name.length + 1) !== `${name}\n`) throw new Error(`cannot stat ${path} (it vanished or is unreadable)`);
    const [type, mode, owner, group, size] = s.slice(at, e).split('|');
    at = e + 1 + name.length + 1;
    const kind = normalizeType(type!);
    states.set(path, {
      exists: true,
      type: kind,
      mode: normalizeMode(mode!),
      owner: owner!,
      group: group!,
      size: Number(size),
      sha256: kind === 'file' ? hashes.get(name) : undefined,
      ...linked,
    });
  });

  const result: Record<string, FileState> = {};
  specs.forEach((spec, k) => {
    const st = { ...states.get(spec.path)! };
    const begin = `${mark} content ${k}\n`;
    const b = spec.withContent && contentAt >= 0 ? s.indexOf(begin, contentAt) : -1;
    if (b >= 0 && st.sha256 !== spec.wantSha && (st.size ?? 0) <= DIFF_CONTENT_LIMIT) {
      const e = s.indexOf(`\n${mark} end ${k}\n`, b + begin.length);
      if (e < 0) throw new Error(`the content of ${spec.path} is truncated`);
      if (e - (b + begin.length) <= DIFF_CONTENT_LIMIT) st.content = Buffer.from(out.subarray(b + begin.length, e));
    }
    result[names[k]!] = st;
  });
  return result;
}

/** The exit status of a read-only guard command (`unless:`, `onlyif:`). */
export function commandStatusQuery(command: string, chdir?: string): StateQuery<{ exitCode: number }> {
  const cd = chdir ? `cd ${shQuote(chdir)} || exit 125\n` : '';
  return {
    key: `status:${chdir ?? ''}:${command}`,
    script: `${cd}${evalWord(command)} </dev/null >/dev/null 2>&1; echo "$?"`,
    parse(out) {
      return { exitCode: Number(out.toString().trim()) };
    },
  };
}
