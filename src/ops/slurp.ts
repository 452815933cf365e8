// slurp: a host file's content into the registered result, base64-encoded (Ansible's slurp). Read-only;
// the content comes with the play's one state read, from the opened file, never through a link.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { DIFF_CONTENT_LIMIT, fileQuery, type FileState } from '../state/file-state.js';
import { Unresolved, type Operation } from './operation.js';
import { absolutePath } from './path-schema.js';
import { checkPath } from './safe-path.js';

const schema = lazySchema(() =>
  z
    .object({
      src: absolutePath.describe('File on the host to read (at most 1 MiB)'),
    })
    .strict()
    .describe(
      "Dry run: reads the file as a real run does (it never changes anything), so `register:` holds `{content, encoding: base64, source}`; after an earlier task's planned write of the file, its predicted content. A symbolic link at src is refused, as for every file operation.",
    ),
);

type Args = z.infer<ReturnType<typeof schema>>;
type Resolved = { args: Args; query: ReturnType<typeof fileQuery> };

/** The file's bytes, or why they cannot be registered. */
function contentOf(src: string, st: FileState): Buffer {
  if (!st.exists) throw new Unresolved(`${src} does not exist`);
  // A link at src (or a host user's link above it) is refused, naming it, as every file operation does.
  checkPath(src, st, false);
  if (st.type !== 'file') throw new Error(`${src} is a ${st.type}, not a regular file`);
  if ((st.size ?? 0) > DIFF_CONTENT_LIMIT) throw new Error(`${src} has ${st.size} bytes; slurp reads at most ${DIFF_CONTENT_LIMIT} bytes (1 MiB) — use fetch for larger files`);
  if (st.content === undefined) throw new Error(`${src} could not be read`);
  return st.content;
}

export const slurp: Operation<Args, Resolved> = {
  name: 'slurp',
  summary: "A host file's content (base64) registered for later tasks; never changes anything",
  get schema() {
    return schema();
  },
  shorthand: 'src',
  resolve: (args) => ({ args, query: fileQuery(args.src, { withContent: true }) }),
  queries: (r) => [r.query],
  plan(r, state) {
    const content = contentOf(r.args.src, state.get(r.query));
    return { changes: [], reason: `read ${content.length} bytes of ${r.args.src}` };
  },
  registerFields: (r, state) => ({ content: contentOf(r.args.src, state.get(r.query)).toString('base64'), encoding: 'base64', source: r.args.src }),
};
