// Files fetch writes on the controller, as safely as the executor writes on a host: below the directory
// the operator named (followed as written), every directory fleetplan adds (`<host>/<path on the host>`)
// is created or entered only if it is a real directory, never a symbolic link someone planted there; the
// file is written to a fresh exclusive temporary name (mode 0600) and renamed over the final name, so a
// link at the final name is replaced, never followed.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** A controller file as fetch compares it: its bytes, unless the name is missing or not a regular file. */
export function readControllerFile(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    return fstatSync(fd).isFile() ? readFileSync(fd) : undefined;
  } finally {
    closeSync(fd);
  }
}

/** Creates `root` (as the operator wrote it) and then each of `dirs` below it, refusing any that is not a real directory. */
function enter(root: string, dirs: string[]): string {
  mkdirSync(root, { recursive: true });
  let dir = realpathSync(root);
  for (const d of dirs) {
    const next = path.join(dir, d);
    try {
      const st = lstatSync(next);
      if (st.isSymbolicLink()) throw new Error(`${next} is a symbolic link; refusing to follow it on the controller`);
      if (!st.isDirectory()) throw new Error(`${next} exists and is not a directory`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(next, { mode: 0o755 });
    }
    dir = next;
  }
  // Nothing on the way was swapped for a link since it was checked.
  if (realpathSync(dir) !== dir) throw new Error(`${dir} changed while it was created (a symbolic link swapped in?); nothing written`);
  return dir;
}

/** Writes `content` to `root/rel...` (rel: directories then the file name). */
export function writeControllerFile(root: string, rel: string[], content: Buffer): string {
  const dir = enter(root, rel.slice(0, -1));
  const final = path.join(dir, rel.at(-1)!);
  const tmp = path.join(dir, `.fleetplan-fetch-${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, final);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return final;
}
