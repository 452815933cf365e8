// ini_file: one option of one [section] of an INI file present or absent, or a whole section absent
// (Ansible's ini_file), keeping comments, blank lines and every other byte of the file as they were.
import { z } from 'zod';
import { joinLines, lineText, newlineOf, splitLines, type ByteLine } from './byte-lines.js';
import { fileAttrs } from './file-content.js';
import { fileEditOperation } from './file-edit.js';
import { absolutePath } from './path-schema.js';
import { lazySchema } from './lazy-schema.js';

const schema = lazySchema(() =>
  z
    .object({
      path: absolutePath.describe('INI file on the host'),
      section: z.string().nullable().optional().describe('Section name without brackets; omitted or null: the options before the first section'),
      option: z.string().min(1).optional().describe("Option name; set in place where it first occurs in the section, other occurrences removed (Ansible's exclusive); omitted with state absent: the whole section is removed"),
      value: z.union([z.string(), z.number(), z.boolean()]).optional().describe('Option value (booleans are written true/false)'),
      state: z.enum(['present', 'absent']).default('present').describe('absent removes the option (or, without option, the section)'),
      no_extra_spaces: z.boolean().default(false).describe('Write `option=value` instead of `option = value`'),
      create: z.boolean().default(true).describe("Create the file if missing (Ansible's default: true)"),
      ...fileAttrs,
    })
    .strict()
    .superRefine((a, ctx) => {
      if (a.state === 'present' && (a.option === undefined || a.value === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'state present needs `option` and `value`' });
      }
      for (const [name, v] of [['section', a.section], ['option', a.option], ['value', a.value]] as const) {
        if (typeof v === 'string' && /[\r\n]/.test(v)) ctx.addIssue({ code: 'custom', path: [name], message: `\`${name}\` holds a line break: it would be written as several lines and added again on every run` });
      }
      if (typeof a.section === 'string' && a.section.includes(']')) ctx.addIssue({ code: 'custom', path: ['section'], message: 'a section name cannot contain ]' });
      if (a.option !== undefined && /[=:]/.test(a.option)) ctx.addIssue({ code: 'custom', path: ['option'], message: 'an option name cannot contain = or :' });
    })
    .describe(
      'Dry run: reads the file and shows the exact diff of the option or section set or removed; later tasks see the edited file. A missing file is created (create: true, the default) — shown as a new file.',
    ),
);

type Args = z.infer<ReturnType<typeof schema>>;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const HEADER = /^\s*\[([^\]]*)\]/;

/** [start, end) of the section's lines (after its header), or undefined; the global section starts at 0. */
function sectionRange(lines: ByteLine[], section: string | null | undefined): { header: number; start: number; end: number } | undefined {
  let header = -1;
  if (section !== null && section !== undefined) {
    header = lines.findIndex((l) => HEADER.exec(lineText(l.bare))?.[1]?.trim() === section.trim());
    if (header < 0) return undefined;
  }
  let end = header + 1;
  while (end < lines.length && !HEADER.test(lineText(lines[end]!.bare))) end++;
  return { header, start: header + 1, end };
}

/** Applies the INI edit to a file's bytes (pure, exported for tests). A string gives a string. */
export function editIni(content: string, a: Partial<Args>): string;
export function editIni(content: Buffer, a: Partial<Args>): Buffer;
export function editIni(content: Buffer | string, a: Partial<Args>): Buffer | string {
  if (typeof content === 'string') return editIni(Buffer.from(content, 'utf8'), a).toString('utf8');
  const lines = splitLines(content);
  const nl = newlineOf(lines);
  const range = sectionRange(lines, a.section);
  const absent = a.state === 'absent';
  if (absent && !range) return content;
  if (absent && a.option === undefined) return joinLines([...lines.slice(0, Math.max(range!.header, 0)), ...lines.slice(range!.end)]);
  const opt = new RegExp(`^\\s*${escapeRe(a.option!)}\\s*([=:]|$)`);
  const want = { bare: Buffer.from(`${a.option}${a.no_extra_spaces ? '=' : ' = '}${String(a.value)}`, 'utf8'), end: nl };
  const line = (end: string) => ({ ...want, end: end || nl });
  const withNewline = (ls: ByteLine[]) => ls.map((l, i) => (i === ls.length - 1 && !l.end.endsWith('\n') ? { ...l, end: l.end === '\r' ? '\r\n' : nl } : l));
  if (!range) return joinLines([...withNewline(lines), { bare: Buffer.from(`[${a.section}]`, 'utf8'), end: nl }, want]);
  const hits = lines.map((l, i) => (i >= range.start && i < range.end && opt.test(lineText(l.bare)) ? i : -1)).filter((i) => i >= 0);
  if (absent) return joinLines(lines.filter((_, i) => !hits.includes(i)));
  if (hits.length) {
    // The first occurrence is set in place (keeping its line ending); others are removed, as Ansible's `exclusive`.
    const first = hits[0]!;
    return joinLines(lines.flatMap((l, i) => (i === first ? [line(l.end)] : hits.includes(i) ? [] : [l])));
  }
  // A new option goes after the section's last non-blank line, before the blank lines that end it.
  let at = range.end;
  while (at > range.start && lineText(lines[at - 1]!.bare).trim() === '') at--;
  return joinLines([...withNewline(lines.slice(0, at)), want, ...lines.slice(at)]);
}

export const iniFile = fileEditOperation({
  name: 'ini_file',
  summary: 'One option of an INI file section present or absent (or a section absent), comments and the rest kept as is',
  get schema() {
    return schema();
  },
  edit: (content, a) => editIni(content, a),
});
