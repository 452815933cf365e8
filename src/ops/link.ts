// link: a symbolic link (Ansible's file state=link) or a hard link (state=hard) at `dest`. The link is
// made under a fresh name in a root-only temporary directory beside dest and renamed over it, from inside
// dest's directory entered and checked (ops/safe-path.ts): an existing link at dest is replaced, never
// followed; a host user's link among dest's parents is refused; a file at dest is replaced only with force.
import { posix } from 'node:path';
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { shQuote } from '../core/quote.js';
import { fileQuery, fileResource, type FileState } from '../state/file-state.js';
import { statOrPredicted, statQuery, type StatState } from '../state/stat-state.js';
import { ownerName } from './name-schema.js';
import { Unresolved, type Change, type Operation, type PlanResult } from './operation.js';
import { absolutePath } from './path-schema.js';
import { checkPath, dirnameOf, enterScript, placeOf, refuseMissingParent } from './safe-path.js';

const schema = lazySchema(() =>
  z
    .object({
      src: z
        .string()
        .min(1)
        .refine((p) => !p.includes('\0') && Buffer.byteLength(p) <= 4096, { message: 'a path must not contain a NUL byte and is at most 4096 bytes' })
        .describe('What the link points to: for a symbolic link, written into the link as given (relative to the link\'s directory unless absolute); for a hard link, an absolute path to an existing file'),
      dest: absolutePath.describe('Path of the link on the host'),
      state: z.enum(['link', 'hard']).default('link').describe('link: a symbolic link; hard: a hard link to the file src'),
      force: z.boolean().default(false).describe('Replace a file (not a directory) at dest, and make a symbolic link to a src that does not exist (yet)'),
      owner: ownerName.optional().describe('Owner of the symbolic link itself (chown -h)'),
      group: ownerName.optional().describe('Group of the symbolic link itself (chown -h)'),
    })
    .strict()
    .superRefine((a, ctx) => {
      if (a.state === 'hard' && !a.src.startsWith('/')) ctx.addIssue({ code: 'custom', path: ['src'], message: 'a hard link needs an absolute src' });
      // A hard link is another name of src's inode: its owner is src's, which a file task manages.
      if (a.state === 'hard' && (a.owner || a.group)) ctx.addIssue({ code: 'custom', path: [a.owner ? 'owner' : 'group'], message: "a hard link has src's owner and group; set them on src" });
    })
    .describe(
      "Dry run: reads dest and src and shows the link created or replaced (dest's old target, or that a file there would be replaced with force); later tasks see the link. A src an earlier change may create makes the task depend on it.",
    ),
);

type Args = z.infer<ReturnType<typeof schema>>;
export type LinkResolved = Resolved;
type Resolved = { args: Args; srcPath: string; dest: ReturnType<typeof fileQuery>; destStat: ReturnType<typeof statQuery>; srcStat: ReturnType<typeof statQuery> };

function fail(message: string): string {
  return `{ printf '%s\\n' ${shQuote(message)} >&2; exit 1; }`;
}

/** The link made in a fresh root-only directory beside dest, chowned, then renamed over dest's name. */
function linkScript(a: Args, st: FileState): string {
  const place = placeOf(a.dest, { ...st, followed: undefined });
  const own = a.owner || a.group ? `chown -h -- ${shQuote(`${a.owner ?? ''}${a.group ? `:${a.group}` : ''}`)} "$_fp_p/l" &&` : '';
  const make = a.state === 'hard' ? `ln -P -- ${shQuote(a.src)} "$_fp_p/l"` : `ln -s -- ${shQuote(a.src)} "$_fp_p/l"`;
  return [
    enterScript(place.dir, a.dest),
    `_fp_p=$(mktemp -d .fleetplan.XXXXXX) || exit 1`,
    `[ -O "$_fp_p" ] && ! [ -L "$_fp_p" ] || ${fail(`${a.dest}: the temporary directory was swapped; nothing done`)}`,
    `if ${make} && ${own} _fp_mv "$_fp_p/l" ${shQuote(place.name)}; then rmdir -- "$_fp_p"; else rc=$?; rm -rf -- "$_fp_p"; exit $rc; fi`,
  ].join('\n');
}

