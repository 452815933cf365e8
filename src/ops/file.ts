// file: a path that holds inline content, or just exists with attributes, or is absent.
import { fileRegisterFields } from './register-fields.js';
import { absolutePath } from './path-schema.js';
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { fileQuery } from '../state/file-state.js';
import { attrChanges, attrCommand, fileAttrs, planFileContent, sha256 } from './file-content.js';
import type { Operation } from './operation.js';
import { checkPath, planRemoval } from './safe-path.js';
import { link, type LinkResolved } from './link.js';

const schema = lazySchema(() =>
  z
    .object({
      path: absolutePath.describe('Absolute path on the host'),
      content: z.string().optional().describe('Exact content of the file (templated like any argument)'),
      state: z
        .enum(['present', 'absent', 'link', 'hard'])
        .default('present')
        .describe("absent removes the file; link / hard make `path` a symbolic / hard link to `src` (Ansible's file state=link; the same as the link operation)"),
      src: z.string().optional().describe('With state link or hard: what the link points to (see the link operation)'),
      force: z.boolean().optional().describe('With state link or hard: replace a file at path (see the link operation)'),
      ...fileAttrs,
    })
    .strict()
    .superRefine((a, ctx) => {
      const linking = a.state === 'link' || a.state === 'hard';
      if (linking && a.src === undefined) ctx.addIssue({ code: 'custom', path: ['src'], message: `state ${a.state} needs \`src\`` });
      if (!linking && (a.src !== undefined || a.force !== undefined)) ctx.addIssue({ code: 'custom', path: [a.src !== undefined ? 'src' : 'force'], message: '`src` and `force` go with state link or hard' });
      if (a.state === 'hard' && a.src !== undefined && !a.src.startsWith('/')) ctx.addIssue({ code: 'custom', path: ['src'], message: 'a hard link needs an absolute src' });
      if (a.state === 'hard' && (a.owner || a.group)) ctx.addIssue({ code: 'custom', path: [a.owner ? 'owner' : 'group'], message: "a hard link has src's owner and group; set them on src" });
      if (a.src?.includes('\0')) ctx.addIssue({ code: 'custom', path: ['src'], message: 'a path must not contain a NUL byte' });
      if (linking && (a.content !== undefined || a.mode !== undefined || a.backdate !== undefined)) {
        const key = a.content !== undefined ? 'content' : a.mode !== undefined ? 'mode' : 'backdate';
        ctx.addIssue({ code: 'custom', path: [key], message: `state ${a.state} makes a link: no content, mode or backdate` });
      }
    }),
);

type Args = z.infer<ReturnType<typeof schema>>;
type Resolved = { args: Args; content?: Buffer; query: ReturnType<typeof fileQuery>; link?: LinkResolved };

export const file: Operation<Args, Resolved> = {
  name: 'file',
  summary: 'A file with the given content and attributes, or without content just its attributes, or absent',
  get schema() {
    return schema();
  },
  shorthand: 'path',
  resolve(args, ctx) {
    // Ansible's `file: {state: link}`: the link operation does it, with the same arguments.
    if (args.state === 'link' || args.state === 'hard') {
      const { path, src, state, force, owner, group } = args;
      return { args, query: fileQuery(path), link: link.resolve(link.schema.parse({ src, dest: path, state, force, owner, group }), ctx) };
    }
    const content = args.content !== undefined ? Buffer.from(args.content) : undefined;
    const query = fileQuery(args.path, { wantSha: content && sha256(content), withContent: content !== undefined, follow: args.follow });
    return { args, content, query };
  },
  queries: (r, ctx) => (r.link ? link.queries(r.link, ctx) : [r.query]),
  registerFields: (r, state) => (r.link ? {} : fileRegisterFields(r.args.path, r.query, state)),
  plan({ args: a, content, query, link: linked }, state, ctx) {
    if (linked) return link.plan(linked, state, ctx);
    const st = state.get(query);
    if (a.state === 'absent') {
      if (!st.exists) return { changes: [], reason: `${a.path} is absent` };
      if (st.type === 'directory') throw new Error(`${a.path} is a directory; the file operation removes only files (use directory with state: absent)`);
      return planRemoval(a.path, st, false, `remove ${a.path}`);
    }
    // Without content a new file is created empty; an existing one keeps its content.
    if (content !== undefined || !st.exists) return planFileContent({ ...a, content: content ?? Buffer.alloc(0) }, st, ctx, state);
    checkPath(a.path, st, a.follow);
    const attrs = attrChanges(a, st);
    if (attrs.length === 0) return { changes: [], reason: `${a.path} has the wanted attributes` };
    return { changes: [{ kind: 'run', description: `${a.path}: ${attrs.join(', ')}`, command: attrCommand(a.path, a, st) }] };
  },
};
