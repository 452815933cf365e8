// replace: every match of a regular expression in a file replaced (Ansible's replace), on the file's
// text as a whole (multi-line patterns work). Patterns and replacements are JavaScript's, not Python's:
// `$1` / `$<name>` in the replacement instead of `\1` / `\g<name>`; see the argument descriptions.
import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { fileAttrs } from './file-content.js';
import { fileEditOperation } from './file-edit.js';
import { absolutePath } from './path-schema.js';

const regex = (what: string) =>
  z.string().min(1).refine(
    (s) => {
      try {
        new RegExp(s, 'm');
        return true;
      } catch {
        return false;
      }
    },
    { message: `${what} is not a valid regular expression (JavaScript syntax; Python's (?P<name>...) is (?<name>...))` },
  );

const schema = lazySchema(() =>
  z
    .object({
      path: absolutePath.describe('File on the host'),
      regexp: regex('regexp').describe(
        "JavaScript regular expression, applied with flags g and m (as Python's re.MULTILINE: ^ and $ match at every line; . does not match a newline, and there are no inline flags such as (?s): use [^] or [\\s\\S]); every match is replaced. Named groups are (?<name>...), not Python's (?P<name>...)",
      ),
      replace: z.string().default('').describe("Replacement: $1, $<name> and $& refer to the match (not Python's \\1 / \\g<name>); $$ is a literal $. Default: empty (removes the matches)"),
      after: regex('after').optional().describe('Only the text after the first match of this expression is edited'),
      before: regex('before').optional().describe('Only the text before the first match of this expression (after `after`) is edited'),
      ...fileAttrs,
    })
    .strict()
    .describe(
      'Dry run: reads the file and shows the exact diff of every replacement; later tasks see the edited file. A replacement that the expression would match and change again on the next run is refused (it would change the file on every run).',
    ),
);

type Args = z.infer<ReturnType<typeof schema>>;

/** The file's text in a form that gives back the same bytes: UTF-8 when valid, else one character per byte. */
const decode = (b: Buffer): [string, BufferEncoding] => (isUtf8(b) ? [b.toString('utf8'), 'utf8'] : [b.toString('latin1'), 'latin1']);

/** Every match replaced within the after/before section (pure, exported for tests). A string gives a string. */
export function replaceIn(content: string, a: Pick<Args, 'regexp' | 'replace' | 'after' | 'before'>): string;
export function replaceIn(content: Buffer, a: Pick<Args, 'regexp' | 'replace' | 'after' | 'before'>): Buffer;
export function replaceIn(content: Buffer | string, a: Pick<Args, 'regexp' | 'replace' | 'after' | 'before'>): Buffer | string {
  if (typeof content === 'string') return replaceIn(Buffer.from(content, 'utf8'), a).toString('utf8');
  const [text, enc] = decode(content);
  let start = 0;
  let end = text.length;
  if (a.after !== undefined) {
    const m = new RegExp(a.after, 'm').exec(text);
    if (!m) return content;
    start = m.index + m[0].length;
  }
  if (a.before !== undefined) {
    const m = new RegExp(a.before, 'm').exec(text.slice(start));
    if (!m) return content;
    end = start + m.index;
  }
  const section = text.slice(start, end).replace(new RegExp(a.regexp, 'gm'), a.replace ?? '');
  return Buffer.from(text.slice(0, start) + section + text.slice(end), enc);
}

export const replace = fileEditOperation({
  name: 'replace',
  summary: 'Every match of a regular expression in a file replaced, the rest kept as is',
  get schema() {
    return schema();
  },
  edit(content, a) {
    const once = replaceIn(content, a);
    if (!once.equals(content) && !replaceIn(once, a).equals(once)) {
      throw new Error(
        `replace in ${a.path}: the replacement is matched by ${JSON.stringify(a.regexp)} again, so every run would change the file; make the regexp not match what it writes (e.g. anchor it, or match the old value only)`,
      );
    }
    return once;
  },
});
