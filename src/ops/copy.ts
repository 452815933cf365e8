// copy: a file from the role's files/ (or the plan's directory) to the host, byte for byte.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fileQuery } from '../state/file-state.js';
import { fileAttrs, planFileContent, sha256 } from './file-content.js';
import type { Operation } from './operation.js';

const schema = z
  .object({
    src: z.string().min(1).describe("File under the role's files/ directory (or relative to the plan)"),
    dest: z.string().min(1).describe('Absolute path on the host'),
    ...fileAttrs,
  })
  .strict();

type Args = z.infer<typeof schema>;
type Resolved = { args: Args; content: Buffer; query: ReturnType<typeof fileQuery> };

export const copy: Operation<Args, Resolved> = {
  name: 'copy',
  summary: "Copy a controller file (role files/) to the host",
  schema,
  resolve(args, ctx) {
    const content = readFileSync(ctx.controllerPath('files', args.src));
    return { args, content, query: fileQuery(args.dest, { wantSha: sha256(content), withContent: true }) };
  },
  queries: (r) => [r.query],
  plan: ({ args, content, query }, state, ctx) => planFileContent({ ...args, path: args.dest, content }, state.get(query), ctx),
};
