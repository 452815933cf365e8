// Writing a scaffold: every target is checked before the first byte is written, so a refusal (an
// existing file without --force, a directory where a file should go) leaves the disk untouched.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../core/errors.js';

/** One file of a scaffold. */
export interface ScaffoldFile {
  /** Relative to the scaffold directory, `/`-separated. */
  path: string;
  content: string;
}

const isDir = (p: string) => statSync(p).isDirectory(); // follows symlinks: a linked directory is fine

/** The first existing path on the way from `dir` to `rel`'s parent that is not a directory, if any. */
function blockingParent(dir: string, rel: string): string | undefined {
  const parts = rel.split('/').slice(0, -1);
  for (let i = 0; i <= parts.length; i++) {
    const p = path.join(dir, ...parts.slice(0, i));
    if (existsSync(p) && !isDir(p)) return p;
  }
  return undefined;
}

/**
 * Throws unless every file can be written under `dir`: none exists (or `force`), and nothing in the
 * way is a file where a directory must be. Lists every problem at once.
 */
export function checkScaffoldTargets(dir: string, files: readonly string[], opts: { force: boolean }): void {
  const problems = new Set<string>();
  for (const rel of files) {
    const target = path.join(dir, ...rel.split('/'));
    const blocker = blockingParent(dir, rel);
    if (blocker) problems.add(`${blocker} exists and is not a directory`);
    else if (existsSync(target) && isDir(target)) problems.add(`${target} is a directory`);
    else if (existsSync(target) && !opts.force) problems.add(`${target} exists`);
  }
  if (problems.size) {
    const onlyExisting = [...problems].every((p) => p.endsWith(' exists'));
    throw new InputError(`${[...problems].join('; ')}: nothing written${onlyExisting ? ' (--force overwrites)' : ''}`);
  }
}

/** Write `files` under `dir` (created as needed) after checkScaffoldTargets; returns the paths written. */
export function writeScaffold(dir: string, files: ScaffoldFile[], opts: { force: boolean }): string[] {
  checkScaffoldTargets(dir, files.map((f) => f.path), opts);
  const written: string[] = [];
  for (const f of files) {
    const target = path.join(dir, ...f.path.split('/'));
    mkdirSync(path.dirname(target), { recursive: true });
    // 'wx' without --force: a file that appeared since the check is still never overwritten.
    writeFileSync(target, f.content, { flag: opts.force ? 'w' : 'wx', mode: 0o644 });
    written.push(target);
  }
  return written;
}
