// line: one line (or one `key = value` setting) present or absent in a file the operation does not
// own, e.g. one main.cf parameter, keeping the rest of the distribution's file as it is.
import { absolutePath } from './path-schema.js';
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { isTemplated } from '../core/templated.js';
import { hasLineBreak, joinLines, lineText, newLines, newlineOf, onlyContinuations, sameLine, splitLines, type ByteLine } from './byte-lines.js';
import { fileAttrs } from './file-content.js';
import { fileEditOperation } from './file-edit.js';

const schema = lazySchema(() =>
  z
    .object({
      path: absolutePath.describe('File on the host'),
      line: z.string().optional().describe('The whole line wanted, one line (with continuation and regexp, also its indented continuation lines); with regexp, which must match it too, it replaces the last matching line'),
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
      for (const issue of lineTraps(a)) ctx.addIssue({ code: 'custom', ...issue });
    }),
);

/** A pattern that does not compile, as a problem at its argument (null: it compiles). */
function badPattern(name: 'regexp' | 'insert_after', source: string | undefined) {
  if (source === undefined) return null;
  try {
    new RegExp(source);
    return null;
  } catch (err) {
    return { path: [name], message: `not a valid regular expression: ${(err as Error).message}` };
  }
}

/**
 * Arguments that would make the task change the file on every run. Checked by the schema, so at
 * load time for literal values (file:line:col) and again after rendering for templated ones (the
 * engine names host and task). A templated value is blamed at its own path, which the loader
 * leaves to the render-time check.
 */
export function lineTraps(a: {
  line?: string;
  regexp?: string;
  insert_after?: string;
  key?: string;
  value?: unknown;
  separator?: string;
  state?: string;
  continuation?: boolean;
}) {
  const issues: { path: string[]; message: string }[] = [];
  for (const bad of [badPattern('regexp', a.regexp), badPattern('insert_after', a.insert_after)]) if (bad) issues.push(bad);
  for (const name of ['line', 'key', 'value', 'separator'] as const) {
    const v = a[name];
    // A setting with indented continuation lines is one span: found by its regexp, replaced whole.
    if (name === 'line' && a.continuation && a.regexp !== undefined && typeof v === 'string' && onlyContinuations(v)) continue;
    if (typeof v === 'string' && hasLineBreak(v)) {
      issues.push({
        path: [name],
        message: `\`${name}\` holds a line break: it would be written as several lines, never found again as one, and added on every run; use one \`line\` task per line (a loop), \`template\`/\`copy\` for a block, or for one setting with indented continuation lines \`continuation: true\` with a \`regexp\``,
      });
    }
  }
  if (a.state !== 'absent' && a.line !== undefined && a.regexp !== undefined && !issues.length && !new RegExp(a.regexp).test(a.line.split('\n')[0]!)) {
    issues.push({
      path: [isTemplated(a.regexp) ? 'regexp' : 'line'],
      message: `\`regexp\` ${JSON.stringify(a.regexp)} does not match \`line\` ${JSON.stringify(a.line)}: after the first run the regexp finds nothing and the line would be appended again on every run; make the regexp match the new line too (e.g. '^name\\s*=' for 'name = value')`,
    });
  }
  return issues;
}

type Args = z.infer<ReturnType<typeof schema>>;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Applies the wanted edit to a file's bytes. Lines are split on LF and matched one by one (see
 * lineText for how a pattern sees a line that is not UTF-8, and without its CR); every line the
 * edit does not touch keeps its bytes and its ending. Pure, exported for tests. A string in gives a
 * string out (UTF-8), for tests of plain text.
 */
export function editLines(content: string, a: Args): string;
export function editLines(content: Buffer, a: Args): Buffer;
export function editLines(content: Buffer | string, a: Args): Buffer | string {
  if (typeof content === 'string') return editLines(Buffer.from(content, 'utf8'), a).toString('utf8');
  return joinLines(editByteLines(splitLines(content), a));
}

function editByteLines(lines: ByteLine[], a: Args): ByteLine[] {
  const want = a.key !== undefined ? `${a.key}${a.separator}${String(a.value ?? '')}` : a.line;
  const matcher =
    a.key !== undefined
      ? new RegExp(`^\\s*${escapeRe(a.key)}\\s*${escapeRe(a.separator.trim()) || '\\s'}`)
      : a.regexp !== undefined
        ? new RegExp(a.regexp)
        : undefined;
  const matches = (l: ByteLine) => (matcher ? matcher.test(lineText(l.bare)) : sameLine(l, want!));
  // A setting with continuation lines spans from its line to the next non-indented line.
  const spanEnd = (i: number) => {
    let j = i + 1;
    if (a.continuation) while (j < lines.length && /^[ \t]+\S/.test(lineText(lines[j]!.bare))) j++;
    return j;
  };

  if (a.state === 'absent') {
    const out: ByteLine[] = [];
    for (let i = 0; i < lines.length; ) {
      if (matches(lines[i]!)) i = spanEnd(i);
      else out.push(lines[i++]!);
    }
    return out;
  }

  let last = -1;
  lines.forEach((l, i) => {
    if (matches(l)) last = i;
  });
  if (last >= 0) {
    const end = spanEnd(last);
    // The replacement keeps the ending of the span it replaces (CRLF, or no final newline).
    return [...lines.slice(0, last), ...newLines(want!, lines, lines[end - 1]!.end), ...lines.slice(end)];
  }
  // Absent: insert after the last insert_after match, or at the end.
  let at = lines.length;
  if (a.insert_after !== undefined) {
    const re = new RegExp(a.insert_after);
    lines.forEach((l, i) => {
      if (re.test(lineText(l.bare))) at = spanEnd(i);
    });
  }
  const before = lines.slice(0, at);
  const prev = before.at(-1);
  // A last line without newline gets one before the new line after it: bytes are added, none changed.
  if (prev && !prev.end.endsWith('\n')) before[before.length - 1] = { bare: prev.bare, end: prev.end === '\r' ? '\r\n' : newlineOf(lines) };
  return [...before, ...newLines(want!, lines), ...lines.slice(at)];
}

export const line = fileEditOperation<Args>({
  name: 'line',
  summary: 'One line or `key = value` setting present or absent in a file, the rest kept as is',
  get schema() {
    return schema();
  },
  edit: (content, a) => editLines(content, a),
  missingHint: 'set create: true to create it',
  what: 'edit by line',
});
