// freebsd personality: FreeBSD 14.1 userland conventions on the Debian base (no FreeBSD kernel):
// uname/freebsd-version/os-release, rc.conf + sysrc, rc.subr-style rc.d scripts driven by
// service(8), pkg with its own database and a local catalogue, a ports tree stub, pw(8), base
// sendmail stand-in. Everything FreeBSD-specific lives in freebsd/ (build.sh + files); see
// test/fleet/README.md for what is and is not emulated.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PersonalityDef } from '../personality.js';
import { CACHE_DIR, hostMirror } from '../rootfs.js';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist/test/fleet/personalities/; the assets stay in the source tree.
const ASSETS = [join(here, 'freebsd'), resolve(here, '../../../../test/fleet/personalities/freebsd')]
  .find((d) => existsSync(join(d, 'build.sh')))!;

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p)); else out.push(p);
  }
  return out.sort();
}

/** Hash of every asset (path, mode, content) + the base rootfs it is built on. */
export function layerHash(baseRootfs: string): string {
  const h = createHash('sha256').update(baseRootfs);
  for (const f of listFiles(ASSETS)) h.update(relative(ASSETS, f)).update(String(statSync(f).mode)).update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

function run(cmd: string, args: string[], logFd: number): Promise<void> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { stdio: ['ignore', logFd, logFd], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
    p.on('error', rej);
    p.on('exit', (code, sig) => (code === 0 ? res() : rej(new Error(`${cmd} exited with ${code ?? sig}`))));
  });
}

async function layer(baseRootfs: string, log: (m: string) => void): Promise<string> {
  const hash = layerHash(baseRootfs);
  const final = join(CACHE_DIR, `layer-freebsd-${hash}`);
  if (existsSync(join(final, '.fleetplan-layer-complete'))) return final;
  const tmp = join(CACHE_DIR, `.build-layer-freebsd-${hash}-${process.pid}`);
  const logPath = join(CACHE_DIR, `build-layer-freebsd-${hash}.log`);
  rmSync(tmp, { recursive: true, force: true });
  for (const d of ['upper', 'work', 'merged']) mkdirSync(join(tmp, d), { recursive: true });
  const logFd = openSync(logPath, 'a');
  const merged = join(tmp, 'merged');
  log(`building freebsd layer ${final} (log: ${logPath})`);
  const t0 = Date.now();
  let mounted = false;
  try {
    await run('mount', ['-t', 'overlay', 'overlay', '-o',
      `lowerdir=${baseRootfs},upperdir=${join(tmp, 'upper')},workdir=${join(tmp, 'work')}`, merged], logFd);
    mounted = true;
    await run('bash', [join(ASSETS, 'build.sh'), merged, ASSETS, hostMirror()], logFd);
    await run('umount', [merged], logFd);
    mounted = false;
    // The base's completion marker must not be mistaken for the layer's own.
    writeFileSync(join(tmp, 'upper', '.fleetplan-layer-complete'), `${hash}\n`);
    try {
      renameSync(join(tmp, 'upper'), final);
    } catch {
      if (!existsSync(join(final, '.fleetplan-layer-complete'))) throw new Error(`cannot move layer into ${final}`);
    }
    rmSync(tmp, { recursive: true, force: true });
    log(`freebsd layer built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return final;
  } catch (e) {
    if (mounted) await run('umount', ['-l', merged], logFd).catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`freebsd layer build failed: ${(e as Error).message}; see ${logPath}`);
  } finally {
    closeSync(logFd);
  }
}

async function prepare(root: string, hostName: string): Promise<void> {
  // bsdinstall writes the host name into rc.conf.
  const rc = join(root, 'etc/rc.conf');
  writeFileSync(rc, readFileSync(rc, 'utf8').replace(/^hostname=.*$/m, `hostname="${hostName}"`));
}

export const freebsd: PersonalityDef = { name: 'freebsd', prefix: 'freebsd', boot: 'plain', layer, prepare };
