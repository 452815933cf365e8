// Debian/Ubuntu: dpkg's database for state, apt-get for changes, never interactive.
import type { PackageBackend, PackageState } from '../backends.js';
import { DEB_PACKAGE, nameOperands } from '../names.js';

const APT = 'DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold';

/** `-- name…`: every name checked, then quoted, after the end of options. */
const words = (names: string[]) => nameOperands(DEB_PACKAGE, names, { endOfOptions: true });

export const apt: PackageBackend = {
  name: 'apt',
  names: DEB_PACKAGE,
  statePaths: ['/var/lib/dpkg', '/var/lib/apt', '/etc/apt'],
  supports: ['present', 'absent', 'latest'],
  query(names, opts = {}) {
    const list = words(names);
    // dpkg-query prints nothing (and exits 1) for packages it has never heard of: that is "not installed".
    const policy = opts.candidate ? `\necho @@candidates; LC_ALL=C apt-cache policy ${list} 2>/dev/null` : '';
    return {
      key: `apt:${opts.candidate ? 'c:' : ''}${names.join(',')}`,
      script: `dpkg-query -W -f='\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n' ${list} 2>/dev/null; true${policy}`,
      // Commands only (no variable, cd or exit): read in the batch's shell, no subshell.
      inShell: true,
      parse(out) {
        const [status, candidates = ''] = out.toString().split('@@candidates\n');
        const result: Record<string, PackageState> = {};
        for (const n of names) result[n] = { installed: null };
        for (const line of status!.split('\n')) {
          const [pkg, abbrev, version] = line.split('\t');
          // "ii " = wanted install, currently installed; "rc " = removed, config files left.
          if (pkg && pkg in result && abbrev?.startsWith('ii')) result[pkg] = { installed: version ?? '' };
        }
        let current: string | undefined;
        for (const line of candidates.split('\n')) {
          const head = line.match(/^(\S+):$/);
          if (head) current = head[1];
          const cand = line.match(/^\s+Candidate:\s+(\S+)/);
          if (cand && current && current in result) result[current]!.candidate = cand[1] === '(none)' ? null : cand[1];
        }
        return result;
      },
    };
  },
  install: (names) => `${APT} install ${words(names)}`,
  remove: (names) => `${APT} remove ${words(names)}`,
  cache: { update: `${APT} update`, stamp: '/var/lib/apt/periodic/update-success-stamp' },
};
