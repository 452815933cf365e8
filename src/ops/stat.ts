// stat: what a path is (Ansible's stat), registered for later tasks' conditions and templates. Read-only:
// it never changes the host, so a dry run runs it too and its result is known there.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import type { StateView } from '../state/query.js';
import { statOrPredicted, statQuery, type StatState } from '../state/stat-state.js';
import type { Operation } from './operation.js';
import { absolutePath } from './path-schema.js';

const schema = lazySchema(() =>
  z
    .object({
      path: absolutePath.describe('Path on the host'),
      follow: z.boolean().default(false).describe('Report the target of a symbolic link at the path instead of the link itself'),
      get_checksum: z.boolean().default(true).describe('Register the SHA-1 of a regular file as `checksum` (as Ansible)'),
    })
    .strict()
    .describe(
      "Dry run: reads the path as a real run does (it never changes anything), so `register:` holds the real result; after an earlier task's planned change to the same path, the predicted state (fields a prediction cannot know, such as mtime and uid, are absent). Registers `stat: {exists, path, mode, owner, group, uid, gid, size, isdir, isreg, islnk, issock, isfifo, ischr, isblk, xusr, xgrp, xoth, executable, lnk_target, checksum, mtime, ...}`.",
    ),
);

type Args = z.infer<ReturnType<typeof schema>>;
type Resolved = { args: Args; query: ReturnType<typeof statQuery> };

function current(r: Resolved, state: StateView): StatState {
  return statOrPredicted(state.get(r.query));
}

/** Ansible's xusr/xgrp/xoth, and `executable` as for root (this engine's user on the host): any x bit. */
function executeBits(mode: string | undefined): Record<string, boolean> {
  if (mode === undefined) return {};
  const bits = parseInt(mode, 8);
  const [xusr, xgrp, xoth] = [0o100, 0o010, 0o001].map((b) => (bits & b) !== 0) as [boolean, boolean, boolean];
  return { xusr, xgrp, xoth, executable: xusr || xgrp || xoth };
}

/** The registered `stat` mapping, with Ansible's field names (pw_name/gr_name as aliases of owner/group). */
export function statFields(path: string, s: StatState, checksum: boolean): Record<string, unknown> {
  if (!s.exists) return { exists: false, path };
  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return defined({
    exists: true,
    path,
    mode: s.mode,
    owner: s.owner,
    group: s.group,
    pw_name: s.owner,
    gr_name: s.group,
    uid: s.uid,
    gid: s.gid,
    size: s.size,
    isdir: s.type === 'directory',
    isreg: s.type === 'file',
    islnk: s.type === 'link',
    issock: s.special === 'socket',
    isfifo: s.special === 'fifo',
    ischr: s.special === 'char',
    isblk: s.special === 'block',
    ...executeBits(s.mode),
    lnk_target: s.linkTarget,
    checksum: checksum ? s.sha1 : undefined,
    mtime: s.mtime,
    nlink: s.nlink,
    inode: s.inode,
    dev: s.dev,
  });
}

export const stat: Operation<Args, Resolved> = {
  name: 'stat',
  summary: 'What a path is (type, mode, owner, size, checksum, mtime), registered for later tasks; never changes anything',
  get schema() {
    return schema();
  },
  shorthand: 'path',
  resolve: (args) => ({ args, query: statQuery(args.path, { follow: args.follow, checksum: args.get_checksum }) }),
  queries: (r) => [r.query],
  plan(r, state) {
    const s = current(r, state);
    const what = s.exists ? `${s.type}, ${s.mode} ${s.owner}:${s.group}` : 'does not exist';
    return { changes: [], reason: `${r.args.path}: ${what}` };
  },
  registerFields: (r, state) => ({ stat: statFields(r.args.path, current(r, state), r.args.get_checksum) }),
};
