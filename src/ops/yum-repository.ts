// yum_repository: one [section] of a .repo file under /etc/yum.repos.d, as Ansible's module of that
// name (yum and dnf read the same files) — the other sections of the file kept, the file removed when
// its last section goes. pkg_repository: FreeBSD has no builtin in Ansible; the name follows the
// same pattern: one repository in /usr/local/etc/pkg/repos/<name>.conf (UCL), as pkg.conf(5) describes.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { fileQuery, fileResource, type FileState } from '../state/file-state.js';
import type { Operation } from './operation.js';
import { absolutePath } from './path-schema.js';
import { mkdirScript } from './safe-path.js';
import { oneLineValue, planRepoFile, repoFileName, requirePkgMgr } from './repo-file.js';

const urls = z.union([oneLineValue('a URL'), z.array(oneLineValue('a URL')).min(1)]);

const yumSchema = lazySchema(() =>
  z
    .object({
      name: repoFileName.describe('Repository id: the [section] name, e.g. epel'),
      description: oneLineValue('a description').optional().describe('The name= line (default: the id)'),
      baseurl: urls.optional().describe('Base URL(s); $releasever and $basearch are yum variables, kept as written'),
      metalink: oneLineValue('a URL').optional().describe('Metalink URL (EPEL uses one)'),
      mirrorlist: oneLineValue('a URL').optional().describe('Mirror list URL'),
      gpgcheck: z.boolean().optional().describe('Check package signatures (gpgcheck=1)'),
      gpgkey: urls.optional().describe('Key URL(s), e.g. file:///etc/pki/rpm-gpg/RPM-GPG-KEY-EPEL-7'),
      enabled: z.boolean().default(true).describe('false: defined but not used unless enabled per command (--enablerepo)'),
      file: repoFileName.optional().describe('File under reposdir without .repo; default: the name'),
      reposdir: absolutePath.default('/etc/yum.repos.d').describe('Directory of the .repo files'),
      state: z
        .enum(['present', 'absent'])
        .default('present')
        .describe('absent removes the section (and the file when no section is left). Dry run: shows the diff of the .repo file; nothing is written'),
    })
    .strict()
    .refine((a) => a.state === 'absent' || a.baseurl !== undefined || a.metalink !== undefined || a.mirrorlist !== undefined, {
      message: 'yum_repository needs `baseurl`, `metalink` or `mirrorlist`',
    }),
);

type YumArgs = z.infer<ReturnType<typeof yumSchema>>;

const multi = (v: string | string[]) => (Array.isArray(v) ? v.join('\n\t') : v);
const flag = (b: boolean | undefined) => (b === undefined ? undefined : b ? '1' : '0');

/** The [section] as written. Pure. */
export function yumSection(a: YumArgs): string[] {
  const keys: Array<[string, string | undefined]> = [
    ['name', a.description ?? a.name],
    ['baseurl', a.baseurl && multi(a.baseurl)],
    ['metalink', a.metalink],
    ['mirrorlist', a.mirrorlist],
    ['enabled', flag(a.enabled)],
    ['gpgcheck', flag(a.gpgcheck)],
    ['gpgkey', a.gpgkey && multi(a.gpgkey)],
  ];
  return [`[${a.name}]`, ...keys.flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]))];
}

