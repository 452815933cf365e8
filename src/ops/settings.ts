// settings: several `key = value` settings of a config file in one task, one write and one diff —
// e.g. the main.cf parameters a relay needs, or opendkim.conf's "Key value" lines — keeping every
// other line of the distribution's file as it is. A null value removes the setting.
import { absolutePath } from './path-schema.js';
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { fileQuery, type FileState } from '../state/file-state.js';
import { fileAttrs, planFileContent } from './file-content.js';
import { editLines, lineTraps } from './line.js';
import { Unresolved, type Operation } from './operation.js';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const schema = lazySchema(() =>
  z
    .object({
      path: absolutePath.describe('Config file on the host'),
      values: z.record(z.string().min(1), scalar).describe('Settings: name → value (null removes the setting)'),
      separator: z.string().default(' = ').describe('Between name and value; matching ignores spaces around it ("Key value": " ")'),
      continuation: z.boolean().default(false).describe('Indented lines after a setting belong to it (Postfix main.cf)'),
      create: z.boolean().default(false).describe('Create the file if missing'),
      ...fileAttrs,
    })
    .strict()
    .superRefine((a, ctx) => {
      // A name or value with a line break would be written as two lines and added again on every run.
      for (const [key, value] of Object.entries(a.values)) {
        for (const issue of lineTraps({ key, value: value ?? undefined })) {
          ctx.addIssue({ code: 'custom', path: ['values', key], message: issue.message.replace(/^`(key|value)`/, `the setting ${JSON.stringify(key)}'s ${issue.path[0] === 'key' ? 'name' : 'value'}`) });
        }
      }
      for (const issue of lineTraps({ separator: a.separator })) ctx.addIssue({ code: 'custom', ...issue });
    }),
);

type Args = z.infer<ReturnType<typeof schema>>;

type Edit = Pick<Args, 'values' | 'separator' | 'continuation'>;

/** Applies every setting in order, on bytes (see editLines); pure (exported for tests). A string gives a string. */
export function applySettings(content: string, a: Edit): string;
export function applySettings(content: Buffer, a: Edit): Buffer;
export function applySettings(content: Buffer | string, a: Edit): Buffer | string {
  if (typeof content === 'string') return applySettings(Buffer.from(content, 'utf8'), a).toString('utf8');
  let out = content;
  for (const [key, value] of Object.entries(a.values)) {
    out = editLines(out, {
      path: '',
      key,
      value: value === null ? undefined : typeof value === 'boolean' ? (value ? 'yes' : 'no') : value,
      separator: a.separator,
      continuation: a.continuation,
      state: value === null ? 'absent' : 'present',
      create: false,
    });
  }
  return out;
}

export const settings: Operation<Args, { args: Args; query: ReturnType<typeof fileQuery> }> = {
  name: 'settings',
  summary: 'Several `key = value` settings present (or removed) in a config file, the rest kept as is',
  get schema() {
    return schema();
  },
  resolve: (args) => ({ args, query: fileQuery(args.path, { withContent: true, follow: args.follow }) }),
  queries: (r) => [r.query],
  plan({ args: a, query }, state, ctx) {
    // Nothing to set is a no-op whatever the file's state (even before a package creates it).
    if (Object.keys(a.values).length === 0) return { changes: [], reason: `no settings for ${a.path}` };
    const st: FileState = state.get(query);
    if (!st.exists && !a.create) throw new Unresolved(`${a.path} does not exist yet`, 'set create: true to create it');
    if (st.exists && st.content === undefined) throw new Error(`${a.path} is too large or not a regular file to edit`);
    // Bytes in, bytes out: whatever the file's encoding, the lines not set stay as they were.
    const after = applySettings(st.content ?? Buffer.alloc(0), a);
    return planFileContent({ ...a, content: after }, st, ctx, state);
  },
};
