// line: one line (or one `key = value` setting) present or absent in a file the operation does not
// own, e.g. one main.cf parameter, keeping the rest of the distribution's file as it is.
import { absolutePath } from './path-schema.js';
import { z } from 'zod';
import { fileQuery, type FileState } from '../state/file-state.js';
import { fileAttrs, planFileContent } from './file-content.js';
import { Unresolved, type Operation } from './operation.js';

const schema = z
  .object({
    path: absolutePath.describe('File on the host'),
    line: z.string().optional().describe('The whole line wanted (with regexp: replaces the last matching line)'),
    regexp: z.string().optional().describe('Regular expression selecting the line to replace or remove'),
    key: z.string().optional().describe('Setting name: manages the line `key<separator>value`'),
    value: z.union([z.string(), z.number(), z.boolean()]).optional().describe('Setting value (with key)'),
    separator: z.string().default(' = ').describe('Between key and value (with key); matching ignores spaces around it'),
    continuation: z
      .boolean()
      .default(false)
      .describe('Indented lines after a setting belong to it (Postfix main.cf); they are replaced with it'),
    state: z.enum(['present', 'absent']).default('present').describe('absent removes every matching line (by key, regexp, or equal to line)'),
    insert_after: z.string().optional().describe('Regular expression: a new line goes after the last match (default: end of file)'),
    create: z.boolean().default(false).describe('Create the file if missing'),
    ...fileAttrs,
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.key === undefined && a.line === undefined && a.regexp === undefined) {
      ctx.addIssue({ code: 'custom', message: 'line needs `line`, `regexp` or `key`' });
    }
    if (a.key !== undefined && a.line !== undefined) ctx.addIssue({ code: 'custom', message: '`key` and `line` exclude each other' });
    if (a.key !== undefined && a.value === undefined && a.state === 'present') {
      ctx.addIssue({ code: 'custom', message: '`key` needs `value` when state is present' });
    }
    if (a.line === undefined && a.key === undefined && a.state === 'present') {
      ctx.addIssue({ code: 'custom', message: '`regexp` alone can only remove lines (state: absent); give `line`' });
    }
  });

type Args = z.infer<typeof schema>;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Lines of a file, and whether it ended with a newline (kept as it was). */
function splitLines(text: string): { lines: string[]; trailingNewline: boolean } {
  if (text === '') return { lines: [], trailingNewline: true };
  const trailingNewline = text.endsWith('\n');
  const lines = (trailingNewline ? text.slice(0, -1) : text).split('\n');
  return { lines, trailingNewline };
}

/** Applies the wanted edit to a file's text. Pure, exported for unit tests. */
export function editLines(text: string, a: Args): string {
  const { lines, trailingNewline } = splitLines(text);
  const want = a.key !== undefined ? `${a.key}${a.separator}${String(a.value ?? '')}` : a.line;
  const matcher =
    a.key !== undefined
      ? new RegExp(`^\\s*${escapeRe(a.key)}\\s*${escapeRe(a.separator.trim()) || '\\s'}`)
      : a.regexp !== undefined
        ? new RegExp(a.regexp)
        : undefined;
  const matches = (l: string) => (matcher ? matcher.test(l) : l === want);
  // A setting with continuation lines spans from its line to the next non-indented line.
  const spanEnd = (i: number) => {
    let j = i + 1;
    if (a.continuation) while (j < lines.length && /^[ \t]+\S/.test(lines[j]!)) j++;
    return j;
  };

  if (a.state === 'absent') {
    const out: string[] = [];
    for (let i = 0; i < lines.length; ) {
      if (matches(lines[i]!)) i = spanEnd(i);
      else out.push(lines[i++]!);
    }
    return join(out, trailingNewline);
  }

  let last = -1;
  lines.forEach((l, i) => {
    if (matches(l)) last = i;
  });
  if (last >= 0) {
    const end = spanEnd(last);
    const out = [...lines.slice(0, last), want!, ...lines.slice(end)];
    return join(out, trailingNewline);
  }
  // Absent: insert after the last insert_after match, or at the end.
  let at = lines.length;
  if (a.insert_after !== undefined) {
    const re = new RegExp(a.insert_after);
    lines.forEach((l, i) => {
      if (re.test(l)) at = spanEnd(i);
    });
  }
  return join([...lines.slice(0, at), want!, ...lines.slice(at)], true);
}

function join(lines: string[], trailingNewline: boolean): string {
  return lines.join('\n') + (trailingNewline && lines.length > 0 ? '\n' : '');
}

export const line: Operation<Args, { args: Args; query: ReturnType<typeof fileQuery> }> = {
  name: 'line',
  summary: 'One line or `key = value` setting present or absent in a file, the rest kept as is',
  schema,
  resolve: (args) => ({ args, query: fileQuery(args.path, { withContent: true }) }),
  queries: (r) => [r.query],
  plan({ args: a, query }, state, ctx) {
    const st: FileState = state.get(query);
    if (!st.exists) {
      if (a.state === 'absent') return { changes: [], reason: `${a.path} does not exist` };
      if (!a.create) throw new Unresolved(`${a.path} does not exist yet`, 'set create: true to create it');
    }
    if (st.exists && st.content === undefined) throw new Error(`${a.path} is too large or not a regular file to edit by line`);
    const before = st.content?.toString('utf8') ?? '';
    const after = editLines(before, a);
    return planFileContent({ ...a, content: Buffer.from(after) }, st, ctx);
  },
};
