// Jinja written where fleetplan reads Handlebars (a .hbs template, a templated argument, a plan
// value): found and answered with the Handlebars form, so an Ansible author learns the translation
// from the error. Never evaluated, only rewritten as text for the message. Also used for plan-level
// YAML (Ansible-isms).

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

export interface JinjaHint {
  /** Offset of the Jinja construct in the text. */
  offset: number;
  message: string;
}

const STATEMENT_KEYWORDS = new Set(['if', 'elif', 'else', 'endif', 'for', 'endfor', 'set', 'raw', 'endraw', 'macro', 'endmacro', 'include', 'import', 'block', 'endblock', 'with', 'endwith', 'filter', 'endfilter']);
/** Longest tag body looked at: a template is scanned whole when it compiles, in linear time. */
const MAX_BODY = 400;

/** Each `open … close` tag of the text (bodies up to MAX_BODY characters, on one line). */
function* tags(text: string, open: string, close: string): Generator<{ offset: number; body: string; whole: string }> {
  for (let i = text.indexOf(open); i >= 0; i = text.indexOf(open, i + open.length)) {
    // Only a window after each opening is searched, so even `{{{{{{…` costs linear time.
    const start = i + open.length;
    const end = text.slice(start, start + MAX_BODY + close.length).indexOf(close);
    if (end < 0) continue;
    const body = text.slice(start, start + end);
    if (!body.includes('\n')) yield { offset: i, body, whole: text.slice(i, start + end + close.length) };
  }
}

/** Split at top-level `sep` (outside quotes and brackets). */
function splitTop(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of text) {
    if (quote) quote = ch === quote ? '' : quote;
    else if (ch === "'" || ch === '"') quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (ch === sep && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}

const STATEMENT_FORMS: Record<string, string> = {
  if: '{{#if x}}…{{else}}…{{/if}} (comparisons as {{#if (eq a b)}})',
  elif: '{{#if a}}…{{else if b}}…{{else}}…{{/if}}',
  else: '{{#if x}}…{{else}}…{{/if}}',
  endif: '{{#if x}}…{{/if}}',
  for: '{{#each list}}…{{this}}…{{/each}} (or {{#each list as |item|}}…{{item}}…{{/each}}; over a mapping {{@key}} and {{this}})',
  endfor: '{{#each list}}…{{/each}}',
  set: 'a variable in vars: (it may reference other variables)',
  with: '{{#with x}}…{{/with}}',
  endwith: '{{#with x}}…{{/with}}',
};

/** The Handlebars for a statement, with the author's own names when they are plain. */
function statementForm(keyword: string, rest: string): string | undefined {
  const path = /^[A-Za-z_][\w.]*$/;
  if (keyword === 'if' && path.test(rest)) return `{{#if ${rest}}}…{{else}}…{{/if}}`;
  const loop = /^(\w+)\s+in\s+([A-Za-z_][\w.]*)$/.exec(rest);
  if (keyword === 'for' && loop) return `{{#each ${loop[2]} as |${loop[1]}|}}…{{${loop[1]}}}…{{/each}}`;
  return STATEMENT_FORMS[keyword];
}

/** A Jinja value or argument as a Handlebars one: 'a' → "a", name=value kept, the rest as written. */
function handlebarsArg(arg: string): string {
  const a = arg.trim();
  const quoted = /^'((?:[^'\\]|\\.)*)'$/.exec(a);
  if (quoted) return JSON.stringify(quoted[1]!.replace(/\\'/g, "'"));
  const kw = /^(\w+)\s*=\s*(.+)$/s.exec(a);
  if (kw) return `${kw[1]}=${handlebarsArg(kw[2]!)}`;
  if (a === 'True' || a === 'False') return a.toLowerCase();
  return a;
}

/** `x | default('a') | upper` → `{{upper (default x "a")}}`. */
export function handlebarsFormOfFilters(expr: string, filters: readonly { name: string; args?: string }[]): string {
  let value = expr.trim().replace(/\['(\w+)'\]/g, '.$1');
  for (const [i, f] of filters.entries()) {
    let args = f.args !== undefined ? splitTop(f.args.slice(1, -1), ',').filter((x) => x.trim() !== '').map(handlebarsArg) : [];
    let name = helperForFilter(f.name);
    if (f.name === 'map') {
      const attr = args.find((a) => a.startsWith('attribute='));
      args = attr ? [attr.slice('attribute='.length)] : args;
      name = attr ? 'map_attr' : `map ${args.join(' ')} (no helper: compute it in a variable)`;
    }
    const call = `${name} ${[value, ...args].join(' ')}`;
    value = i === filters.length - 1 ? call : `(${call})`;
  }
  return `{{${value}}}`;
}

/** `expr | f(a) | g` → the expression and its filters; undefined when the body is no filter chain. */
function filterChain(body: string): { expr: string; filters: { name: string; args?: string }[] } | undefined {
  const parts = splitTop(body.replace(/^-|-$/g, ''), '|');
  if (parts.length < 2 || parts[0]!.trim() === '' || /\bas\s*$/.test(parts[0]!)) return undefined;
  const filters: { name: string; args?: string }[] = [];
  for (const p of parts.slice(1)) {
    const m = /^\s*([A-Za-z_][\w.]*)\s*(\(.*\))?\s*$/s.exec(p);
    if (!m) return undefined;
    filters.push({ name: m[1]!, args: m[2] });
  }
  return { expr: parts[0]!, filters };
}

/** The first Jinja construct in `text`, with the Handlebars to write instead; undefined when none. */
export function jinjaHint(text: string): JinjaHint | undefined {
  for (const t of tags(text, '{%', '%}')) {
    const m = /^-?\s*(\w+)\b(.*?)-?$/s.exec(t.body);
    if (!m || !STATEMENT_KEYWORDS.has(m[1]!)) continue;
    const form = statementForm(m[1]!, m[2]!.trim());
    return { offset: t.offset, message: `Jinja statement '${t.whole}' is not Handlebars: write ${form ?? 'it with Handlebars blocks ({{#if}}, {{#each}}) and helpers'}` };
  }
  for (const t of tags(text, '{{', '}}')) {
    if (/^[#/!>^&{~]|^\s*else\b/.test(t.body)) continue; // Handlebars blocks, comments, partials
    const chain = filterChain(t.body);
    if (chain) return { offset: t.offset, message: `Jinja filter syntax '${t.whole}' is not Handlebars: write ${handlebarsFormOfFilters(chain.expr, chain.filters)} (helpers take the value first)` };
    const inl = /^-?\s*(.+?)\s+if\s+(.+?)\s+else\s+(.+?)\s*-?$/.exec(t.body);
    if (inl) return { offset: t.offset, message: `a Jinja inline if '${t.whole}' is not Handlebars: write {{ternary ${inl[2]} ${handlebarsArg(inl[1]!)} ${handlebarsArg(inl[3]!)}}}` };
  }
  for (const t of tags(text, '{#', '#}')) {
    if (t.offset > 0 && text[t.offset - 1] === '{') continue; // `{{#if}}`
    return { offset: t.offset, message: 'a Jinja comment {# … #} is not Handlebars: write {{!-- … --}}' };
  }
  return undefined;
}
