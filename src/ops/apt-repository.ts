// apt_repository: one one-line source (`deb [signed-by=…] uri suite components`) in a file of
// /etc/apt/sources.list.d, as Ansible's apt_repository — the other lines of that file kept, a
// commented-out copy of the line enabled again, the file removed when its last line goes.
// deb822_repository: a whole `.sources` file in the deb822 format, as Ansible's module of that name.
// Both check that a signed-by key file exists (a copy task before them, in a dry run too).
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { fileQuery } from '../state/file-state.js';
import type { Operation, OpContext, PlanResult } from './operation.js';
import { Unresolved } from './operation.js';
import { absolutePath } from './path-schema.js';
import { oneLineValue, planRepoFile, repoFileName, requirePkgMgr } from './repo-file.js';
import type { StateView } from '../state/query.js';

const DIR = '/etc/apt/sources.list.d';

const updateCache = (dflt: boolean) =>
  z
    .boolean()
    .default(dflt)
    .describe(`After a change to the file, refresh the package indexes (apt-get update)${dflt ? ', as Ansible does by default' : ''}`);

const aptSchema = lazySchema(() =>
  z
    .object({
      repo: oneLineValue('a repository line')
        .refine((r) => /^(deb|deb-src)\s+\S/.test(r.trim()), { message: 'a one-line source starting with deb or deb-src, e.g. "deb [signed-by=/etc/apt/keyrings/x.asc] https://example.org/debian bookworm main"' })
        .describe('The source line: deb [options] uri suite [components]'),
      state: z
        .enum(['present', 'absent'])
        .default('present')
        .describe('absent removes the line (and the file when no source is left). Dry run: shows the diff of the file and the apt-get update it would run'),
      filename: repoFileName.optional().describe(`File under ${DIR} without .list; default: derived from the URI as Ansible does`),
      update_cache: updateCache(true),
    })
    .strict(),
);

type AptArgs = z.infer<ReturnType<typeof aptSchema>>;

const squash = (l: string) => l.trim().replace(/\s+/g, ' ');

/** Ansible's default file name: the URI without its scheme, every other character than [A-Za-z0-9_.-] as _. */
export function sourceFileName(repo: string): string {
  const uri = squash(repo).replace(/\[[^\]]*\]\s*/, '').split(' ')[1] ?? 'repository';
  return uri.replace(/^[a-z+]+:\/*/, '').replace(/[^A-Za-z0-9_.-]/g, '_').replace(/_+$/, '');
}

/** The signed-by key file a line or stanza names, if any. */
export const signedBy = (repo: string) => /signed-by=([^\s\]]+)/.exec(repo)?.[1];

