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

const STATEMENT = /\{%-?\s*(if|elif|else|endif|for|endfor|set|raw|endraw|macro|endmacro|include|import|block|endblock|with|endwith|filter|endfilter)\b([^%]*?)-?%\}/;
const COMMENT = /(?<!\{)\{#[^{}]*?#\}/;
/** `{{ expr | filter(args) | ... }}` — a pipe that is not Handlebars' `as |x|` block parameter. */
const FILTERED = /\{\{-?\s*([^{}|]*?[^{}|\s])\s*\|\s*([A-Za-z_][\w.]*)\s*(\([^{}]*?\))?\s*((?:\|\s*[A-Za-z_][\w.]*\s*(?:\([^{}]*?\))?\s*)*)-?\}\}/;
const INLINE_IF = /\{\{-?\s*([^{}]+?)\s+if\s+([^{}]+?)\s+else\s+([^{}]+?)\s*-?\}\}/;

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

/** Split a filter's argument list at top-level commas. */
function splitArgs(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of list) {
    if (quote) quote = ch === quote ? '' : quote;
    else if (ch === "'" || ch === '"') quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim() !== '') out.push(cur);
  return out;
}

/** `x | default('a') | upper` → `{{upper (default x "a")}}`. */
export function handlebarsFormOfFilters(expr: string, filters: readonly { name: string; args?: string }[]): string {
  let value = expr.trim().replace(/\['(\w+)'\]/g, '.$1');
  for (const [i, f] of filters.entries()) {
    let args = f.args !== undefined ? splitArgs(f.args.slice(1, -1)).map(handlebarsArg) : [];
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

function parseFilterChain(first: string, firstArgs: string | undefined, rest: string): { name: string; args?: string }[] {
  const chain = [{ name: first, args: firstArgs }];
  for (const m of rest.matchAll(/\|\s*([A-Za-z_][\w.]*)\s*(\([^{}]*?\))?/g)) chain.push({ name: m[1]!, args: m[2] });
  return chain;
}

/** The first Jinja construct in `text`, with the Handlebars to write instead; undefined when none. */
export function jinjaHint(text: string): JinjaHint | undefined {
  const found: JinjaHint[] = [];
  const st = STATEMENT.exec(text);
  if (st) {
    const form = statementForm(st[1]!, st[2]!.trim());
    found.push({ offset: st.index, message: `Jinja statement '${st[0]}' is not Handlebars: write ${form ?? 'it with Handlebars blocks ({{#if}}, {{#each}}) and helpers'}` });
  }
  const cm = COMMENT.exec(text);
  if (cm) found.push({ offset: cm.index, message: 'a Jinja comment {# … #} is not Handlebars: write {{!-- … --}}' });
  const fl = FILTERED.exec(text);
  if (fl && !/\bas\s*$/.test(fl[1]!)) {
    const chain = parseFilterChain(fl[2]!, fl[3], fl[4] ?? '');
    found.push({ offset: fl.index, message: `Jinja filter syntax '${fl[0]}' is not Handlebars: write ${handlebarsFormOfFilters(fl[1]!, chain)} (helpers take the value first)` });
  }
  const inl = INLINE_IF.exec(text);
  if (inl) found.push({ offset: inl.index, message: `a Jinja inline if '${inl[0]}' is not Handlebars: write {{ternary ${inl[2]} ${handlebarsArg(inl[1]!)} ${handlebarsArg(inl[3]!)}}}` });
  return found.sort((a, b) => a.offset - b.offset)[0];
}
