// copy and template: a file whose content comes from the controller (role files/ or templates/),
// planned by the shared file-content planner. The two differ only in how the content is produced.
import { fileRegisterFields } from './register-fields.js';
import { absolutePath } from './path-schema.js';
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { fileQuery } from '../state/file-state.js';
import { fileAttrs, planFileContent, sha256 } from './file-content.js';
import type { Operation, OpContext, StreamedSource } from './operation.js';

const schemaFor = (srcDescription: string) =>
  z
    .object({
      src: z.string().min(1).describe(srcDescription),
      dest: absolutePath.describe('Absolute path on the host'),
      ...fileAttrs,
    })
    .strict();

type Args = z.infer<ReturnType<typeof schemaFor>>;
type Resolved = { args: Args; content: Buffer | StreamedSource; query: ReturnType<typeof fileQuery> };

export function controllerFileOperation(spec: {
  name: string;
  summary: string;
  srcDescription: string;
  /** The bytes, or a large file to stream (its hash computed already; its content never read whole). */
  content: (args: Args, ctx: OpContext) => Buffer | StreamedSource;
}): Operation<Args, Resolved> {
  const schema = lazySchema(() => schemaFor(spec.srcDescription));
  return {
    name: spec.name,
    summary: spec.summary,
    get schema() {
      return schema();
    },
    resolve(args, ctx) {
      const content = spec.content(args, ctx);
      // A streamed file is never shown as a diff: its host content is not read, only its hash (as for every file).
      const read = Buffer.isBuffer(content) ? { wantSha: sha256(content), withContent: true } : {};
      return { args, content, query: fileQuery(args.dest, { ...read, follow: args.follow }) };
    },
    queries: (r) => [r.query],
    registerFields: (r, state) => ({ ...fileRegisterFields(r.args.dest, r.query, state), dest: r.args.dest }),
    plan: ({ args, content, query }, state, ctx) => planFileContent({ ...args, path: args.dest, content }, state.get(query), ctx, state),
  };
}
