// What Ansible's `stat` reports of one path: type, mode, owner and ids, size, mtime, the link's own
// text, and optionally a SHA-1 of the content — read-only, in the play's one state batch. GNU `stat -c`
// first, then BSD's `stat -f` (as the prelude's _fp_stat); the content is hashed from the opened file
// only after checking it is the file the name holds (never through a link the plan did not follow).
import { createHash } from 'node:crypto';
import { marker, newNonce } from '../core/framing.js';
import { shQuote } from '../core/quote.js';
import { fileResource, normalizeMode, type FileState } from './file-state.js';
import type { StateQuery } from './query.js';

export interface StatState {
  kind: 'stat';
  exists: boolean;
  type?: NonNullable<FileState['type']>;
  mode?: string;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  size?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  nlink?: number;
  inode?: number;
  dev?: number;
  /** The link's own text (readlink), for a symbolic link read without following. */
  linkTarget?: string;
  /** SHA-1 of a regular file's content, when asked. */
  sha1?: string;
  /** What an `other` is (Ansible's issock, isfifo, ischr, isblk): a milter's socket, say. */
  special?: SpecialType;
}

const GNU = '%F|%a|%U|%G|%s|%u|%g|%Y|%h|%i|%d';
const BSD = '%HT|%Lp|%Su|%Sg|%z|%u|%g|%m|%l|%i|%d';

export type SpecialType = 'socket' | 'fifo' | 'char' | 'block';

/** GNU %F ("socket", "fifo", "character special file") or BSD %HT ("Socket", "Fifo File", "Character Device"). */
function specialOf(t: string): SpecialType | undefined {
  const s = t.toLowerCase();
  if (s.includes('socket')) return 'socket';
  if (s.includes('fifo')) return 'fifo';
  if (s.includes('character')) return 'char';
  return s.includes('block') ? 'block' : undefined;
}

function typeOf(t: string): NonNullable<FileState['type']> {
  const s = t.toLowerCase();
  return s.includes('link') ? 'link' : s.includes('directory') ? 'directory' : s.includes('regular') ? 'file' : 'other';
}

export function statQuery(path: string, opts: { follow?: boolean; checksum?: boolean } = {}): StateQuery<StatState> {
  const mark = marker(newNonce());
  const p = shQuote(path);
  const L = opts.follow ? ' -L' : '';
  const sha1 = `if command -v sha1sum >/dev/null 2>&1; then sha1sum; else sha1; fi`;
  const hash = opts.follow ? `if [ -f ${p} ]; then { ${sha1}; } < ${p}; fi` : `if [ -f ${p} ] && ! [ -L ${p} ]; then { if _fp_same ${p}; then ${sha1}; fi; } < ${p}; fi`;
  const exists = opts.follow ? `[ -e ${p} ]` : `{ [ -e ${p} ] || [ -L ${p} ]; }`;
  const script = [
    `if ${exists}; then`,
    `  echo '${mark} S'; stat${L} -c '${GNU}' -- ${p} 2>/dev/null || stat${L} -f '${BSD}' -- ${p}`,
    opts.follow ? '' : `  if [ -L ${p} ]; then echo '${mark} L'; readlink -- ${p}; fi`,
    opts.checksum ? `  echo '${mark} C'; ${hash}` : '',
    `else echo '${mark} M'; fi`,
  ]
    .filter(Boolean)
    .join('\n');
  return {
    key: `stat:${path}#${opts.follow ? 'follow' : ''}#${opts.checksum ? 'sha1' : ''}`,
    resource: fileResource(path),
    paths: [path],
    script,
    parse(out) {
      const text = out.toString('utf8');
      if (text.startsWith(`${mark} M\n`)) return { kind: 'stat', exists: false };
      const section = (tag: string) => {
        const at = text.indexOf(`${mark} ${tag}\n`);
        if (at < 0) return undefined;
        const from = at + mark.length + tag.length + 2;
        const next = text.indexOf(`${mark} `, from);
        return text.slice(from, next < 0 ? text.length : next).replace(/\n$/, '');
      };
      const fields = section('S')?.split('|');
      if (!fields || fields.length < 11) throw new Error(`cannot stat ${path}`);
      const [type, mode, owner, group, size, uid, gid, mtime, nlink, inode, dev] = fields as [string, ...string[]];
      const sha1 = /^[0-9a-f]{40}/.exec(section('C') ?? '')?.[0];
      const link = section('L');
      return {
        kind: 'stat',
        exists: true,
        type: typeOf(type),
        ...(typeOf(type) === 'other' && specialOf(type) ? { special: specialOf(type) } : {}),
        mode: normalizeMode(mode!),
        owner: owner!,
        group: group!,
        size: Number(size),
        uid: Number(uid),
        gid: Number(gid),
        mtime: Number(mtime),
        nlink: Number(nlink),
        inode: Number(inode),
        dev: Number(dev),
        ...(link !== undefined ? { linkTarget: link } : {}),
        ...(sha1 ? { sha1 } : {}),
      };
    },
  };
}

/**
 * A stat query's value: read from the host, or — in a dry run, after an earlier task's planned change
 * to the path — that task's predicted file state, as far as stat can tell from it (no mtime, no ids).
 */
export function statOrPredicted(v: StatState | (FileState & { linkText?: string })): StatState {
  if ('kind' in v && v.kind === 'stat') return v;
  const st = v as FileState & { linkText?: string };
  if (!st.exists) return { kind: 'stat', exists: false };
  const sha1 = st.type === 'file' && st.content !== undefined ? createHash('sha1').update(st.content).digest('hex') : undefined;
  return {
    kind: 'stat',
    exists: true,
    type: st.type,
    mode: st.mode,
    owner: st.owner,
    group: st.group,
    size: st.size,
    ...(st.linkText !== undefined ? { linkTarget: st.linkText } : {}),
    ...(sha1 ? { sha1 } : {}),
  };
}