function linkState(a: Args, srcPath: string): FileState & { linkText?: string } {
  if (a.state === 'hard') return { exists: true, type: 'file', owner: a.owner, group: a.group };
  return { exists: true, type: 'link', owner: a.owner ?? 'root', group: a.group, link: { target: srcPath, owner: a.owner ?? 'root', uid: 0 }, linkText: a.src };
}

/** What is at dest that the link would replace, or why it may not. */
function replaced(a: Args, d: StatState, same: boolean): string | undefined {
  if (!d.exists) return undefined;
  if (d.type === 'directory') throw new Error(`${a.dest} is a directory; a link does not replace a directory (remove it first with directory: {state: absent})`);
  if (d.type === 'link' && a.state === 'link') return `link to ${d.linkTarget}`;
  if (same) return undefined;
  if (!a.force) throw new Error(`${a.dest} exists and is a ${d.type === 'link' ? 'symbolic link' : d.type}, not the wanted link; force: true replaces it`);
  return d.type;
}

export const link: Operation<Args, Resolved> = {
  name: 'link',
  summary: 'A symbolic link (or hard link) at dest pointing to src; an existing link there is replaced, never followed',
  get schema() {
    return schema();
  },
  resolve(args) {
    const srcPath = args.src.startsWith('/') ? posix.normalize(args.src) : posix.join(dirnameOf(args.dest), args.src);
    return { args, srcPath, dest: fileQuery(args.dest), destStat: statQuery(args.dest), srcStat: statQuery(srcPath) };
  },
  queries: (r) => [r.dest, r.destStat, r.srcStat],
  plan(r, state): PlanResult {
    const a = r.args;
    const st: FileState = state.get(r.dest);
    const d = statOrPredicted(state.get(r.destStat));
    const s = statOrPredicted(state.get(r.srcStat));
    // The link itself is what this task manages: replaced, never followed; a user's link above it is refused.
    checkPath(a.dest, { ...st, link: undefined, nlink: undefined }, false);
    refuseMissingParent(a.dest, st, state);
    const same = a.state === 'hard' ? s.exists && d.exists && s.inode !== undefined && s.inode === d.inode && s.dev === d.dev : d.type === 'link' && d.linkTarget === a.src;
    const predicts = [{ resource: fileResource(a.dest), value: linkState(a, r.srcPath) }];
    if (a.state === 'hard') {
      if (!s.exists) throw new Unresolved(`${a.src} does not exist; a hard link needs an existing file`);
      if (s.type !== 'file') throw new Error(`${a.src} is a ${s.type}; a hard link is made only to a regular file`);
    } else if (!s.exists && !a.force && !same) {
      throw new Unresolved(`${a.src} does not exist (seen from ${dirnameOf(a.dest)})`, 'force: true makes a link to a path that does not exist yet');
    }
    if (same) {
      const attrs = [a.owner && a.owner !== d.owner ? `owner ${d.owner} → ${a.owner}` : '', a.group && a.group !== d.group ? `group ${d.group} → ${a.group}` : ''].filter(Boolean);
      if (!attrs.length || a.state === 'hard') return { changes: [], reason: `${a.dest} is ${a.state === 'hard' ? 'a hard link to' : 'a link to'} ${a.src}`, effects: { predicts } };
      // The link is made again with its owner and renamed over: a chown by name could meet a file swapped in.
      return { changes: [{ kind: 'run', description: `${a.dest}: ${attrs.join(', ')}`, command: linkScript(a, st) }], effects: { predicts } };
    }
    const old = replaced(a, d, same);
    const change: Change = {
      kind: 'run',
      description: `${a.state === 'hard' ? 'hard link' : 'link'} ${a.dest} → ${a.src}${old ? ` (replaces the ${old})` : ''}`,
      command: linkScript(a, st),
    };
    return { changes: [change], effects: { predicts, creates: d.exists ? undefined : [fileResource(a.dest)] } };
  },
};
