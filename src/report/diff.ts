// Unified diffs of planned file changes, coloured for a terminal. Secret, binary and oversized
// contents are announced, never shown.
import { createTwoFilesPatch } from 'diff';
import type pc from 'picocolors';
type Colors = ReturnType<typeof pc.createColors>;
import type { Change, FileDiff } from '../ops/operation.js';

export function renderDiff(d: FileDiff, c: Colors): string {
  const lines: string[] = [];
  for (const a of d.attrs ?? []) lines.push(c.cyan(`    ${d.path}: ${a}`));
  if (d.masked) {
    lines.push(c.yellow(`    ${d.path}: content changed (${d.masked === 'secret' ? 'secret: not shown' : d.masked})`));
    return lines.join('\n');
  }
  if (d.after === null) return lines.join('\n');
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
    if (l.startsWith('+++') || l.startsWith('---')) lines.push(c.bold(`    ${l}`));
    else if (l.startsWith('+')) lines.push(c.green(`    ${l}`));
    else if (l.startsWith('-')) lines.push(c.red(`    ${l}`));
    else if (l.startsWith('@@')) lines.push(c.cyan(`    ${l}`));
    else lines.push(`    ${l}`);
  }
  return lines.join('\n');
}

/** A change as the operator reads it: the diff of a write, or the exact command of a run. */
export function renderChange(ch: Change, c: Colors): string {
  if (ch.kind === 'write') return ch.diff ? renderDiff(ch.diff, c) : c.dim(`    ${ch.description}`);
  return ch.command
    .split('\n')
    .map((l, i) => c.magenta(`    ${i === 0 ? '$ ' : '  '}${l}`))
    .join('\n');
}
