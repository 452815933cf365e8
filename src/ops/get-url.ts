// get_url: a file downloaded from a URL to the host (Ansible's get_url). The download runs ON THE
// CONTROLLER (get-url-download.ts) and the bytes reach the host through the same atomic write as copy:
// one transport (the SSH connection already open), nothing needed on the host (no curl, no CA bundle,
// no route out — many hosts have none), and the checksum is verified before a byte is sent to the host.
// A download over 1 MiB is streamed as a large copy is (never whole in the controller's memory).
// With a checksum (or without force) a dest that is already right is never downloaded again.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { fileQuery, normalizeMode, type FileState } from '../state/file-state.js';
import { attrChanges, attrCommand, fileAttrs, planFileContent, sha256 } from './file-content.js';
import type { Operation, PlanResult, StreamedSource } from './operation.js';
import { absolutePath } from './path-schema.js';
import { checkPath } from './safe-path.js';
import { download, shownUrl } from './get-url-download.js';

const schema = lazySchema(() =>
  z
    .object({
      url: z
        .string()
        .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), { message: 'only http:// and https:// URLs are downloaded (an absolute URL)' })
        .describe('http:// or https:// URL, downloaded by the controller (at most 4 GiB; over 1 MiB it is streamed to the host, never whole in memory)'),
      dest: absolutePath.describe('File on the host (a file path, not a directory)'),
      checksum: z
        .string()
        .regex(/^sha256:[0-9a-fA-F]{64}$/, 'checksum is "sha256:<64 hex digits>" (fleetplan verifies SHA-256 only)')
        .optional()
        .describe('"sha256:<hex>": the download must have it (else the task fails and nothing reaches the host); a dest that has it is not downloaded again'),
      force: z.boolean().default(false).describe('Without a checksum, download again even if dest exists (and replace it when the content differs)'),
      timeout: z.number().int().min(1).max(3600).default(10).describe('Seconds the download may take'),
      ...fileAttrs,
    })
    .strict()
    .describe(
      'Dry run: downloads on the controller (nothing reaches the host) when the file is missing, has another checksum, or force is set, verifies the checksum and shows the exact diff (for a download over 1 MiB, its SHA-256 before and after); later tasks see the new file. No download when dest has the checksum, or exists and neither checksum nor force is given.',
    ),
);

type Args = z.infer<ReturnType<typeof schema>>;
type Resolved = { args: Args; query: ReturnType<typeof fileQuery>; body?: Buffer | StreamedSource };

/** The dest already as wanted except perhaps its attributes: no download. */
function keep(a: Args, st: FileState, why: string): PlanResult {
  const attrs = attrChanges(a, st);
  const after: FileState = { ...st, owner: a.owner ?? st.owner, group: a.group ?? st.group, mode: a.mode ? normalizeMode(a.mode) : st.mode };
  const effects = { predicts: [{ resource: { kind: 'file' as const, path: a.dest }, value: after }] };
  if (!attrs.length) return { changes: [], reason: `${a.dest} ${why}`, effects };
  return { changes: [{ kind: 'run', description: `${a.dest}: ${attrs.join(', ')}`, command: attrCommand(a.dest, a, st) }], effects };
}

export const getUrl: Operation<Args, Resolved> = {
  name: 'get_url',
  summary: 'A file downloaded by the controller from an http(s) URL (checksum verified) and written to the host',
  get schema() {
    return schema();
  },
  resolve(args) {
    const want = args.checksum?.slice('sha256:'.length).toLowerCase();
    // The current content only when it may be replaced (for the diff): with a checksum, only when it differs.
    return { args, query: fileQuery(args.dest, { wantSha: want, withContent: want !== undefined || args.force, follow: args.follow }) };
  },
  queries: (r) => [r.query],
  plan(r, state, ctx) {
    const a = r.args;
    const st: FileState = state.get(r.query);
    checkPath(a.dest, st, a.follow);
    const want = a.checksum?.slice('sha256:'.length).toLowerCase();
    if (st.exists && st.type === 'file' && want && st.sha256 === want) return keep(a, st, 'has the checksum; not downloaded');
    if (st.exists && st.type === 'file' && !want && !a.force) return keep(a, st, 'exists; not downloaded (force: true downloads again)');
    const body = (r.body ??= download(a.url, a.timeout, ctx.secrets));
    const got = Buffer.isBuffer(body) ? sha256(body) : body.sha256;
    if (want && got !== want) throw new Error(`get_url: ${shownUrl(a.url)} has SHA-256 ${got}, not the checksum ${want}; nothing written`);
    return planFileContent({ ...a, path: a.dest, content: body }, st, ctx, state);
  },
};
