// centos6 / centos7 personalities: CentOS identity, real rpm + dnf (yum = dnf alias) over a local
// repository of CentOS-named RPMs built from Debian's files or placeholders, chkconfig with real
// /etc/rc.d/rcN.d links, RedHat's `service`, CentOS-style init scripts/units running Debian's
// daemons, and a sendmail stand-in that holds port 25. centos6 boots 'plain' and runs runlevel 3's
// S* scripts (sendmail is on); centos7 boots systemd (postfix enabled). Everything OS-specific is
// in centos/ (build-layer.sh, mkrepo.py, files/); see test/fleet/README.md for what is emulated.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PersonalityDef } from '../personality.js';
import { cachedLayer } from '../layer.js';
import { hostMirror } from '../rootfs.js';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist/test/fleet/personalities/; the assets stay in the source tree.
const ASSETS = [join(here, 'centos'), resolve(here, '../../../../test/fleet/personalities/centos')]
  .find((d) => existsSync(join(d, 'build-layer.sh')))!;

/** The layer for EL6 or EL7: build-layer.sh mounts its own overlay of the base and unmounts it (EXIT trap). */
function centosLayer(el: 6 | 7, baseRootfs: string, log: (m: string) => void): Promise<string> {
  return cachedLayer({
    name: `centos${el}`,
    assets: ASSETS,
    salt: `el${el}\0${baseRootfs}`,
    log,
    async build(tmp, run) {
      const layer = join(tmp, 'layer');
      await run('bash', [join(ASSETS, 'build-layer.sh')], {
        BASE: baseRootfs, LAYER: layer, WORKDIR: join(tmp, 'work'), MNT: join(tmp, 'mnt'),
        ASSETS, EL: String(el), MIRROR: hostMirror(),
      });
      return layer;
    },
  });
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
