// The run report page: a header (plan, mode, when, how long, version, command line), the fleet at a
// glance (one row per host, problems first), then per host every task that changed or failed with
// its commands and diffs, and the unchanged tasks folded away. Hosts with nothing changed start
// collapsed, so 200 hosts × 30 tasks stay readable. Everything from the run is escaped (html``).
import type { HostStats, TaskResult } from '../engine/events.js';
import { formatPos } from '../core/errors.js';
import { renderChange } from './html-change.js';
import { renderGroups } from './html-groups.js';
import { groupRecord, type ValuesOf } from './group.js';
import { formatDuration } from './duration.js';
import { statusWord } from './host-block.js';
import { countsText } from './recap.js';
import { CONTENT_SECURITY_POLICY, SCRIPT, STYLE } from './html-assets.js';
import { html, trusted, type Markup } from './html-template.js';
import type { HostRecord, RunRecord } from './run-record.js';

export interface ReportMeta {
  /** The plan file as given on the command line. */
  plan: string;
  /** The command line, secrets already redacted. */
  commandLine: string;
  version: string;
  writtenAt: Date;
  /** Why the run stopped before its end (invalid input, internal error); absent for a finished run. */
  stopped?: string;
  /** A host's own values for the "Changes" section (default: its name and facts). */
  valuesOf?: ValuesOf;
}

type HostStatus = 'failed' | 'unreachable' | 'changed' | 'unfinished' | 'ok';
/** Problems first in the table and the host list. */
const SEVERITY: HostStatus[] = ['failed', 'unreachable', 'changed', 'unfinished', 'ok'];

interface HostView {
  record: HostRecord;
  /** Position in the page, for anchors (host names may hold any character). */
  anchor: string;
  status: HostStatus;
  counts: Omit<HostStats, 'execs'>;
}

function hostStatus(h: HostRecord, c: HostView['counts']): HostStatus {
  if (h.unreachable) return 'unreachable';
  if (c.failed > 0 || h.error) return 'failed';
  if (!h.stats) return 'unfinished';
  return c.changed > 0 ? 'changed' : 'ok';
}

/** A host's counts: the engine's once it finished, else what its task results say so far. */
function hostCounts(h: HostRecord): HostView['counts'] {
  if (h.stats) return h.stats;
  const n = (f: (t: TaskResult) => boolean) => h.tasks.filter(f).length;
  return {
    ok: n((t) => t.status === 'ok' || (t.status === 'failed' && Boolean(t.ignored))),
    changed: n((t) => t.status === 'changed'),
    failed: n((t) => t.status === 'failed' && !t.ignored),
    skipped: n((t) => t.status === 'skipped'),
    unreachable: h.unreachable,
    ms: 0,
  };
}

function statusLabel(s: HostStatus, check: boolean): string {
  if (s === 'changed') return check ? 'would change' : 'changed';
  return s === 'unfinished' ? 'not finished' : s;
}

function taskClass(t: TaskResult): string {
  return t.status === 'failed' && t.ignored ? 'ignored' : t.status;
}

