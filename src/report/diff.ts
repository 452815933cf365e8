// Unified diffs of planned file changes, as typed lines (for the terminal's colours and the HTML
// report's classes alike). Secret, binary and oversized contents are announced, never shown.
import { createTwoFilesPatch } from 'diff';
import type pc from 'picocolors';
type Colors = ReturnType<typeof pc.createColors>;
import type { Change, FileDiff } from '../core/change.js';

export type DiffLineKind = 'attr' | 'masked' | 'file' | 'hunk' | 'add' | 'del' | 'context' | 'note';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
}

/** The lines an operator reads for one file: attribute changes, then the unified diff (or why not shown). */
export function diffLines(d: FileDiff): DiffLine[] {
  const lines: DiffLine[] = (d.attrs ?? []).map((a) => ({ kind: 'attr', text: `${d.path}: ${a}` }));
  if (d.masked) {
    lines.push({ kind: 'masked', text: `${d.path}: content changed (${d.masked === 'secret' ? 'secret: not shown' : d.masked}${hashes(d)})` });
    return lines;
  }
  if (d.after === null) return lines;
  const patch = createTwoFilesPatch(
    d.before === null ? '/dev/null' : `${d.path} (host)`,
    `${d.path} (planned)`,
    d.before ?? '',
    d.after,
    undefined,
    undefined,
    { context: 3 },
  );
  for (const l of patch.split('\n')) {
    // Drop the "Index:"/"===" preamble; keep ---/+++ and hunks.
    if (l === '' || l.startsWith('Index:') || l.startsWith('====')) continue;
    if (l.startsWith('+++') || l.startsWith('---')) lines.push({ kind: 'file', text: l });
    else if (l.startsWith('+')) lines.push({ kind: 'add', text: l });
    else if (l.startsWith('-')) lines.push({ kind: 'del', text: l });
    else if (l.startsWith('@@')) lines.push({ kind: 'hunk', text: l });
    else if (l.startsWith('\\')) lines.push({ kind: 'note', text: l });
    else lines.push({ kind: 'context', text: l });
  }
  return lines;
}

/** A binary or large file's hashes, ", sha256 <host> → <planned>" (the planned one alone for a new file). */
function hashes(d: FileDiff): string {
  if (!d.sha256 || d.masked === 'secret') return '';
  return `, sha256 ${d.sha256.before ? `${d.sha256.before} → ` : ''}${d.sha256.after}`;
}

export function renderDiff(d: FileDiff, c: Colors): string {
  const paint: Record<DiffLineKind, (s: string) => string> = {
    attr: c.cyan,
    masked: c.yellow,
    file: c.bold,
    hunk: c.cyan,
    add: c.green,
    del: c.red,
    context: (s) => s,
    note: (s) => s,
  };
  return diffLines(d)
    .map((l) => paint[l.kind](`    ${l.text}`))
    .join('\n');
}

/** What the reports read of a change (a write's content and place are not shown). */
export type ShownChange =
  | { kind: 'write'; description: string; diff?: FileDiff }
  | { kind: 'run'; description: string; command: string; diff?: FileDiff };

/** A change as the operator reads it: the diff of a write, or the exact command of a run. */
export function renderChange(ch: ShownChange | Change, c: Colors): string {
  if (ch.kind === 'write') return ch.diff ? renderDiff(ch.diff, c) : c.dim(`    ${ch.description}`);
  // A command that rewrites content (crontab -u x -) shows that content's diff, not the content as a command line.
  if (ch.diff) return `${renderDiff(ch.diff, c)}\n${c.dim(`    ${ch.description}`)}`;
  return ch.command
    .split('\n')
    .map((l, i) => c.magenta(`    ${i === 0 ? '$ ' : '  '}${l}`))
    .join('\n');
}
