// The state of one path: type, mode, owner, group, size, sha256 — and its content only when the
// caller's wanted hash differs, so a no-change run ships hashes, not files.
import { shQuote } from '../connectors/quote.js';
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

/**
 * `wantSha`: the hash of the wanted content. When it differs and `withContent`, the current content
 * comes back too (for the diff).
 */
export function fileQuery(path: string, opts: { wantSha?: string; withContent?: boolean } = {}): StateQuery<FileState> {
  const p = shQuote(path);
  const key = `file:${path}` + (opts.withContent ? `#${opts.wantSha ?? 'content'}` : '');
  const script = [
    // Symbolic links on the way, tested with builtins only: no process per path component.
    `l=0; q=${p}; while [ -n "$q" ]; do if [ -L "$q" ]; then l=1; fi; case "$q" in */*) q=\${q%/*} ;; *) q= ;; esac; done; echo "L$l"`,
    `if [ ! -e ${p} ]; then echo absent; exit 0; fi`,
    `st=$(_fp_stat ${p}) || exit 1`,
    `case "$st" in [Rr]egular*) sum=$(_fp_sha ${p}) ;; *) sum=- ;; esac`,
    `printf '%s|%s\\n' "$st" "$sum"`,
    opts.withContent
      ? `if [ "$sum" != "-" ] && [ "$sum" != ${shQuote(opts.wantSha ?? '')} ] && [ "\${st##*|}" -le ${DIFF_CONTENT_LIMIT} ]; then cat ${p}; fi`
      : '',
  ].join('\n');
  return {
    key,
    resource: fileResource(path),
    script,
    parse(out, exitCode) {
      if (exitCode !== 0) throw new Error(`stat failed (exit ${exitCode}): ${out.toString().trim()}`);
      const first = out.indexOf(0x0a);
      const linked = out.subarray(0, first).toString() === 'L1' ? { linked: true } : {};
      out = out.subarray(first + 1);
      const nl = out.indexOf(0x0a);
      const head = out.subarray(0, nl < 0 ? undefined : nl).toString();
      if (head === 'absent') return { exists: false, ...linked };
      const [type, mode, owner, group, size, sha] = head.split('|');
      if (sha === undefined) throw new Error(`unexpected stat output '${head}'`);
      const st: FileState = {
        exists: true,
        type: normalizeType(type!),
        mode: normalizeMode(mode!),
        owner: owner!,
        group: group!,
        size: Number(size),
        sha256: sha === '-' ? undefined : sha,
        ...linked,
      };
      if (opts.withContent && nl >= 0 && st.sha256 !== opts.wantSha && (st.size ?? 0) <= DIFF_CONTENT_LIMIT) {
        st.content = Buffer.from(out.subarray(nl + 1));
      }
      return st;
    },
  };
}

/** The exit status of a read-only guard command (`unless:`, `onlyif:`). */
export function commandStatusQuery(command: string, chdir?: string): StateQuery<{ exitCode: number }> {
  const cd = chdir ? `cd ${shQuote(chdir)} || exit 125\n` : '';
  return {
    key: `status:${chdir ?? ''}:${command}`,
    script: `${cd}( ${command}\n) >/dev/null 2>&1; echo "$?"`,
    parse(out) {
      return { exitCode: Number(out.toString().trim()) };
    },
  };
}
