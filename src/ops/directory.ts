// directory: a directory (and its parents) with owner, group and mode, or absent (recursively).
import { absolutePath } from './path-schema.js';
import { ownerName } from './name-schema.js';
import { z } from 'zod';
import { shQuote } from '../core/quote.js';
import { fileQuery, fileResource, normalizeMode, type FileState } from '../state/file-state.js';
import { attrChanges, attrCommand, modeSchema } from './file-content.js';
import type { Operation } from './operation.js';

const schema = z
  .object({
    path: absolutePath.describe('Absolute path on the host'),
    state: z.enum(['present', 'absent']).default('present').describe('absent removes the directory and everything in it'),
    owner: ownerName.optional().describe('Owner user name'),
    group: ownerName.optional().describe('Owner group name'),
    mode: modeSchema.optional(),
  })
  .strict();

type Args = z.infer<typeof schema>;

export const directory: Operation<Args, { args: Args; query: ReturnType<typeof fileQuery> }> = {
  name: 'directory',
  summary: 'A directory with owner, group and mode (parents created), or absent',
  schema,
  shorthand: 'path',
  resolve: (args) => ({ args, query: fileQuery(args.path) }),
  queries: (r) => [r.query],
  plan({ args: a, query }, state) {
    const st = state.get(query);
    const p = shQuote(a.path);
    if (a.state === 'absent') {
      if (!st.exists) return { changes: [], reason: `${a.path} is absent` };
      return {
        changes: [{ kind: 'run', description: `remove directory ${a.path}`, command: `rm -rf ${p}` }],
        predicts: [{ key: fileResource(a.path), value: { exists: false } satisfies FileState }],
      };
    }
    if (st.exists && st.type !== 'directory') throw new Error(`${a.path} exists and is a ${st.type}, not a directory`);
    const after: FileState = {
      exists: true,
      type: 'directory',
      mode: normalizeMode(a.mode ?? st.mode ?? '0755'),
      owner: a.owner ?? st.owner ?? 'root',
      group: a.group ?? st.group ?? 'root',
    };
    const predicts = [{ key: fileResource(a.path), value: after }];
    if (!st.exists) {
      const attrs = attrCommand(a.path, a, { exists: true });
      return {
        changes: [{ kind: 'run', description: `create directory ${a.path}`, command: `mkdir -p ${p}${attrs ? ` && ${attrs}` : ''}` }],
        predicts,
        createsMissing: true,
      };
    }
    const diffs = attrChanges(a, st);
    if (diffs.length === 0) return { changes: [], reason: `${a.path} exists with the wanted attributes`, predicts };
    return { changes: [{ kind: 'run', description: `${a.path}: ${diffs.join(', ')}`, command: attrCommand(a.path, a, st) }], predicts };
  },
};
