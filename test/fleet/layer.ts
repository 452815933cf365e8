// A personality's image layer: built once into the cache outside the repo, keyed by a hash of its
// recipe (every asset file: path, mode, content) and of what it is built on, moved into place
// atomically, with a completion marker so a half-built layer is never used. Personalities supply
// only the build step.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CACHE_DIR } from './rootfs.js';

const MARKER = '.fleetplan-layer-complete';

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== '__pycache__') out.push(...listFiles(p));
    } else out.push(p);
  }
  return out.sort();
}

/** Hash of every asset (path, mode, content) and `salt` (the base rootfs, a version…). */
export function recipeHash(assets: string, salt: string): string {
  const h = createHash('sha256').update(`${salt}\0`);
  for (const f of listFiles(assets)) h.update(relative(assets, f)).update(String(statSync(f).mode)).update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

/** Runs a build command with its output in the build log; a non-zero exit rejects. */
export type RunInLog = (cmd: string, args: string[], env?: Record<string, string>) => Promise<void>;

function runner(logFd: number): RunInLog {
  return (cmd, args, env = {}) =>
    new Promise((res, rej) => {
      const p = spawn(cmd, args, { stdio: ['ignore', logFd, logFd], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', ...env } });
      p.on('error', rej);
      p.on('exit', (code, sig) => (code === 0 ? res() : rej(new Error(`${cmd} exited with ${code ?? sig}`))));
    });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export interface LayerSpec {
  /** "freebsd", "centos6": names the cache entry and the log. */
  name: string;
  assets: string;
  salt: string;
  log: (m: string) => void;
  /** Builds in `tmp` (a fresh directory) and returns the directory that becomes the layer. */
  build: (tmp: string, run: RunInLog) => Promise<string>;
}

export async function cachedLayer(spec: LayerSpec): Promise<string> {
  const hash = recipeHash(spec.assets, spec.salt);
  const final = join(CACHE_DIR, `layer-${spec.name}-${hash}`);
  if (existsSync(join(final, MARKER))) return final;
  mkdirSync(CACHE_DIR, { recursive: true });
  // Leftovers of builders that died mid-way (their pid is in the name): unmount what they mounted.
  const prefix = `.build-layer-${spec.name}-`;
  const cleanup = runner(openSync('/dev/null', 'w'));
  for (const e of readdirSync(CACHE_DIR)) {
    const pid = e.startsWith(prefix) ? Number(e.slice(e.lastIndexOf('-') + 1)) : NaN;
    if (!Number.isInteger(pid) || alive(pid)) continue;
    await cleanup('sh', ['-c', 'for m in $(grep -o " $1[^ ]*" /proc/self/mounts | sort -r); do umount -l "$m"; done; true', 'sh', join(CACHE_DIR, e)]);
    rmSync(join(CACHE_DIR, e), { recursive: true, force: true });
  }
  const tmp = join(CACHE_DIR, `${prefix}${hash}-${process.pid}`);
  const logPath = join(CACHE_DIR, `build-layer-${spec.name}-${hash}.log`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const logFd = openSync(logPath, 'a');
  spec.log(`building ${spec.name} layer ${final} (log: ${logPath})`);
  const t0 = Date.now();
  try {
    const dir = await spec.build(tmp, runner(logFd));
    writeFileSync(join(dir, MARKER), `${hash}\n`);
    // A directory there without the marker is a half-built or older-format layer, never a usable one.
    if (existsSync(final) && !existsSync(join(final, MARKER))) rmSync(final, { recursive: true, force: true });
    try {
      renameSync(dir, final);
    } catch (e) {
      if (!existsSync(join(final, MARKER))) throw e; // else another builder won the race
    }
    spec.log(`${spec.name} layer built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return final;
  } catch (e) {
    throw new Error(`${spec.name} layer build failed: ${(e as Error).message}; see ${logPath}`);
  } finally {
    closeSync(logFd);
    rmSync(tmp, { recursive: true, force: true });
  }
}
