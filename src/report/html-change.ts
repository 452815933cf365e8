// A change on the report page: the exact command of a run, or the diff of a file, line by line.
import { diffLines, type ShownChange } from './diff.js';
import { html, type Markup } from './html-template.js';

export function renderChange(ch: ShownChange): Markup {
  if (ch.kind === 'run' && !ch.diff) return html`<pre class="change cmd">$ ${ch.command}</pre>`;
  if (!ch.diff) return html`<div class="change desc">${ch.description}</div>`;
  const lines = diffLines(ch.diff).map((l) => html`<div class="l ${l.kind}">${l.text}</div>`);
  return html`<div class="change diff"><div>${lines}</div></div>`;
}