/** The file's lines with `repo` present (appended, or uncommented) or absent; null when nothing is left. Pure. */
export function editSources(content: string, repo: string, state: 'present' | 'absent'): string | null {
  const want = squash(repo);
  const lines = content === '' ? [] : content.replace(/\n$/, '').split('\n');
  const bare = (l: string) => squash(l.replace(/^\s*#\s*/, ''));
  let out: string[];
  if (state === 'absent') out = lines.filter((l) => squash(l) !== want);
  else if (lines.some((l) => squash(l) === want)) out = lines;
  else if (lines.some((l) => bare(l) === want)) out = lines.map((l) => (bare(l) === want ? want : l));
  else out = [...lines, want];
  return out.some((l) => l.trim() !== '' && !l.trim().startsWith('#')) ? `${out.join('\n')}\n` : null;
}

interface Resolved<A> {
  args: A;
  path: string;
  file: ReturnType<typeof fileQuery>;
  key?: ReturnType<typeof fileQuery>;
}

function keyQuery(path: string | undefined) {
  return path === undefined ? undefined : fileQuery(path);
}

/** A key the source names must exist before apt reads it: after a copy task, in a dry run too. */
function requireKey(r: Resolved<unknown>, state: StateView, keyPath: string | undefined): void {
  if (r.key && !state.get(r.key).exists) throw new Unresolved(`the signed-by key ${keyPath} does not exist`, 'put the key there first (copy it into /etc/apt/keyrings)');
}

export const aptRepository: Operation<AptArgs, Resolved<AptArgs>> = {
  name: 'apt_repository',
  summary: 'A one-line apt source in /etc/apt/sources.list.d, present or absent (then apt-get update)',
  get schema() {
    return aptSchema();
  },
  shorthand: 'repo',
  resolve(args, ctx) {
    requirePkgMgr('apt_repository', ['apt'], ctx);
    const path = `${DIR}/${args.filename ?? sourceFileName(args.repo)}.list`;
    return { args, path, file: fileQuery(path, { withContent: true }), key: args.state === 'present' ? keyQuery(signedBy(args.repo)) : undefined };
  },
  queries: (r) => [r.file, ...(r.key ? [r.key] : [])],
  plan(r, state, ctx) {
    requireKey(r, state, signedBy(r.args.repo));
    return planSources(r, state, ctx, (before) => editSources(before, r.args.repo, r.args.state));
  },
};

function planSources(r: Resolved<{ update_cache: boolean }>, state: StateView, ctx: OpContext, edit: (before: string) => string | null): PlanResult {
  const st = state.get(r.file);
  if (st.exists && st.content === undefined) throw new Error(`${r.path} is too large or not a regular file`);
  const content = edit((st.content ?? Buffer.alloc(0)).toString('utf8'));
  return planRepoFile({ path: r.path, content, updateCache: r.args.update_cache }, st, state, ctx);
}

const list = z.union([oneLineValue('a value'), z.array(oneLineValue('a value')).min(1)]);

const debSchema = lazySchema(() =>
  z
    .object({
      name: repoFileName.describe(`The file ${DIR}/<name>.sources (and its X-Repolib-Name)`),
      uris: list.optional().describe('Repository URIs'),
      suites: list.optional().describe('Suites, e.g. bookworm (a flat repository: "./")'),
      components: list.optional().describe('Components, e.g. main'),
      types: z.union([z.enum(['deb', 'deb-src']), z.array(z.enum(['deb', 'deb-src'])).min(1)]).default('deb').describe('deb (binary packages) and/or deb-src'),
      signed_by: absolutePath.optional().describe('Key file the repository is signed with, e.g. /etc/apt/keyrings/example.asc (must exist)'),
      architectures: list.optional().describe('Only these architectures, e.g. amd64'),
      enabled: z.boolean().default(true).describe('false writes Enabled: no (the source stays defined)'),
      trusted: z.boolean().optional().describe('Trusted: yes — no signature check (local file: repositories only)'),
      state: z
        .enum(['present', 'absent'])
        .default('present')
        .describe('absent removes the .sources file. Dry run: shows the diff of the file (and the apt-get update with update_cache)'),
      update_cache: updateCache(false),
    })
    .strict()
    .refine((a) => a.state === 'absent' || (a.uris !== undefined && a.suites !== undefined), { message: 'deb822_repository needs `uris` and `suites`' }),
);

type DebArgs = z.infer<ReturnType<typeof debSchema>>;

const words = (v: string | string[] | undefined) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).join(' '));

/** The stanza as Ansible's deb822_repository writes it (fields in deb822's usual order). Pure. */
export function deb822Stanza(a: DebArgs): string {
  const fields: Array<[string, string | undefined]> = [
    ['X-Repolib-Name', a.name],
    ['Types', words(a.types)],
    ['URIs', words(a.uris)],
    ['Suites', words(a.suites)],
    ['Components', words(a.components)],
    ['Architectures', words(a.architectures)],
    ['Signed-By', a.signed_by],
    ['Trusted', a.trusted === undefined ? undefined : a.trusted ? 'yes' : 'no'],
    ['Enabled', a.enabled ? undefined : 'no'],
  ];
  return fields.flatMap(([k, v]) => (v === undefined ? [] : [`${k}: ${v}`])).join('\n') + '\n';
}

export const deb822Repository: Operation<DebArgs, Resolved<DebArgs>> = {
  name: 'deb822_repository',
  summary: 'An apt source in the deb822 format: /etc/apt/sources.list.d/<name>.sources',
  get schema() {
    return debSchema();
  },
  resolve(args, ctx) {
    requirePkgMgr('deb822_repository', ['apt'], ctx);
    const path = `${DIR}/${args.name}.sources`;
    return { args, path, file: fileQuery(path, { withContent: true }), key: args.state === 'present' ? keyQuery(args.signed_by) : undefined };
  },
  queries: (r) => [r.file, ...(r.key ? [r.key] : [])],
  plan(r, state, ctx) {
    requireKey(r, state, r.args.signed_by);
    return planSources(r, state, ctx, () => (r.args.state === 'absent' ? null : deb822Stanza(r.args)));
  },
};
