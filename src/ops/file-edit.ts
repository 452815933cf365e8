// The one shape of an operation that edits a file it does not own (line, blockinfile, ini_file, replace):
// read the file's bytes, apply a pure edit, and plan the write with the shared file-content planner
// (diff, attributes, atomic write, prediction). Only the edit differs between them.
import type { z } from 'zod';
import { fileQuery, type FileState } from '../state/file-state.js';
import { planFileContent, type fileAttrs } from './file-content.js';
import { Unresolved, type Operation } from './operation.js';

type Attrs = { [K in keyof typeof fileAttrs]?: z.infer<(typeof fileAttrs)[K]> };
export type EditArgs = Attrs & { path: string; create?: boolean; state?: string };

export function fileEditOperation<A extends EditArgs>(spec: {
  name: string;
  summary: string;
  schema: z.ZodType<A>;
  /** Bytes in, bytes out; pure. */
  edit: (content: Buffer, args: A) => Buffer;
  /** Advice when the file is missing and the op may create it (`create: true`). */
  missingHint?: string;
  /** How the refusal of a file it cannot read names the edit ("edit by line"). */
  what?: string;
}): Operation<A, { args: A; query: ReturnType<typeof fileQuery> }> {
  return {
    name: spec.name,
    summary: spec.summary,
    // A getter, so the spec's lazily built schema (lazy-schema.ts) is built on first use, not here.
    get schema() {
      return spec.schema;
    },
    resolve: (args) => ({ args, query: fileQuery(args.path, { withContent: true, follow: args.follow }) }),
    queries: (r) => [r.query],
    plan({ args: a, query }, state, ctx) {
      const st: FileState = state.get(query);
      if (!st.exists) {
        if (a.state === 'absent') return { changes: [], reason: `${a.path} does not exist` };
        if (!a.create) throw new Unresolved(`${a.path} does not exist yet`, spec.missingHint);
      }
      if (st.exists && st.content === undefined) throw new Error(`${a.path} is too large or not a regular file to ${spec.what ?? 'edit'}`);
      // Bytes in, bytes out: whatever the file's encoding, what the edit does not touch stays as it was.
      const after = spec.edit(st.content ?? Buffer.alloc(0), a);
      return planFileContent({ ...a, content: after }, st, ctx, state);
    },
  };
}
