// The report page's stylesheet and script, inlined into every report (a report is one file that
// must open anywhere, offline, attached to a ticket). The page's Content-Security-Policy allows
// exactly these two blocks by hash and nothing else: no network, no other script.
import { createHash } from 'node:crypto';

export const STYLE = `
:root {
  --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa;
  --ok: #1a7f37; --ok-bg: #dafbe1; --changed: #9a6700; --changed-bg: #fff8c5;
  --failed: #cf222e; --failed-bg: #ffebe9; --unreachable: #8250df; --unreachable-bg: #fbefff;
  --skipped: #656d76; --skipped-bg: #eaeef2;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; color: var(--fg); background: var(--bg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.banner { border: 1px solid; border-radius: 6px; padding: 10px 14px; margin: 0 0 16px; font-weight: 600; }
.banner.ok { color: var(--ok); background: var(--ok-bg); }
.banner.changed { color: var(--changed); background: var(--changed-bg); }
.banner.failed, .banner.stopped { color: var(--failed); background: var(--failed-bg); }
.banner.unreachable { color: var(--unreachable); background: var(--unreachable-bg); }
.banner pre { margin: 6px 0 0; font-weight: 400; white-space: pre-wrap; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 0 0 8px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.controls { display: none; gap: 6px; flex-wrap: wrap; align-items: center; margin: 0 0 10px; }
.js .controls { display: flex; }
.controls button { font: inherit; border: 1px solid var(--line); background: var(--panel); border-radius: 14px;
  padding: 2px 12px; cursor: pointer; }
.controls button[aria-pressed="true"] { background: var(--fg); color: var(--bg); border-color: var(--fg); }
.controls .gap { flex: 1; }
table.fleet { border-collapse: collapse; width: 100%; }
table.fleet th, table.fleet td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; white-space: nowrap; }
table.fleet th { background: var(--panel); position: sticky; top: 0; font-weight: 600; }
table.fleet td.num, table.fleet th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.fleet td.zero { color: #afb8c1; }
table.fleet tbody tr:hover { background: var(--panel); }
a { color: #0969da; text-decoration: none; }
a:hover { text-decoration: underline; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.badge.ok { color: var(--ok); background: var(--ok-bg); }
.badge.changed { color: var(--changed); background: var(--changed-bg); }
.badge.failed { color: var(--failed); background: var(--failed-bg); }
.badge.unreachable { color: var(--unreachable); background: var(--unreachable-bg); }
.badge.skipped, .badge.unfinished, .badge.ignored { color: var(--skipped); background: var(--skipped-bg); }
details.host { border: 1px solid var(--line); border-left-width: 4px; border-radius: 6px; margin: 0 0 10px; background: var(--bg); }
details.host.ok { border-left-color: var(--ok); }
details.host.changed { border-left-color: #d4a72c; }
details.host.failed { border-left-color: var(--failed); }
details.host.unreachable { border-left-color: var(--unreachable); }
details.host.unfinished { border-left-color: var(--skipped); }
details.host > summary { padding: 8px 12px; cursor: pointer; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
details.host > summary .name { font-weight: 600; font-size: 15px; }
details.host > summary .counts, details.host > summary .os { color: var(--muted); }
.host-body { padding: 0 12px 10px; }
pre.error { color: var(--failed); background: var(--failed-bg); border-radius: 6px; padding: 8px 10px; margin: 6px 0;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.note { color: var(--changed); margin: 4px 0; }
.task { border-top: 1px solid var(--line); padding: 8px 0 6px; }
.task-head { display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
.task-head .role { color: var(--muted); }
.task-head .tname { font-weight: 600; }
.task-head .op, .task-head .ms, .task .pos { color: var(--muted); font-size: 12px; }
.task .why { color: var(--muted); margin: 2px 0 0; }
.task.ignored pre.error { color: var(--muted); background: var(--panel); }
.change { margin: 6px 0 0; }
.cmd { background: #f3f0ff; color: #512a97; border-radius: 6px; padding: 6px 10px; margin: 0;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.desc { color: var(--muted); }
.diff { border: 1px solid var(--line); border-radius: 6px; overflow-x: auto; font-family: var(--mono); font-size: 12.5px; }
.diff > div { display: inline-block; min-width: 100%; }
.diff .l { white-space: pre; padding: 0 10px; min-height: 1.45em; }
.diff .file { font-weight: 600; background: var(--panel); }
.diff .hunk { color: #0550ae; background: #ddf4ff; }
.diff .add { color: #116329; background: #dafbe1; }
.diff .del { color: #82071e; background: #ffebe9; }
.diff .attr { color: #0550ae; }
.diff .masked { color: var(--changed); background: var(--changed-bg); font-style: italic; }
.diff .note, .diff .context { color: var(--fg); }
details.quiet { margin: 8px 0 0; }
details.quiet > summary { cursor: pointer; color: var(--muted); }
table.quiet { border-collapse: collapse; margin: 4px 0 0 14px; }
table.quiet td { padding: 1px 10px 1px 0; vertical-align: baseline; }
table.quiet td.why { color: var(--muted); }
body[data-filter="ok"] [data-status]:not([data-status="ok"]),
body[data-filter="changed"] [data-status]:not([data-status="changed"]),
body[data-filter="failed"] [data-status]:not([data-status="failed"]),
body[data-filter="unreachable"] [data-status]:not([data-status="unreachable"]),
body[data-filter="unfinished"] [data-status]:not([data-status="unfinished"]) { display: none; }
details.group { border: 1px solid var(--line); border-left: 4px solid #d4a72c; border-radius: 6px; margin: 0 0 10px; padding: 0 12px 6px; }
details.group.failed { border-left-color: var(--failed); }
details.group > summary { padding: 8px 0; cursor: pointer; display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
details.group .count, details.group .gname { font-weight: 600; }
details.group .hosts { color: var(--muted); }
table.values { border-collapse: collapse; margin: 6px 0; }
table.values th, table.values td { border-bottom: 1px solid var(--line); padding: 2px 10px 2px 0; text-align: left; font-family: var(--mono); font-size: 12px; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; }
@media print { .controls { display: none !important; } body { padding: 0; } }
`;

// Filter by host status (also from the address: run.html#status=failed), expand or collapse every
// host. The page is complete without it; it only hides and opens what is already there.
export const SCRIPT = `
document.documentElement.classList.add('js');
function showStatus(f) {
  if (!document.querySelector('button[data-filter="' + f + '"]')) f = 'all';
  if (f === 'all') delete document.body.dataset.filter; else document.body.dataset.filter = f;
  document.querySelectorAll('button[data-filter]').forEach(function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-filter') === f)); });
  return f;
}
var wanted = /^#status=([a-z]+)$/.exec(location.hash);
if (wanted) showStatus(wanted[1]);
document.addEventListener('click', function (ev) {
  var t = ev.target.closest('button[data-filter], button[data-expand]');
  if (!t) return;
  if (t.hasAttribute('data-filter')) {
    var f = showStatus(t.getAttribute('data-filter'));
    history.replaceState(null, '', f === 'all' ? location.pathname + location.search : '#status=' + f);
  } else {
    var open = t.getAttribute('data-expand') === 'all';
    document.querySelectorAll('details.host').forEach(function (d) { d.open = open; });
  }
});
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** Nothing may load or connect; only the page's own style and script blocks may apply. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${sha256(STYLE)}`,
  `script-src ${sha256(SCRIPT)}`,
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