/** The file with the section `name` replaced, added or removed; null when no section is left. Pure. */
export function editRepoFile(content: string, name: string, section: string[] | null): string | null {
  const lines = content === '' ? [] : content.replace(/\n$/, '').split('\n');
  const start = lines.findIndex((l) => l.trim() === `[${name}]`);
  let out: string[];
  if (start < 0) {
    out = section ? [...lines, ...(lines.length && lines.at(-1)!.trim() !== '' ? [''] : []), ...section] : lines;
  } else {
    let end = lines.findIndex((l, i) => i > start && /^\s*\[/.test(l));
    if (end < 0) end = lines.length;
    // A blank line before the next section stays with it.
    const keep = end < lines.length && lines[end - 1]!.trim() === '' ? end - 1 : end;
    out = [...lines.slice(0, start), ...(section ?? []), ...lines.slice(keep)];
    // A removed first or last section leaves no blank line at the file's start or end.
    while (out.length && out[0]!.trim() === '') out.shift();
    while (out.length && out.at(-1)!.trim() === '') out.pop();
  }
  return out.some((l) => /^\s*\[/.test(l)) ? `${out.join('\n')}\n` : null;
}

interface Resolved<A> {
  args: A;
  path: string;
  file: ReturnType<typeof fileQuery>;
}

export const yumRepository: Operation<YumArgs, Resolved<YumArgs>> = {
  name: 'yum_repository',
  summary: 'A yum/dnf repository: one [section] of a .repo file under /etc/yum.repos.d (e.g. EPEL)',
  get schema() {
    return yumSchema();
  },
  resolve(args, ctx) {
    requirePkgMgr('yum_repository', ['yum', 'dnf'], ctx);
    const path = `${args.reposdir.replace(/\/$/, '')}/${args.file ?? args.name}.repo`;
    return { args, path, file: fileQuery(path, { withContent: true }) };
  },
  queries: (r) => [r.file],
  plan(r, state, ctx) {
    const st = state.get(r.file);
    if (st.exists && st.content === undefined) throw new Error(`${r.path} is too large or not a regular file`);
    const content = editRepoFile((st.content ?? Buffer.alloc(0)).toString('utf8'), r.args.name, r.args.state === 'absent' ? null : yumSection(r.args));
    // yum and dnf read repository files on every run and fetch what they lack: no cache to refresh.
    return planRepoFile({ path: r.path, content, updateCache: false }, st, state, ctx);
  },
};

const ucl = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

const pkgSchema = lazySchema(() =>
  z
    .object({
      name: repoFileName.describe('Repository name: the file /usr/local/etc/pkg/repos/<name>.conf and its block (FreeBSD: overrides the base repository)'),
      url: oneLineValue('a URL').optional().describe('e.g. pkg+http://pkg.FreeBSD.org/${ABI}/latest (${ABI} is pkg\'s variable, kept as written)'),
      enabled: z.boolean().default(true).describe('false writes enabled: no — with only a name, it disables a repository defined elsewhere (name: FreeBSD)'),
      mirror_type: z.enum(['srv', 'http', 'none']).optional().describe('How pkg finds mirrors'),
      signature_type: z.enum(['none', 'pubkey', 'fingerprints']).optional().describe('How pkg checks the catalogue'),
      pubkey: absolutePath.optional().describe('With signature_type: pubkey'),
      fingerprints: absolutePath.optional().describe('With signature_type: fingerprints, e.g. /usr/share/keys/pkg'),
      priority: z.number().int().optional().describe('Higher wins between repositories'),
      state: z.enum(['present', 'absent']).default('present').describe('absent removes the .conf file'),
      update_cache: z.boolean().default(false).describe('After a change to the file, refresh the catalogue (pkg update). Dry run: shows the file diff and the pkg update it would run'),
    })
    .strict(),
);

type PkgArgs = z.infer<ReturnType<typeof pkgSchema>>;

/** The repository's UCL block (only `enabled: no` disables a repository defined elsewhere). Pure. */
export function pkgRepoConf(a: PkgArgs): string {
  const keys: Array<[string, string | undefined]> = [
    ['url', a.url && ucl(a.url)],
    ['mirror_type', a.mirror_type && ucl(a.mirror_type)],
    ['signature_type', a.signature_type && ucl(a.signature_type)],
    ['pubkey', a.pubkey && ucl(a.pubkey)],
    ['fingerprints', a.fingerprints && ucl(a.fingerprints)],
    ['priority', a.priority?.toString()],
    ['enabled', a.enabled ? 'yes' : 'no'],
  ];
  const body = keys.flatMap(([k, v]) => (v === undefined ? [] : [`  ${k}: ${v}`])).join(',\n');
  return `${a.name}: {\n${body}\n}\n`;
}

const PKG_REPOS = '/usr/local/etc/pkg/repos';

export const pkgRepository: Operation<PkgArgs, Resolved<PkgArgs> & { dir: ReturnType<typeof fileQuery> }> = {
  name: 'pkg_repository',
  summary: 'A FreeBSD pkg repository: /usr/local/etc/pkg/repos/<name>.conf, present, disabled or absent',
  get schema() {
    return pkgSchema();
  },
  resolve(args, ctx) {
    requirePkgMgr('pkg_repository', ['pkg'], ctx);
    const path = `${PKG_REPOS}/${args.name}.conf`;
    return { args, path, file: fileQuery(path, { withContent: true }), dir: fileQuery(PKG_REPOS) };
  },
  queries: (r) => [r.file, r.dir],
  plan(r, state, ctx) {
    const content = r.args.state === 'absent' ? null : pkgRepoConf(r.args);
    const dir = state.get(r.dir);
    const planned = planRepoFile({ path: r.path, content, updateCache: r.args.update_cache, makesParent: !dir.exists }, state.get(r.file), state, ctx);
    if (dir.exists || planned.changes.length === 0) return planned;
    // FreeBSD ships without the directory: made first (root's, 0755), as an operator's mkdir -p would.
    const mkdir = mkdirScript(PKG_REPOS, dir.anchor ?? { logical: '/', physical: '/' }, dir.userWritable !== undefined, '', '0755');
    const made = { resource: fileResource(PKG_REPOS), value: { exists: true, type: 'directory', mode: '0755', owner: 'root' } satisfies FileState };
    const effects = { ...planned.effects, predicts: [made, ...(planned.effects?.predicts ?? [])] };
    return { ...planned, changes: [{ kind: 'run', description: `create directory ${PKG_REPOS}`, command: mkdir }, ...planned.changes], effects };
  },
};
