// directory: a directory (and its parents) with owner, group and mode, or absent (recursively).
import { fileRegisterFields } from './register-fields.js';
import { absolutePath } from './path-schema.js';
import { ownerName } from './name-schema.js';
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { fileQuery, fileResource, normalizeMode, type FileState } from '../state/file-state.js';
import { attrChanges, attrCommand, followArg, modeSchema } from './file-content.js';
import { checkPath, mkdirScript, planRemoval, refuseBlocked } from './safe-path.js';
import type { Operation } from './operation.js';

const schema = lazySchema(() =>
  z
    .object({
      path: absolutePath.describe('Absolute path on the host'),
      state: z.enum(['present', 'absent']).default('present').describe('absent removes the directory and everything in it'),
      owner: ownerName.optional().describe('Owner user name'),
      group: ownerName.optional().describe('Owner group name'),
      mode: modeSchema.optional(),
      ...followArg,
    })
    .strict(),
);

type Args = z.infer<ReturnType<typeof schema>>;

export const directory: Operation<Args, { args: Args; query: ReturnType<typeof fileQuery> }> = {
  name: 'directory',
  summary: 'A directory with owner, group and mode (parents created), or absent',
  get schema() {
    return schema();
  },
  shorthand: 'path',
  resolve: (args) => ({ args, query: fileQuery(args.path, { follow: args.follow }) }),
  queries: (r) => [r.query],
  registerFields: (r, state) => fileRegisterFields(r.args.path, r.query, state),
  plan({ args: a, query }, state) {
    const st = state.get(query);
    if (a.state === 'absent') {
      if (!st.exists) return { changes: [], reason: `${a.path} is absent` };
      return planRemoval(a.path, st, true, `remove directory ${a.path}`);
    }
    checkPath(a.path, st, a.follow);
    refuseBlocked(a.path, st, state);
    if (st.exists && st.type !== 'directory') throw new Error(`${a.path} exists and is a ${st.type}, not a directory`);
    const after: FileState = {
      exists: true,
      type: 'directory',
      mode: normalizeMode(a.mode ?? st.mode ?? '0755'),
      owner: a.owner ?? st.owner ?? 'root',
      group: a.group ?? st.group ?? 'root',
    };
    const predicts = [{ resource: fileResource(a.path), value: after }];
    if (!st.exists) {
      const owner = `${a.owner ?? ''}${a.group ? `:${a.group}` : ''}`;
      const mode = a.mode ? normalizeMode(a.mode) : '';
      const anchor = st.anchor ?? { logical: '/', physical: '/' };
      const command = mkdirScript(st.followed ?? a.path, anchor, st.userWritable !== undefined, owner, mode);
      return {
        changes: [{ kind: 'run', description: `create directory ${a.path}`, command }],
        effects: { predicts, creates: [fileResource(a.path)] },
      };
    }
    const diffs = attrChanges(a, st);
    if (diffs.length === 0) return { changes: [], reason: `${a.path} exists with the wanted attributes`, effects: { predicts } };
    return { changes: [{ kind: 'run', description: `${a.path}: ${diffs.join(', ')}`, command: attrCommand(a.path, a, st) }], effects: { predicts } };
  },
};
