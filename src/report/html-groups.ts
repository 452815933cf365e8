// The report page's "Changes" section: each distinct change of the run once (src/report/group.ts)
// with the hosts that share it (each a link to its own section, where its exact diff is), the
// change's diff with the hosts' own values as placeholders, and a table of those values per host.
import type { ChangeGroup } from './group.js';
import { hostsCount, taskKey } from './group.js';
import { html, type Markup } from './html-template.js';
import { renderChange } from './html-change.js';

/** More hosts than this are folded under "N hosts" instead of listed in the group's head. */
const LISTED_HOSTS = 12;

function statusText(g: ChangeGroup): string {
  if (g.status === 'failed') return g.ignored ? 'failed (ignored)' : 'failed';
  return g.check ? (g.handler ? 'would run' : 'would change') : 'changed';
}

function hostLinks(hosts: string[], anchors: ReadonlyMap<string, string>): Markup[] {
  return hosts.map((h, i) => html`${i > 0 && ', '}<a href="#${anchors.get(h) ?? ''}">${h}</a>`);
}

function valuesTable(g: ChangeGroup, anchors: ReadonlyMap<string, string>): Markup | false {
  const hosts = g.hosts.filter((h) => g.values[h]);
  if (hosts.length === 0) return false;
  const placeholders = [...new Set(hosts.flatMap((h) => Object.keys(g.values[h]!)))];
  const rows = hosts.map((h) => html`<tr><td><a href="#${anchors.get(h) ?? ''}">${h}</a></td>${placeholders.map((p) => html`<td>${g.values[h]![p]}</td>`)}</tr>
`);
  return html`<details${hosts.length <= LISTED_HOSTS && ' open'}><summary>each host's own values (${hosts.length})</summary><table class="values"><thead><tr><th>host</th>${placeholders.map((p) => html`<th>${p}</th>`)}</tr></thead><tbody>${rows}</tbody></table></details>`;
}

function renderGroup(g: ChangeGroup, variant: boolean, anchors: ReadonlyMap<string, string>): Markup {
  const n = g.hosts.length;
  const count = hostsCount(n, variant);
  const cls = g.status === 'failed' ? (g.ignored ? 'ignored' : 'failed') : 'changed';
  const listed = n <= LISTED_HOSTS ? html`<span class="hosts">${hostLinks(g.hosts, anchors)}</span>` : false;
  return html`<details class="group ${cls}" open>
<summary><span class="badge ${cls}">${statusText(g)}</span>${g.handler && html`<span class="badge skipped">handler</span>`}${g.role && html`<span class="role">${g.role}:</span>`}<span class="gname">${g.task}</span><span class="count">${count}</span>${listed}</summary>
${!listed && html`<details><summary>the ${n} hosts</summary><p class="hosts">${hostLinks(g.hosts, anchors)}</p></details>`}${g.reason && html`<div class="why">${g.reason}</div>`}${g.error && html`<pre class="error">${g.error}</pre>`}
${g.changes.map(renderChange)}
${valuesTable(g, anchors)}
</details>
`;
}

/** The section, or nothing when no task changed or failed or the run had one host. */
export function renderGroups(groups: ChangeGroup[], anchors: ReadonlyMap<string, string>): Markup | false {
  // One host's changes are its own section already.
  if (groups.length === 0 || anchors.size < 2) return false;
  const seen = new Set<string>();
  const items = groups.map((g) => {
    const variant = seen.has(taskKey(g));
    seen.add(taskKey(g));
    return renderGroup(g, variant, anchors);
  });
  return html`<h2>Changes</h2>
<p class="sub">Each distinct change once, with the hosts that share it. A host's own values (its name, hostname, address, its own variables) are shown as placeholders such as {hostname}; each host's exact diff is in its section below.</p>
${items}`;
}
