// FreeBSD ports, when a plan asks for them (`use: ports`): names are origins ("mail/opendkim"),
// built with `make -C /usr/ports/<origin> install clean BATCH=yes` as the operators' procedure does.
// Ports register into pkg's database, so state is read with pkg, by the port's package name (the
// origin's last component, which is the package name for the ports fleetplan's roles use).
import { shQuote } from '../../connectors/quote.js';
import type { PackageBackend } from '../backends.js';
import { parsePkgLines, pkgQueryScript } from './pkg.js';

const packageName = (origin: string) => origin.slice(origin.lastIndexOf('/') + 1);

function checkOrigin(origin: string): string {
  if (!/^[A-Za-z0-9_.+-]+\/[A-Za-z0-9_.+-]+$/.test(origin)) {
    throw new Error(`'${origin}' is not a ports origin like mail/opendkim (use: ports takes origins)`);
  }
  return origin;
}

const make = (origin: string, target: string) =>
  `make -C ${shQuote(`/usr/ports/${checkOrigin(origin)}`)} ${target} BATCH=yes`;

export const ports: PackageBackend = {
  name: 'ports',
  query(names, opts = {}) {
    names.forEach(checkOrigin);
    return {
      key: `ports:${opts.candidate ? 'c:' : ''}${names.join(',')}`,
      script: pkgQueryScript(names, false, packageName),
      parse: (out) => parsePkgLines(out, names),
    };
  },
  install: (names) => names.map((o) => make(o, 'install clean')).join(' && '),
  remove: (names) => names.map((o) => make(o, 'deinstall')).join(' && '),
  upgrade: (names) => names.map((o) => make(o, 'deinstall reinstall clean')).join(' && '),
};
