// Replacing a file so that a reader sees the old content or the new, never half of it: a temporary
// file beside it (same filesystem) with the final mode, fsync, rename. Used for vault files and reports;
// a large one (a 1000-host run record) may come in parts, never held as one string.
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Replace `file` atomically. Its mode is `mode` if given, else the existing file's, else
 * `newFileMode` (0600 by default: vault files are secrets).
 */
export function writeAtomic(file: string, data: string | Iterable<string>, mode?: number, newFileMode = 0o600): void {
  const finalMode = mode ?? (existsSync(file) ? statSync(file).mode & 0o7777 : newFileMode);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.fleetplan-${process.pid}-${Date.now()}`);
  const fd = openSync(tmp, 'wx', finalMode);
  try {
    try {
      if (typeof data === 'string') writeSync(fd, data);
      else for (const part of data) writeSync(fd, part);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, finalMode); // the umask may have narrowed it
    renameSync(tmp, file);
  } catch (err) {
    // Never leave the half-written temporary file behind (disk full, target is a directory).
    try {
      unlinkSync(tmp);
    } catch {
      /* already renamed or gone */
    }
    throw err;
  }
}
