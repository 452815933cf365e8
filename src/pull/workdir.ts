// The pull's working directory (-d, default /var/lib/fleetplan/pull): private to the user running the
// pull (the bundles in it become plans run as root), one lock so that two pulls never overlap, and
// the record of the last bundle applied, for --only-if-changed.
//
//   <dir>/pull.lock            the running pull's pid (created exclusively; a dead pid's lock is taken over)
//   <dir>/bundles/<sha256>/    the unpacked tarball being applied (the newest two are kept)
//   <dir>/git/                 the clone (git sources)
//   <dir>/inventory.yml        the generated one-host inventory
//   <dir>/last-applied.json    { source, digest, exitCode, at } of the last run that applied a bundle
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../core/write-atomic.js';
import { processAlive } from '../core/process-alive.js';
import { localFailure } from './errors.js';

export const DEFAULT_PULL_DIR = '/var/lib/fleetplan/pull';

/** Creates `dir` (0700) when missing; refuses one that is not ours alone or is reached through a symlink. */
export function privateDirectory(dir: string): string {
  const abs = path.resolve(dir);
  mkdirSync(abs, { recursive: true, mode: 0o700 });
  const st = lstatSync(abs);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw localFailure(`${abs} must be a directory of this user's, mode 0700 (it is ${st.isSymbolicLink() ? 'a symlink' : `mode ${(st.mode & 0o777).toString(8)}, uid ${st.uid}`}): a bundle unpacked there is run as this user`);
  }
  return abs;
}

/** Takes the pull lock; throws when another live pull holds it. Returns its release. */
export function takeLock(dir: string): () => void {
  const file = path.join(dir, 'pull.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw localFailure(`cannot create ${file}: ${(err as Error).message}`, err);
    }
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (processAlive(pid)) throw localFailure(`another pull (pid ${pid}) holds ${file}: this one does nothing`);
    unlinkSync(file); // its holder died: take it over
  }
  throw localFailure(`cannot take ${file}: another pull took it at the same time`);
}

export interface LastApplied {
  source: string;
  digest: string;
  exitCode: number;
  at: string;
}

const lastFile = (dir: string) => path.join(dir, 'last-applied.json');

export function lastApplied(dir: string): LastApplied | undefined {
  try {
    const v = JSON.parse(readFileSync(lastFile(dir), 'utf8')) as LastApplied;
    return typeof v.digest === 'string' && typeof v.exitCode === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

export function recordApplied(dir: string, entry: LastApplied): void {
  writeAtomic(lastFile(dir), `${JSON.stringify(entry, null, 2)}\n`, 0o600);
}

/** Removes unpacked bundles but the `keep` newest (by mtime), and unfinished unpacks. */
export function pruneBundles(bundles: string, keep: string[]): void {
  if (!existsSync(bundles)) return;
  const names = readdirSync(bundles);
  for (const name of names.filter((n) => n.startsWith('.unpack-'))) rmSync(path.join(bundles, name), { recursive: true, force: true });
  const done = names.filter((n) => !n.startsWith('.') && !keep.includes(n));
  done.sort((a, b) => statSync(path.join(bundles, b)).mtimeMs - statSync(path.join(bundles, a)).mtimeMs);
  for (const name of done.slice(1)) rmSync(path.join(bundles, name), { recursive: true, force: true });
}
