// template: a Handlebars file from the role's templates/ rendered with the host's variables
// (strict: an undefined variable fails the task before anything is written).
import { z } from 'zod';
import { fileQuery } from '../state/file-state.js';
import { fileAttrs, planFileContent, sha256 } from './file-content.js';
import type { Operation } from './operation.js';

const schema = z
  .object({
    src: z.string().min(1).describe("Template under the role's templates/ directory, e.g. main.cf.hbs"),
    dest: z.string().min(1).describe('Absolute path on the host'),
    ...fileAttrs,
  })
  .strict();

type Args = z.infer<typeof schema>;
type Resolved = { args: Args; content: Buffer; query: ReturnType<typeof fileQuery> };

export const template: Operation<Args, Resolved> = {
  name: 'template',
  summary: 'Render a Handlebars template (role templates/) to a file on the host',
  schema,
  resolve(args, ctx) {
    const content = Buffer.from(ctx.renderTemplate(ctx.controllerPath('templates', args.src)));
    return { args, content, query: fileQuery(args.dest, { wantSha: sha256(content), withContent: true }) };
  },
  queries: (r) => [r.query],
  plan: ({ args, content, query }, state, ctx) => planFileContent({ ...args, path: args.dest, content }, state.get(query), ctx),
};
