// freebsd personality: FreeBSD 14.1 userland conventions on the Debian base (no FreeBSD kernel):
// uname/freebsd-version/os-release, rc.conf + sysrc, rc.subr-style rc.d scripts driven by
// service(8), pkg with its own database and a local catalogue, a ports tree stub, pw(8), base
// sendmail stand-in. Everything FreeBSD-specific lives in freebsd/ (build.sh + files); see
// test/fleet/README.md for what is and is not emulated.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PersonalityDef } from '../personality.js';
import { cachedLayer } from '../layer.js';
import { hostMirror } from '../rootfs.js';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist/test/fleet/personalities/; the assets stay in the source tree.
const ASSETS = [join(here, 'freebsd'), resolve(here, '../../../../test/fleet/personalities/freebsd')]
  .find((d) => existsSync(join(d, 'build.sh')))!;

/** The layer: build.sh run over an overlay of the base rootfs; the overlay's upper dir is the layer. */
function layer(baseRootfs: string, log: (m: string) => void): Promise<string> {
  return cachedLayer({
    name: 'freebsd',
    assets: ASSETS,
    salt: baseRootfs,
    log,
    async build(tmp, run) {
      for (const d of ['upper', 'work', 'merged']) mkdirSync(join(tmp, d), { recursive: true });
      const merged = join(tmp, 'merged');
      await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${baseRootfs},upperdir=${join(tmp, 'upper')},workdir=${join(tmp, 'work')}`, merged]);
      try {
        await run('bash', [join(ASSETS, 'build.sh'), merged, ASSETS, hostMirror()]);
      } finally {
        await run('umount', ['-l', merged]).catch(() => undefined);
      }
      return join(tmp, 'upper');
    },
  });
}

async function prepare(root: string, hostName: string): Promise<void> {
  // bsdinstall writes the host name into rc.conf.
  const rc = join(root, 'etc/rc.conf');
  writeFileSync(rc, readFileSync(rc, 'utf8').replace(/^hostname=.*$/m, `hostname="${hostName}"`));
}

export const freebsd: PersonalityDef = { name: 'freebsd', prefix: 'freebsd', boot: 'plain', layer, prepare };