function timestamp(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function osOf(h: HostRecord): string {
  const f = h.facts;
  return f ? `${f.distribution} ${f.distribution_version} (${f.init})` : '';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function renderTask(t: TaskResult): Markup {
  return html`<div class="task ${taskClass(t)}">
<div class="task-head"><span class="badge ${taskClass(t)}">${statusWord(t)}</span>${t.handler && html`<span class="badge skipped">handler</span>`}${t.role && html`<span class="role">${t.role}:</span>`}<span class="tname">${t.task}</span><span class="op">${t.op}</span><span class="ms">${formatDuration(t.ms)}</span>${t.dependsOn && html`<span class="badge skipped" title="its effects cannot be simulated in a dry run">depends on '${t.dependsOn}'</span>`}</div>
${t.reason && html`<div class="why">${t.reason}</div>`}${t.error && html`<pre class="error">${t.error}</pre>`}${t.status === 'failed' && t.pos && html`<div class="pos">at ${formatPos(t.pos)}</div>`}
${t.changes.map(renderChange)}
</div>`;
}

function renderQuietTasks(tasks: TaskResult[]): Markup | false {
  if (tasks.length === 0) return false;
  const rows = tasks.map(
    (t) =>
      html`<tr><td><span class="badge ${taskClass(t)}">${statusWord(t)}</span></td><td>${t.handler ? 'handler ' : ''}${t.role ? `${t.role}: ` : ''}${t.task}</td><td class="why">${t.reason}</td></tr>`,
  );
  return html`<details class="quiet"><summary>${plural(tasks.length, 'unchanged task')}</summary><table class="quiet"><tbody>${rows}</tbody></table></details>`;
}

function renderHost(v: HostView, check: boolean): Markup {
  const h = v.record;
  const shown = h.tasks.filter((t) => t.status === 'changed' || t.status === 'failed');
  const quiet = h.tasks.filter((t) => t.status === 'ok' || t.status === 'skipped');
  // Collapsed when there is nothing to read: no change, no failure, no note.
  const open = v.status !== 'ok' || h.notes.length > 0;
  return html`<details class="host ${v.status}" id="${v.anchor}" data-status="${v.status}"${open && trusted(' open')}>
<summary><span class="name">${h.name}</span><span class="badge ${v.status}">${statusLabel(v.status, check)}</span><span class="counts mono">${countsText(v.counts)}</span><span class="os">${osOf(h)}</span><span class="os">${h.stats ? formatDuration(h.stats.ms) : ''}</span></summary>
<div class="host-body">
${h.error && html`<pre class="error">${h.error}</pre>`}${h.notes.map((n) => html`<div class="note">note: ${n}</div>`)}
${shown.map(renderTask)}
${shown.length === 0 && h.tasks.length > 0 && html`<div class="why">Nothing ${check ? 'would change' : 'changed'} on this host.</div>`}
${renderQuietTasks(quiet)}
</div>
</details>
`;
}

function numCell(n: number): Markup {
  return html`<td class="num${n === 0 ? ' zero' : ''}">${n}</td>`;
}

function renderFleetTable(views: HostView[], check: boolean): Markup {
  const rows = views.map((v) => {
    const c = v.counts;
    return html`<tr data-status="${v.status}"><td><a href="#${v.anchor}">${v.record.name}</a></td><td><span class="badge ${v.status}">${statusLabel(v.status, check)}</span></td>${numCell(c.ok)}${numCell(c.changed)}${numCell(c.failed)}${numCell(c.skipped)}${numCell(c.unreachable ? 1 : 0)}<td class="num">${v.record.stats ? formatDuration(c.ms) : ''}</td><td>${osOf(v.record)}</td></tr>
`;
  });
  return html`<table class="fleet">
<thead><tr><th>host</th><th>status</th><th class="num">ok</th><th class="num">${check ? 'would change' : 'changed'}</th><th class="num">failed</th><th class="num">skipped</th><th class="num">unreachable</th><th class="num">duration</th><th>system</th></tr></thead>
<tbody>
${rows}</tbody>
</table>`;
}

/** One line on the whole run, in the terms of the exit code. */
function verdict(views: HostView[], record: RunRecord, stopped: string | undefined): { cls: string; text: string } {
  const n = (s: HostStatus) => views.filter((v) => v.status === s).length;
  const total = plural(views.length, 'host');
  if (stopped && !record.startedAt) return { cls: 'stopped', text: 'The run did not start.' };
  if (stopped) return { cls: 'stopped', text: 'The run did not finish: below is what was recorded before it stopped.' };
  const parts = [
    n('failed') && `${n('failed')} failed`,
    n('unreachable') && `${n('unreachable')} unreachable`,
    n('changed') && `${n('changed')} ${record.check ? 'would change' : 'changed'}`,
    n('ok') && `${n('ok')} unchanged`,
  ].filter(Boolean);
  const cls = n('failed') ? 'failed' : n('unreachable') ? 'unreachable' : n('changed') ? 'changed' : 'ok';
  const tail = record.check ? ' Dry run: nothing was changed.' : '';
  return { cls, text: `${total}: ${parts.join(', ') || 'nothing to do'}.${tail}` };
}

export function renderReport(record: RunRecord, meta: ReportMeta): string {
  const views: HostView[] = [...record.hosts.values()]
    .map((h, i) => {
      const counts = hostCounts(h);
      return { record: h, anchor: `host-${i + 1}`, counts, status: hostStatus(h, counts) };
    })
    // Array.prototype.sort is stable: inventory order within a status.
    .sort((a, b) => SEVERITY.indexOf(a.status) - SEVERITY.indexOf(b.status));
  const mode = record.check
    ? 'dry run (--check): nothing was changed'
    : record.startedAt
      ? 'apply: hosts were changed where the tasks say so'
      : 'apply: the run did not start, nothing was changed';
  const title = `fleetplan ${record.check ? 'dry run' : 'run'}: ${meta.plan}`;
  const v = verdict(views, record, meta.stopped);
  const byStatus = SEVERITY.map((s) => [s, views.filter((x) => x.status === s).length] as const).filter(([, n]) => n > 0);
  const started = record.startedAt ?? meta.writtenAt;
  const ms = record.summary?.ms ?? meta.writtenAt.getTime() - started.getTime();
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="fleetplan ${meta.version}">
<title>${title}</title>
<style>${trusted(STYLE)}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<p class="sub">${record.plays.join(', ')}</p>
<div class="banner ${v.cls}">${v.text}${meta.stopped && html`<pre>${meta.stopped}</pre>`}</div>
<dl class="meta">
<dt>plan</dt><dd class="mono">${meta.plan}</dd>
<dt>mode</dt><dd>${mode}</dd>
<dt>started</dt><dd>${timestamp(started)}</dd>
<dt>duration</dt><dd>${formatDuration(ms)}</dd>
<dt>hosts</dt><dd>${views.length}</dd>
<dt>fleetplan</dt><dd>${meta.version}</dd>
<dt>command</dt><dd class="mono">${meta.commandLine}</dd>
</dl>
</header>
<main>
<h2>Fleet</h2>
<div class="controls"><span>show:</span><button type="button" data-filter="all" aria-pressed="true">all ${views.length}</button>${byStatus.map(
    ([s, n]) => html`<button type="button" data-filter="${s}" aria-pressed="false">${statusLabel(s, record.check)} ${n}</button>`,
  )}<span class="gap"></span><button type="button" data-expand="all">expand all</button><button type="button" data-expand="none">collapse all</button></div>
${renderFleetTable(views, record.check)}
${renderGroups(groupRecord(record.hosts.values(), meta.valuesOf), new Map(views.map((x) => [x.record.name, x.anchor])))}
<h2>Hosts</h2>
${views.map((x) => renderHost(x, record.check))}
</main>
<footer>Written by fleetplan ${meta.version} at ${timestamp(meta.writtenAt)}. Secret values are shown as [redacted]; secret file contents are not shown.</footer>
<script>${trusted(SCRIPT)}</script>
</body>
</html>
`.text;
}
