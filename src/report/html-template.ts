// HTML from template literals in which every interpolated value is escaped unless it is itself
// markup built this way: a task name, error or file line containing `<script>` can only be text.
export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Markup | string | number | false | null | undefined | readonly HtmlValue[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function part(v: HtmlValue): string {
  if (v instanceof Markup) return v.text;
  if (Array.isArray(v)) return v.map(part).join('');
  // `false` lets a template say `${cond && html`…`}`.
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Markup {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]!) + strings[i + 1]!;
  return new Markup(out);
}

/** The page's own trusted text (its stylesheet and script); never anything from a run. */
export function trusted(text: string): Markup {
  return new Markup(text);
}
