// blockinfile: a block of lines between two marker lines in a file the operation does not own (Ansible's
// blockinfile), byte-exact like `line`: every line outside the block keeps its bytes and its ending.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { joinLines, lineText, newlineOf, splitLines, type ByteLine } from './byte-lines.js';
import { fileAttrs } from './file-content.js';
import { fileEditOperation } from './file-edit.js';
import { absolutePath } from './path-schema.js';

/** fleetplan's own default marker: Ansible's with the tool's name, so blocks of both never collide. */
export const DEFAULT_MARKER = '# {mark} FLEETPLAN MANAGED BLOCK';

const pattern = z.string().refine(
  (s) => {
    if (s === 'EOF' || s === 'BOF') return true;
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression (JavaScript syntax), nor EOF/BOF' },
);

const schema = lazySchema(() =>
  z
    .object({
      path: absolutePath.describe('File on the host'),
      block: z.string().default('').describe('The lines between the markers (a trailing newline is ignored); empty removes the block with its markers'),
      marker: z
        .string()
        .default(DEFAULT_MARKER)
        .refine((m) => !/[\r\n]/.test(m), { message: 'a marker is one line' })
        .describe('Marker line template; {mark} becomes marker_begin / marker_end. Give one per block in the same file'),
      marker_begin: z.string().default('BEGIN').describe('Replaces {mark} in the first marker line'),
      marker_end: z.string().default('END').describe('Replaces {mark} in the last marker line'),
      insertafter: pattern.optional().describe('A new block goes after the last line matching this regular expression, or at EOF (the default); no match: EOF'),
      insertbefore: pattern.optional().describe('A new block goes before the last line matching this regular expression, or at BOF; no match: EOF'),
      state: z.enum(['present', 'absent']).default('present').describe('absent removes the block and its markers'),
      create: z.boolean().default(false).describe('Create the file if missing'),
      ...fileAttrs,
    })
    .strict()
    .superRefine((a, ctx) => {
      if (a.insertafter !== undefined && a.insertbefore !== undefined) ctx.addIssue({ code: 'custom', message: '`insertafter` and `insertbefore` exclude each other' });
      if (a.marker_begin === a.marker_end || !a.marker.includes('{mark}')) {
        ctx.addIssue({ code: 'custom', path: ['marker'], message: 'the begin and end markers must differ (put {mark} in `marker`, and different marker_begin / marker_end): otherwise the block is never found again and added on every run' });
      }
    })
    .describe(
      'Dry run: reads the file and shows the exact diff of the block inserted, replaced or removed; later tasks see the edited file. A missing file (without create) makes the task depend on an earlier change that may create it, else fail.',
    ),
);

type Args = z.infer<ReturnType<typeof schema>>;

/** Where a new block goes: index of the line it is inserted before. */
function insertAt(lines: ByteLine[], a: Pick<Args, 'insertafter' | 'insertbefore'>): number {
  const re = a.insertbefore ?? a.insertafter;
  if (re === undefined || re === 'EOF') return lines.length;
  if (re === 'BOF') return a.insertbefore !== undefined ? 0 : lines.length;
  const r = new RegExp(re);
  let last = -1;
  lines.forEach((l, i) => {
    if (r.test(lineText(l.bare))) last = i;
  });
  if (last < 0) return lines.length;
  return a.insertbefore !== undefined ? last : last + 1;
}

/** Applies the block edit to a file's bytes (pure, exported for tests). A string gives a string. */
export function editBlock(content: string, a: Partial<Args>): string;
export function editBlock(content: Buffer, a: Partial<Args>): Buffer;
export function editBlock(content: Buffer | string, a: Partial<Args>): Buffer | string {
  if (typeof content === 'string') return editBlock(Buffer.from(content, 'utf8'), a).toString('utf8');
  const marker = a.marker ?? DEFAULT_MARKER;
  const [begin, end] = [marker.replaceAll('{mark}', a.marker_begin ?? 'BEGIN'), marker.replaceAll('{mark}', a.marker_end ?? 'END')];
  const lines = splitLines(content);
  const nl = newlineOf(lines);
  const b = lines.findIndex((l) => lineText(l.bare) === begin);
  const e = b < 0 ? -1 : lines.findIndex((l, i) => i > b && lineText(l.bare) === end);
  const text = (a.block ?? '').replace(/\r?\n$/, '');
  const wanted: ByteLine[] =
    a.state === 'absent' || text === '' ? [] : [begin, ...text.split(/\r?\n/), end].map((t) => ({ bare: Buffer.from(t, 'utf8'), end: nl }));
  if (b >= 0 && e >= 0) {
    // The replaced block keeps the ending of its last line (a file without final newline stays so).
    if (wanted.length) wanted[wanted.length - 1] = { ...wanted.at(-1)!, end: lines[e]!.end };
    return joinLines([...lines.slice(0, b), ...wanted, ...lines.slice(e + 1)]);
  }
  if (!wanted.length) return content;
  const at = insertAt(lines, a);
  const before = lines.slice(0, at);
  const prev = before.at(-1);
  // A last line without newline gets one before the block after it: bytes are added, none changed.
  if (prev && !prev.end.endsWith('\n')) before[before.length - 1] = { bare: prev.bare, end: prev.end === '\r' ? '\r\n' : nl };
  return joinLines([...before, ...wanted, ...lines.slice(at)]);
}

export const blockinfile = fileEditOperation({
  name: 'blockinfile',
  summary: 'A block of lines between marker lines present or absent in a file, the rest kept as is',
  get schema() {
    return schema();
  },
  edit: (content, a) => editBlock(content, a),
  missingHint: 'set create: true to create it',
});
