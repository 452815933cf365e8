// FreeBSD pkg(8): `pkg info -e` for presence (exit 0/1, silent), `pkg query` for the version.
import { shQuote } from '../../core/quote.js';
import type { PackageBackend, PackageState } from '../backends.js';
import { checkName, FREEBSD_PACKAGE, nameOperands } from '../names.js';

const PKG = 'env ASSUME_ALWAYS_YES=yes pkg';

// No `--`: the grammar already makes a leading - impossible, and the names stay operands of every
// pkg subcommand (pkg's own getopt would take `--`, the test fleet's pkg does not).
const words = (names: string[]) => nameOperands(FREEBSD_PACKAGE, names, { endOfOptions: false });

/** One line per package: name, tab, installed version or "-", tab, repository version or "-". */
export function pkgQueryScript(names: string[], candidate: boolean, pkgName: (n: string) => string = (n) => n): string {
  return names
    .map((n) => {
      const p = shQuote(pkgName(n));
      const cand = candidate ? `$(pkg rquery '%v' ${p} 2>/dev/null | head -n 1)` : '';
      return `if pkg info -e ${p}; then v=$(pkg query '%v' ${p}); else v=-; fi; printf '%s\\t%s\\t%s\\n' ${shQuote(n)} "$v" "${cand || '-'}"`;
    })
    .join('\n');
}

export function parsePkgLines(out: Buffer, names: string[]): Record<string, PackageState> {
  const result: Record<string, PackageState> = {};
  for (const n of names) result[n] = { installed: null };
  for (const line of out.toString().split('\n')) {
    const [name, version, cand] = line.split('\t');
    if (!name || !(name in result)) continue;
    result[name] = { installed: version === '-' ? null : version! };
    if (cand && cand !== '-') result[name]!.candidate = cand;
  }
  return result;
}

export const freebsdPkg: PackageBackend = {
  name: 'pkg',
  names: FREEBSD_PACKAGE,
  statePaths: ['/var/db/pkg', '/etc/pkg', '/usr/local/etc/pkg', '/usr/local/etc/pkg.conf'],
  supports: ['present', 'absent', 'latest'],
  query(names, opts = {}) {
    for (const n of names) checkName(FREEBSD_PACKAGE, n);
    return {
      key: `pkg:${opts.candidate ? 'c:' : ''}${names.join(',')}`,
      script: pkgQueryScript(names, Boolean(opts.candidate)),
      parse: (out) => parsePkgLines(out, names),
    };
  },
  install: (names) => `${PKG} install -y ${words(names)}`,
  remove: (names) => `${PKG} delete -y ${words(names)}`,
  cache: { update: `${PKG} update -q`, stamp: '/var/db/pkg/fleetplan-update-stamp' },
};
