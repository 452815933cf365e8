// file: a path that holds inline content, or just exists with attributes, or is absent.
import { fileRegisterFields } from './register-fields.js';
import { absolutePath } from './path-schema.js';
import { z } from 'zod';
import { fileQuery } from '../state/file-state.js';
import { attrChanges, attrCommand, fileAttrs, planFileContent, sha256 } from './file-content.js';
import type { Operation } from './operation.js';
import { checkPath, planRemoval } from './safe-path.js';

const schema = z
  .object({
    path: absolutePath.describe('Absolute path on the host'),
    content: z.string().optional().describe('Exact content of the file (templated like any argument)'),
    state: z.enum(['present', 'absent']).default('present').describe('absent removes the file'),
    ...fileAttrs,
  })
  .strict();

type Args = z.infer<typeof schema>;
type Resolved = { args: Args; content?: Buffer; query: ReturnType<typeof fileQuery> };

export const file: Operation<Args, Resolved> = {
  name: 'file',
  summary: 'A file with the given content and attributes, or without content just its attributes, or absent',
  schema,
  shorthand: 'path',
  resolve(args) {
    const content = args.content !== undefined ? Buffer.from(args.content) : undefined;
    const query = fileQuery(args.path, { wantSha: content && sha256(content), withContent: content !== undefined, follow: args.follow });
    return { args, content, query };
  },
  queries: (r) => [r.query],
  registerFields: (r, state) => fileRegisterFields(r.args.path, r.query, state),
  plan({ args: a, content, query }, state, ctx) {
    const st = state.get(query);
    if (a.state === 'absent') {
      if (!st.exists) return { changes: [], reason: `${a.path} is absent` };
      if (st.type === 'directory') throw new Error(`${a.path} is a directory; the file operation removes only files (use directory with state: absent)`);
      return planRemoval(a.path, st, false, `remove ${a.path}`);
    }
    // Without content a new file is created empty; an existing one keeps its content.
    if (content !== undefined || !st.exists) return planFileContent({ ...a, content: content ?? Buffer.alloc(0) }, st, ctx);
    checkPath(a.path, st, a.follow);
    const attrs = attrChanges(a, st);
    if (attrs.length === 0) return { changes: [], reason: `${a.path} has the wanted attributes` };
    return { changes: [{ kind: 'run', description: `${a.path}: ${attrs.join(', ')}`, command: attrCommand(a.path, a, st) }] };
  },
};
