// Helpers over strings: case, trimming, replacing, regular expressions, splitting and joining, paths,
// indentation and shell quoting (Ansible's lower, upper, trim, replace, regex_*, split, join,
// basename, dirname, indent, quote).
import { shQuote } from '../../core/quote.js';
import { reveal } from '../../core/secret.js';
import { fail, text, type HelperDef, type HelperOptions } from './helper.js';

/** A regular expression from a template, with Python's `\1` / `\g<name>` in replacements made JS's. */
function regex(helper: string, pattern: unknown, options: HelperOptions, global: boolean): RegExp {
  const source = text(helper, pattern, 'pattern');
  const flags = `${global ? 'g' : ''}${options.hash?.ignorecase === true ? 'i' : ''}${options.hash?.multiline === true ? 'm' : ''}`;
  try {
    return new RegExp(source, flags);
  } catch (err) {
    return fail(helper, `invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
}
const pythonReplacement = (s: string): string => s.replace(/\$/g, '$$$$').replace(/\\g<(\w+)>/g, '$$<$1>').replace(/\\(\d)/g, '$$$1');

/** Python's os.path.basename / dirname (a trailing slash leaves an empty basename). */
const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
function dirname(p: string): string {
  const head = p.slice(0, p.lastIndexOf('/') + 1);
  return head && head !== '/'.repeat(head.length) ? head.replace(/\/+$/, '') : head;
}

const unary = (name: string, ansible: string, does: string, example: string, f: (s: string) => string): HelperDef => ({
  name,
  args: 'string',
  ansible: [ansible],
  does,
  example,
  fn: ([s]) => f(text(name, s)),
});

export const stringHelpers: HelperDef[] = [
  unary('lower', 'x | lower', 'The string in lower case.', '{{lower facts.os_family}}', (s) => s.toLowerCase()),
  unary('upper', 'x | upper', 'The string in upper case.', '{{upper domain}}', (s) => s.toUpperCase()),
  unary('trim', 'x | trim', 'The string without leading and trailing white space.', '{{trim banner}}', (s) => s.trim()),
  unary('basename', 'x | basename', 'The last component of a path ("" after a trailing slash, as Python).', '{{basename key_file}}', basename),
  unary('dirname', 'x | dirname', 'The path without its last component.', '{{dirname key_file}}', dirname),
  {
    name: 'replace',
    args: 'string old new',
    ansible: ["x | replace('a', 'b')"],
    does: 'The string with every occurrence of old replaced by new (literal text, not a pattern).',
    example: '{{replace domain "." "_"}}',
    fn: ([s, from, to]) => text('replace', s).split(text('replace', from, 'old')).join(text('replace', to, 'new')),
  },
  {
    name: 'regex_replace',
    args: 'string pattern replacement [ignorecase=true] [multiline=true]',
    ansible: ["x | regex_replace('re', 'r')"],
    does: 'Every match of the pattern (JavaScript syntax, which Python\'s everyday syntax is) replaced; `\\1` and `\\g<name>` in the replacement are groups, as in Ansible.',
    example: '{{regex_replace hostname "\\.example\\.org$" ""}}',
    fn: ([s, pattern, replacement], options) =>
      text('regex_replace', s).replace(regex('regex_replace', pattern, options, true), pythonReplacement(text('regex_replace', replacement, 'replacement'))),
  },
  {
    name: 'regex_search',
    args: 'string pattern [ignorecase=true] [multiline=true]',
    ansible: ["x | regex_search('re')"],
    does: 'The first match of the pattern, or "" when there is none (false in `{{#if}}`).',
    example: '{{#if (regex_search facts.kernel "^6\\.")}}…{{/if}}',
    fn: ([s, pattern], options) => regex('regex_search', pattern, options, false).exec(text('regex_search', s))?.[0] ?? '',
  },
  unary('regex_escape', 'x | regex_escape', 'The string with every regular-expression metacharacter escaped, to match it literally.', '{{regex_escape domain}}', (s) =>
    s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'),
  ),
  {
    name: 'split',
    args: 'string [separator]',
    ansible: ["x | split(',')"],
    does: 'A list of the parts between separators; without one, the words between runs of white space (as Python).',
    example: '{{#each (split relay_hosts ",")}}…{{/each}}',
    fn: ([s, sep]) => {
      const str = text('split', s);
      return sep === undefined ? str.split(/\s+/).filter((w) => w !== '') : str.split(text('split', sep, 'separator'));
    },
  },
  {
    name: 'join',
    args: 'list [separator]',
    ansible: ["list | join(', ')"],
    does: 'The items as text joined by the separator (default ", "); a single value is itself.',
    example: '{{join domains " "}}',
    fn: ([l, sep]) => {
      const s = sep === undefined ? ', ' : text('join', sep, 'separator');
      const v = reveal(l);
      if (v === undefined || v === null) return fail('join', `value must be a list, got ${v === null ? 'null' : 'undefined'}`);
      return Array.isArray(v) ? v.map((x) => text('join', x, 'an item')).join(s) : text('join', v);
    },
  },
  {
    name: 'concat',
    args: 'value...',
    ansible: ["a ~ ':' ~ b"],
    does: 'The values as text, joined with nothing between them.',
    example: '{{concat user ":" password}}',
    fn: (args) => args.map((a) => String(reveal(a) ?? '')).join(''),
  },
  {
    name: 'indent',
    args: 'text [width] [first=true]',
    ansible: ['x | indent(4)'],
    does: 'Every line but the first indented by width spaces (default 2); `first=true` the first too. Empty lines stay empty.',
    example: '{{indent certificate 4}}',
    fn: ([t, width], options) => {
      const pad = ' '.repeat(typeof width === 'number' ? width : 2);
      return text('indent', t)
        .split('\n')
        .map((line, i) => ((i > 0 || options.hash?.first === true) && line !== '' ? pad + line : line))
        .join('\n');
    },
  },
  {
    name: 'shquote',
    args: 'value',
    ansible: ['x | quote'],
    does: 'One POSIX-sh word, whatever the value holds (quotes, $(…), newlines): for values put into commands.',
    example: 'postmap -q {{shquote key}} /etc/postfix/map',
    fn: ([v]) => shQuote(String(reveal(v) ?? '')),
  },
  {
    name: 'list',
    args: 'value...',
    ansible: ['[a, b]'],
    does: 'A list of the values (for helpers that take one).',
    example: '{{join (list a b) ","}}',
    fn: (args) => [...args],
  },
];
