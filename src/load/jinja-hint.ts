// Jinja written where fleetplan reads Handlebars (a .hbs or .j2 template, a plan argument, a loop:, a
// role variable): the first Jinja-only construct of a text, answered with the Handlebars to write
// instead, so an Ansible author learns the translation from the error. Never evaluated, only
// rewritten as text for the message; valid Handlebars (`{{ x }}`, `{{#if x}}`, `{{x.[0]}}`) has none.
//
//   {{ x | default('a') | upper }} → {{upper (default x "a")}}   (filters become helpers, inside out)
//   {{ a ~ ':' ~ b }}               → {{concat a ":" b}}
//   {{ x if c else y }}             → {{ternary c x y}}
//   {{ lookup('env', 'X') }}        → {{env "X"}}
//   {{ x['a'] }}, {{ x[0] }}        → {{x.a}}, {{x.[0]}}
//   {% if a == b %}, {% for k in ks %}, {# … #} → {{#if (eq a b)}}, {{#each ks as |k|}}, {{!-- … --}}
//
// Linear time: tags are found with indexOf and each body is looked at within a bounded window, so a
// large template (or `{{{{{{…`) costs one pass; only the construct reported is translated.
import { HELPERS } from './helpers/index.js';

/** Jinja filters whose helper has another name here (the rest keep their Ansible name). */
export const JINJA_FILTER_HELPERS: Readonly<Record<string, string>> = {
  quote: 'shquote',
  map: 'map_attr',
  to_nice_json: 'to_json',
  to_nice_yaml: 'to_yaml',
  d: 'default',
  count: 'length',
  string: 'concat',
  list: 'list',
};

/** The helper for a Jinja filter name (its own name when none is mapped). */
export const helperForFilter = (filter: string): string => JINJA_FILTER_HELPERS[filter] ?? filter;

let helperSet: ReadonlySet<string> | undefined;
const helperExists = (name: string): boolean => (helperSet ??= new Set(HELPERS.map((h) => h.name))).has(name);

export interface JinjaHint {
  /** Offset of the Jinja construct in the text. */
  offset: number;
  /** What it is and the Handlebars to write instead. */
  message: string;
}

/** Longest tag body looked at. */
const MAX_BODY = 400;

/** Each `open … close` tag of the text (bodies up to MAX_BODY characters, on one line). */
function* tags(text: string, open: string, close: string): Generator<{ offset: number; body: string; whole: string }> {
  // The next `close` is searched again only once an opening lies past it: one pass over the text,
  // even for `{{{{{{…` or an opening never closed.
  let closeAt = -1;
  for (let i = text.indexOf(open); i >= 0; i = text.indexOf(open, i + open.length)) {
    const start = i + open.length;
    if (closeAt < start) closeAt = text.indexOf(close, start);
    if (closeAt < 0) return;
    if (closeAt - start > MAX_BODY) continue;
    const body = text.slice(start, closeAt);
    if (!body.includes('\n')) yield { offset: i, body, whole: text.slice(i, closeAt + close.length) };
  }
}

/** Split on a separator outside quotes and brackets, in one pass (the separator is tried in place). */
export function splitTop(text: string, sep: RegExp): string[] {
  const at = new RegExp(sep.source, `${sep.flags.replace(/[gy]/g, '')}y`);
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (depth === 0) {
      at.lastIndex = i;
      const m = at.exec(text);
      if (m && m[0].length > 0) {
        out.push(text.slice(start, i));
        start = i + m[0].length;
        i = start - 1;
      }
    }
  }
  out.push(text.slice(start));
  return out;
}

