// centos6 / centos7 personalities: CentOS identity, real rpm + dnf (yum = dnf alias) over a local
// repository of CentOS-named RPMs built from Debian's files or placeholders, chkconfig with real
// /etc/rc.d/rcN.d links, RedHat's `service`, CentOS-style init scripts/units running Debian's
// daemons, and a sendmail stand-in that holds port 25. centos6 boots 'plain' and runs runlevel 3's
// S* scripts (sendmail is on); centos7 boots systemd (postfix enabled). Everything OS-specific is
// in centos/ (build-layer.sh, mkrepo.py, files/); see test/fleet/README.md for what is emulated.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PersonalityDef } from '../personality.js';
import { CACHE_DIR, hostMirror } from '../rootfs.js';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist/test/fleet/personalities/; the assets stay in the source tree.
const ASSETS = [join(here, 'centos'), resolve(here, '../../../../test/fleet/personalities/centos')]
  .find((d) => existsSync(join(d, 'build-layer.sh')))!;

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== '__pycache__') out.push(...listFiles(p)); } else out.push(p);
  }
  return out.sort();
}

/** Hash of the recipe (every asset: path, mode, content), the EL version and the base rootfs path. */
export function centosLayerHash(el: 6 | 7, baseRootfs: string): string {
  const h = createHash('sha256').update(`el${el}\0${baseRootfs}\0`);
  for (const f of listFiles(ASSETS)) h.update(relative(ASSETS, f)).update(String(statSync(f).mode)).update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

function run(cmd: string, args: string[], logFd: number, env: Record<string, string>): Promise<void> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { stdio: ['ignore', logFd, logFd], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', ...env } });
    p.on('error', rej);
    p.on('exit', (code, sig) => (code === 0 ? res() : rej(new Error(`${cmd} exited with ${code ?? sig}`))));
  });
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** Build (once) the layer: <cache>/layer-centos<el>-<hash>, renamed into place atomically. */
async function centosLayer(el: 6 | 7, baseRootfs: string, log: (m: string) => void): Promise<string> {
  const hash = centosLayerHash(el, baseRootfs);
  const final = join(CACHE_DIR, `layer-centos${el}-${hash}`);
  if (existsSync(final)) return final; // only ever created by the rename below
  mkdirSync(CACHE_DIR, { recursive: true });
  // Leftovers of builders that died mid-way (pid in the name): unmount, then delete.
  for (const e of readdirSync(CACHE_DIR)) {
    const m = /^\.build-layer-centos\d-[0-9a-f]+-(\d+)$/.exec(e);
    if (!m || alive(Number(m[1]))) continue;
    const mnt = join(CACHE_DIR, e, 'mnt');
    await run('sh', ['-c', 'umount -l "$1/proc" 2>/dev/null; umount -l "$1" 2>/dev/null; true', 'sh', mnt], openSync('/dev/null', 'w'), {});
    rmSync(join(CACHE_DIR, e), { recursive: true, force: true });
  }
  const tmp = join(CACHE_DIR, `.build-layer-centos${el}-${hash}-${process.pid}`);
  const logPath = join(CACHE_DIR, `build-layer-centos${el}-${hash}.log`);
  rmSync(tmp, { recursive: true, force: true });
  const logFd = openSync(logPath, 'a');
  log(`building centos${el} layer ${final} (log: ${logPath})`);
  const t0 = Date.now();
  try {
    await run('bash', [join(ASSETS, 'build-layer.sh')], logFd, {
      BASE: baseRootfs, LAYER: join(tmp, 'layer'), WORKDIR: join(tmp, 'work'), MNT: join(tmp, 'mnt'),
      ASSETS, EL: String(el), MIRROR: hostMirror(),
    });
    try {
      renameSync(join(tmp, 'layer'), final);
    } catch (e) {
      if (!existsSync(final)) throw e; // else another builder won the race
    }
    log(`centos${el} layer built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return final;
  } catch (e) {
    throw new Error(`centos${el} layer build failed: ${(e as Error).message}; see ${logPath}`);
  } finally {
    closeSync(logFd);
    rmSync(tmp, { recursive: true, force: true }); // build-layer.sh has unmounted (EXIT trap)
  }
}

export const centos6: PersonalityDef = {
  name: 'centos6', prefix: 'c6', boot: 'plain',
  layer: (base, log) => centosLayer(6, base, log),
  // CentOS 6 keeps the host name in /etc/sysconfig/network (written by the installer).
  prepare: async (root, hostName) => {
    writeFileSync(join(root, 'etc/sysconfig/network'), `NETWORKING=yes\nHOSTNAME=${hostName}.fleet.test\n`);
  },
};

export const centos7: PersonalityDef = {
  name: 'centos7', prefix: 'c7', boot: 'systemd',
  layer: (base, log) => centosLayer(7, base, log),
};

// `node dist/test/fleet/personalities/centos.js` builds/reuses both layers and prints their paths.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { ensureRootfs } = await import('../rootfs.js');
  const base = await ensureRootfs();
  for (const el of [6, 7] as const) console.log(await centosLayer(el, base, (m) => console.error(`[centos] ${m}`)));
}
