// FreeBSD ports, when a plan asks for them (`use: ports`): names are origins ("mail/opendkim"),
// built with `make -C /usr/ports/<origin> install clean BATCH=yes` as the operators' procedure does.
// Ports register into pkg's database, so state is read with pkg — by origin, since a port's package
// name can differ from its directory (security/cyrus-sasl2 installs cyrus-sasl).
import { shQuote } from '../../core/quote.js';
import type { PackageBackend, PackageState } from '../backends.js';
import { checkName, PORT_ORIGIN } from '../names.js';

// Neither part may start with . or -: `../..` would leave /usr/ports.
const checkOrigin = (origin: string) => checkName(PORT_ORIGIN, origin);

const make = (origin: string, target: string) =>
  `make -C ${shQuote(`/usr/ports/${checkOrigin(origin)}`)} ${target} BATCH=yes`;

export const ports: PackageBackend = {
  name: 'ports',
  names: PORT_ORIGIN,
  statePaths: ['/var/db/pkg', '/usr/ports', '/etc/make.conf'],
  // No `latest`: the ports tree's version is never read, so an installed port could not be upgraded.
  supports: ['present', 'absent'],
  query(names, opts = {}) {
    names.forEach(checkOrigin);
    return {
      key: `ports:${opts.candidate ? 'c:' : ''}${names.join(',')}`,
      script: `pkg query -a '%o %v' 2>/dev/null; true`,
      parse(out) {
        const byOrigin = new Map(
          out
            .toString()
            .split('\n')
            .filter(Boolean)
            .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as const),
        );
        return Object.fromEntries(names.map((o): [string, PackageState] => [o, { installed: byOrigin.get(o) ?? null }]));
      },
    };
  },
  install: (names) => names.map((o) => make(o, 'install clean')).join(' && '),
  remove: (names) => names.map((o) => make(o, 'deinstall')).join(' && '),
};
