// Jinja2 written where fleetplan reads Handlebars (plan strings, templates): the first Jinja-only
// construct of a text and the Handlebars to write instead. Only a hint for a message: nothing here
// is evaluated, and a text that is valid Handlebars (`{{ x }}`, `{{#if x}}`, `{{x.[0]}}`) has none.
//
//   {{ x | default('a') }}   → {{default x "a"}}          (filters become helpers, chained inside out)
//   {{ a ~ ':' ~ b }}        → {{concat a ":" b}}
//   {{ x if c else y }}      → {{#if c}}{{x}}{{else}}{{y}}{{/if}}
//   {{ lookup('env', 'X') }} → {{env "X"}}
//   {{ x['a'] }}, {{ x[0] }} → {{x.a}}, {{x.[0]}}
//   {% if a == b %} … {% endif %}, {% for k in ks %} … {% endfor %}, {# … #}

export interface JinjaFound {
  /** Where the construct starts in the text. */
  offset: number;
  /** What it is and what to write instead. */
  hint: string;
}

/** A Jinja string literal as a Handlebars one ("…"); other operands as they are. */
const operand = (s: string): string => {
  const t = s.trim();
  const q = /^'(.*)'$/.exec(t) ?? /^"(.*)"$/.exec(t);
  if (q) return JSON.stringify(q[1]);
  return t
    .replace(/\[\s*['"]([\w-]+)['"]\s*\]/g, '.$1')
    .replace(/\[\s*(\d+)\s*\]/g, '.[$1]');
};

/** Split on a separator outside quotes and brackets. */
export function splitTop(text: string, sep: RegExp): string[] {
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
      const m = sep.exec(text.slice(i));
      if (m && m.index === 0) {
        out.push(text.slice(start, i));
        start = i + m[0].length;
        i = start - 1;
      }
    }
  }
  out.push(text.slice(start));
  return out;
}

/** `name(a, 'b')` → `name a "b"`; `name` → `name`. */
function call(text: string, first?: string): string {
  const m = /^\s*([\w.]+)\s*(?:\((.*)\))?\s*$/s.exec(text);
  if (!m) return text.trim();
  const args = m[2] !== undefined && m[2].trim() !== '' ? splitTop(m[2], /,\s*/).map((a) => operand(a.replace(/^\s*\w+\s*=\s*/, ''))) : [];
  return [m[1]!, ...(first !== undefined ? [first] : []), ...args].join(' ');
}

const COMPARISONS: Record<string, string> = { '==': 'eq', '!=': 'ne' };

/** A Jinja expression as a Handlebars expression (the inside of `{{…}}` or a sub-expression). */
export function jinjaExpression(expr: string): string {
  const e = expr.trim();
  const lookup = /^lookup\(\s*['"]env['"]\s*,\s*(['"][^'"]*['"])\s*\)$/.exec(e);
  if (lookup) return `env ${operand(lookup[1]!)}`;
  const cmp = /^(.+?)\s*(==|!=)\s*(.+)$/.exec(e);
  if (cmp) return `(${COMPARISONS[cmp[2]!]} ${operand(cmp[1]!)} ${operand(cmp[3]!)})`;
  const concat = splitTop(e, /\s*~\s*/);
  if (concat.length > 1) return `concat ${concat.map((p) => wrap(jinjaExpression(p))).join(' ')}`;
  const [head, ...filters] = splitTop(e, /\s*\|\s*/);
  if (filters.length === 0) return /^\w+\(/.test(e) ? call(e) : operand(e);
  return filters.reduce((inner, f, i) => call(f, i === 0 ? wrap(operand(head!)) : `(${inner})`), '');
}

/** An expression used as a parameter: a call goes in parentheses. */
const wrap = (h: string): string => (/\s/.test(h) && !/^[("]/.test(h) ? `(${h})` : h);

/** `{{ … }}` with Jinja-only syntax inside: what to write instead, or undefined when it is Handlebars. */
function mustacheHint(inner: string): string | undefined {
  const body = inner.replace(/^[~\s]+|[~\s]+$/g, '');
  if (/^[#/!>^&@]|^else\b/.test(body)) return undefined; // blocks, comments, partials, else
  // Handlebars' own `|` (block parameters) and anything inside quotes are not Jinja.
  const blockParams = body.replace(/"[^"]*"|'[^']*'/g, '""').replace(/\bas\s*\|[^|]*\|/g, '');
  const ternary = /^(.+?)\s+if\s+(.+?)\s+else\s+(.+)$/s.exec(body);
  if (ternary) {
    return `{{#if ${jinjaExpression(ternary[2]!).replace(/^\((.*)\)$/, '($1)')}}}{{${jinjaExpression(ternary[1]!)}}}{{else}}{{${jinjaExpression(ternary[3]!)}}}{{/if}}`;
  }
  const jinjaOnly = /\||\s~\s|\w~\w|==|!=|\w\(|\w\[|\s(?:and|or|in|is)\s|^not\s|\s\+\s/.test(blockParams);
  if (!jinjaOnly) return undefined;
  const h = jinjaExpression(body);
  return `{{${h.replace(/^\((.*)\)$/, '$1')}}}`;
}

/** `{% … %}`: the Handlebars block for a Jinja statement. */
function statementHint(stmt: string): string {
  const m = /^(\w+)\s*(.*)$/s.exec(stmt.trim());
  const [kw, rest] = m ? [m[1]!, m[2]!.trim()] : ['', ''];
  const cond = () => {
    const e = jinjaExpression(rest.replace(/\s+is\s+defined$/, ''));
    return e.startsWith('(') ? e : e.split(' ').length > 1 ? `(${e})` : e;
  };
  switch (kw) {
    case 'if': return `{{#if ${cond()}}}`;
    case 'elif': return `{{else if ${cond()}}}`;
    case 'else': return '{{else}}';
    case 'endif': return '{{/if}}';
    case 'for': {
      const f = /^(\w+)(?:\s*,\s*(\w+))?\s+in\s+(.+?)(?:\.items\(\))?$/.exec(rest);
      if (!f) return '{{#each list as |item|}}…{{/each}}';
      return f[2] ? `{{#each ${operand(f[3]!)}}}{{@key}} {{this}}{{/each}} (the key is {{@key}}, the value {{this}})` : `{{#each ${operand(f[3]!)} as |${f[1]}|}}…{{${f[1]}}}…{{/each}}`;
    }
    case 'endfor': return '{{/each}}';
    case 'set': return 'a variable (vars: or defaults) computed from the others, then {{name}}';
    case 'raw': return 'escaped braces: \\{{ is a literal {{';
    default: return 'no Handlebars equivalent: compute the value in a variable (include, macro, block and extends do not exist)';
  }
}

/** The first Jinja-only construct in `text`, or undefined. */
export function findJinja(text: string): JinjaFound | undefined {
  const re = /\{%-?([\s\S]*?)-?%\}|(?<!\{)\{#[\s\S]*?#\}|\{\{(?!\{)([\s\S]*?)\}\}/g;
  for (const m of text.matchAll(re)) {
    const written = m[0].length > 60 ? `${m[0].slice(0, 57)}...` : m[0];
    if (m[1] !== undefined) return { offset: m.index, hint: `Jinja2 statement ${written}: write ${statementHint(m[1])}` };
    if (m[0].startsWith('{#')) return { offset: m.index, hint: `Jinja2 comment ${written}: write {{!-- … --}}` };
    const h = mustacheHint(m[2] ?? '');
    if (h) return { offset: m.index, hint: `Jinja2 expression ${written}: write ${h} (Handlebars helpers, docs/coming-from-ansible.md)` };
  }
  return undefined;
}

/** What to write instead of the first Jinja-only construct of `text`, or undefined when there is none. */
export function jinjaHint(text: string): string | undefined {
  return findJinja(text)?.hint;
}