/** A Jinja value or argument as a Handlebars one: 'a' → "a", x['a'] → x.a, name=value kept, True → true. */
function operand(s: string): string {
  const t = s.trim();
  const q = /^'((?:[^'\\]|\\.)*)'$/.exec(t) ?? /^"((?:[^"\\]|\\.)*)"$/.exec(t);
  if (q) return JSON.stringify(q[1]!.replace(/\\(['"])/g, '$1'));
  const kw = /^(\w+)\s*=(?!=)\s*(.+)$/s.exec(t);
  if (kw) return `${kw[1]}=${operand(kw[2]!)}`;
  if (t === 'True' || t === 'False') return t.toLowerCase();
  return t.replace(/\[\s*['"]([\w-]+)['"]\s*\]/g, '.$1').replace(/\[\s*(\d+)\s*\]/g, '.[$1]');
}

/** An expression used as a parameter: a call goes in parentheses. */
const wrap = (h: string): string => (/\s/.test(h) && !/^[("]/.test(h) ? `(${h})` : h);

/** `head | f(a) | g` → `g (f head a)`; filters without a helper are collected in `missing`. */
function filterChain(head: string, filters: readonly string[], missing: string[]): string {
  let value = wrap(jinjaExpression(head, missing));
  for (const [i, f] of filters.entries()) {
    const m = /^\s*([A-Za-z_][\w.]*)\s*(?:\((.*)\))?\s*$/s.exec(f);
    if (!m) return `${value} | ${f.trim()}`;
    let args = m[2] !== undefined ? splitTop(m[2], /,/).filter((a) => a.trim() !== '').map(operand) : [];
    let name = helperForFilter(m[1]!);
    if (m[1] === 'map') {
      const attr = args.find((a) => a.startsWith('attribute='));
      if (attr) args = [attr.slice('attribute='.length)];
      else name = 'map';
    }
    if (!helperExists(name)) missing.push(m[1]!);
    const call = `${name} ${[value, ...args].join(' ')}`;
    value = i === filters.length - 1 ? call : `(${call})`;
  }
  return value;
}

/** `(…)` around the whole expression (not `(a) ~ (b)`). */
function parenthesized(e: string): boolean {
  if (!e.startsWith('(') || !e.endsWith(')')) return false;
  let depth = 0;
  let quote = '';
  for (const c of e.slice(0, -1)) {
    if (quote) quote = c === quote ? '' : quote;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return false;
  }
  return true;
}

/** A Jinja expression as a Handlebars one (the inside of `{{…}}` or of a sub-expression). */
export function jinjaExpression(expr: string, missing: string[] = []): string {
  const e = expr.trim();
  if (parenthesized(e)) return jinjaExpression(e.slice(1, -1), missing);
  const lookup = /^lookup\(\s*['"]env['"]\s*,\s*(['"][^'"]*['"])\s*\)$/.exec(e);
  if (lookup) return `env ${operand(lookup[1]!)}`;
  const [value, cond, ...more] = splitTop(e, /\s+(?:if|else)\s+/);
  if (cond !== undefined && more.length === 1) {
    return `ternary ${wrap(jinjaExpression(cond, missing))} ${wrap(jinjaExpression(value!, missing))} ${wrap(jinjaExpression(more[0]!, missing))}`;
  }
  for (const [op, helper] of [['==', 'eq'], ['!=', 'ne']] as const) {
    const sides = splitTop(e, new RegExp(`\\s*${op}\\s*`));
    if (sides.length === 2) return `(${helper} ${wrap(jinjaExpression(sides[0]!, missing))} ${wrap(jinjaExpression(sides[1]!, missing))})`;
  }
  const concat = splitTop(e, /\s*~\s*/);
  if (concat.length > 1) return `concat ${concat.map((p) => wrap(jinjaExpression(p, missing))).join(' ')}`;
  const [head, ...filters] = splitTop(e, /\s*\|\s*/);
  if (filters.length > 0) return filterChain(head!, filters, missing);
  const call = /^([A-Za-z_]\w*)\((.*)\)$/s.exec(e);
  if (call) return [call[1]!, ...splitTop(call[2]!, /,/).filter((a) => a.trim() !== '').map(operand)].join(' ');
  return operand(e);
}

/** What cannot be written as one Handlebars expression (no helper for it): said instead of a form. */
const NO_EXPRESSION = /\s(?:and|or|in|is|not)\s|^not\s|\s[-+*/%<>]=?\s/;

/** `{{ … }}` with Jinja-only syntax inside: the Handlebars to write, or undefined when it is Handlebars. */
function expressionForm(inner: string): string | undefined {
  const body = inner.replace(/^[-~\s]+|[-~\s]+$/g, '');
  if (/^[#/!>^&@{]|^else\b/.test(body)) return undefined; // blocks, comments, partials, else, {{{raw}}}
  // Handlebars' own `|` (block parameters) and anything inside quotes are not Jinja.
  const bare = body.replace(/"[^"]*"|'[^']*'/g, '""').replace(/\bas\s*\|[^|]*\|/g, '');
  if (!/\||~|==|!=|\w\(|\w\[|\sif\s|\s(?:and|or|in|is)\s|^not\s|\s\+\s/.test(bare)) return undefined;
  if (NO_EXPRESSION.test(bare.replace(/\s+(?:if|else)\s+/g, ' , '))) {
    return 'a {{#if}} block with (eq a b) / (ne a b), or a variable computed from the others (Handlebars has no and/or/in/is or arithmetic)';
  }
  const missing: string[] = [];
  const form = `{{${jinjaExpression(body, missing).replace(/^\((.*)\)$/s, '$1')}}}`;
  const names = [...new Set(missing)].map((m) => `'${m}'`).join(', ');
  return missing.length ? `${form} (no helper for ${names}: compute the value in a variable)` : `${form} (helpers take the value first)`;
}

/** The condition of `{% if %}` as a Handlebars parameter. */
function conditionForm(rest: string): string {
  const e = jinjaExpression(rest.replace(/\s+is\s+defined$/, ''));
  return e.startsWith('(') || !/\s/.test(e) ? e : `(${e})`;
}

/** `{% … %}`: the Handlebars for a Jinja statement, with the author's own names; undefined when no statement. */
function statementForm(stmt: string): string | undefined {
  const m = /^(\w+)\s*(.*)$/s.exec(stmt.replace(/^[-+\s]+|[-+\s]+$/g, ''));
  const [kw, rest] = m ? [m[1]!, m[2]!.trim()] : ['', ''];
  switch (kw) {
    case 'if': return `{{#if ${conditionForm(rest)}}}…{{else}}…{{/if}}`;
    case 'elif': return `{{else if ${conditionForm(rest)}}}`;
    case 'else': return '{{else}}';
    case 'endif': return '{{/if}}';
    case 'for': {
      const f = /^(\w+)(?:\s*,\s*(\w+))?\s+in\s+(.+?)(?:\.items\(\))?$/.exec(rest);
      if (!f) return '{{#each list as |item|}}…{{item}}…{{/each}}';
      const list = operand(f[3]!);
      return f[2] ? `{{#each ${list}}}{{@key}} {{this}}{{/each}} (the key is {{@key}}, the value {{this}})` : `{{#each ${list} as |${f[1]}|}}…{{${f[1]}}}…{{/each}}`;
    }
    case 'endfor': return '{{/each}}';
    case 'with': return '{{#with x}}…{{/with}}';
    case 'endwith': return '{{/with}}';
    case 'set': return 'a variable (vars: or defaults) computed from the others, then {{name}}';
    case 'raw': case 'endraw': return 'escaped braces: \\{{ is a literal {{';
    case 'include': case 'import': case 'from': case 'macro': case 'endmacro': case 'call': case 'endcall':
    case 'block': case 'endblock': case 'extends': case 'filter': case 'endfilter':
      return 'no Handlebars equivalent: compute the value in a variable (include, macro, block and extends do not exist)';
    default: return undefined;
  }
}

const shown = (whole: string): string => (whole.length > 60 ? `${whole.slice(0, 57)}...` : whole);

/** The first `{% %}` statement, `{{ }}` expression with Jinja in it, or `{# #}` comment of the text. */
function firstOf(text: string, open: string, close: string, form: (body: string, offset: number) => string | undefined, kind: string): JinjaHint | undefined {
  for (const t of tags(text, open, close)) {
    const write = form(t.body, t.offset);
    if (write !== undefined) return { offset: t.offset, message: `Jinja ${kind} '${shown(t.whole)}' is not Handlebars: write ${write}` };
  }
  return undefined;
}

/** The first Jinja-only construct in `text`, with the Handlebars to write instead; undefined when none. */
export function jinjaHint(text: string): JinjaHint | undefined {
  if (!text.includes('{')) return undefined;
  const found = [
    firstOf(text, '{%', '%}', statementForm, 'statement'),
    firstOf(text, '{{', '}}', expressionForm, 'expression'),
    // `{{#if}}` opens `{#` too: only a `{#` not preceded by `{` is a comment.
    firstOf(text, '{#', '#}', (_b, at) => (at > 0 && text[at - 1] === '{' ? undefined : '{{!-- … --}}'), 'comment'),
  ].filter((h): h is JinjaHint => h !== undefined);
  return found.sort((a, b) => a.offset - b.offset)[0];
}
