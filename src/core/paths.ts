// Where things are on disk: the package root (for bundled roles), how files are named in messages,
// and where a task's controller-side files (templates/, files/) are found.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding package.json. This file compiles to dist/src/core/paths.js, so the root is
 * three levels up; walk up to a package.json anyway so running from source (ts loaders) also works.
 */
let rootOverride: string | undefined;

/** The single-file executable (src/cli/sea.ts) has no files beside it: it unpacks them and says where. */
export function setPackageRoot(dir: string): void {
  rootOverride = dir;
}

export function packageRoot(): string {
  if (rootOverride !== undefined) return rootOverride;
  const here = path.dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let i = 0; i < 5; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(here, '..', '..', '..');
}

export function bundledRolesDir(): string {
  return path.join(packageRoot(), 'roles');
}

/** Paths in messages are relative to the working directory when inside it: `plans/site.yml:12:5`. */
export function displayPath(file: string): string {
  const abs = path.resolve(file);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

/** Split a colon-separated path list (FLEETPLAN_ROLES_PATH), dropping empty entries. */
export function splitPathList(value: string | undefined): string[] {
  return (value ?? '').split(':').filter((p) => p !== '');
}

/**
 * The controller-side file a task's `src:` names. Role tasks look in the role's `templates/` or
 * `files/`; plan tasks look in `<plan dir>/templates|files/` and then in the plan directory itself.
 * Returns every candidate so that a "not found" message can list where it looked.
 */
export function controllerCandidates(
  task: { roleDir?: string; baseDir: string },
  kind: 'templates' | 'files',
  src: string,
): string[] {
  if (path.isAbsolute(src)) return [src];
  if (task.roleDir) return [path.join(task.roleDir, kind, src)];
  return [path.join(task.baseDir, kind, src), path.join(task.baseDir, src)];
}

/** The first existing candidate, else the first candidate (the caller reports it missing). */
export function controllerPath(task: { roleDir?: string; baseDir: string }, kind: 'templates' | 'files', src: string): string {
  const candidates = controllerCandidates(task, kind, src);
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

