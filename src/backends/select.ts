// Chooses each host's backends from its facts, once, from ordered tables (as Ansible's service and
// package dispatch). An operation may override with `use:`; an unknown host fails with a message
// naming that option instead of guessing.
import type { Facts } from '../facts/facts.js';
import { pw } from './accounts/pw.js';
import { shadowUtils } from './accounts/shadow-utils.js';
import type { AccountsBackend, Backends, InitBackend, PackageBackend } from './backends.js';
import { bsdrc } from './init/bsdrc.js';
import { systemd } from './init/systemd.js';
import { chkconfig, sysv, updateRcD } from './init/sysv.js';
import { apt } from './package/apt.js';
import { pkg } from './package/pkg.js';
import { ports } from './package/ports.js';
import { rpmBackend } from './package/rpm.js';

export const packageBackends: Record<string, PackageBackend> = { apt, yum: rpmBackend('yum'), dnf: rpmBackend('dnf'), pkg, ports };
export const initBackends: Record<string, InitBackend> = {
  systemd,
  'sysv-debian': sysv(updateRcD),
  'sysv-redhat': sysv(chkconfig),
  bsdrc,
};
export const accountsBackends: Record<string, AccountsBackend> = { 'shadow-utils': shadowUtils, pw };

type Rule = [(f: Facts) => boolean, string];

// Ports are never chosen from facts: building from source is the operator's explicit choice (`use: ports`).
const PACKAGE_TABLE: Rule[] = [
  [(f) => f.pkg_mgr === 'apt', 'apt'],
  [(f) => f.pkg_mgr === 'dnf', 'dnf'],
  [(f) => f.pkg_mgr === 'yum', 'yum'],
  [(f) => f.pkg_mgr === 'pkg', 'pkg'],
];

const INIT_TABLE: Rule[] = [
  [(f) => f.init === 'systemd', 'systemd'],
  [(f) => f.init === 'bsdrc', 'bsdrc'],
  [(f) => f.init === 'sysv' && f.os_family === 'RedHat', 'sysv-redhat'],
  [(f) => f.init === 'sysv' && f.os_family === 'Debian', 'sysv-debian'],
];

const ACCOUNTS_TABLE: Rule[] = [
  [(f) => f.system === 'FreeBSD', 'pw'],
  [(f) => f.system === 'Linux', 'shadow-utils'],
];

function pick<T>(table: Rule[], registry: Record<string, T>, facts: Facts): T | undefined {
  const hit = table.find(([test]) => test(facts));
  return hit ? registry[hit[1]] : undefined;
}

/** A backend that explains, when first used, why none fits this host. */
function missing<T extends object>(kind: string, detail: string, option: string): T {
  return new Proxy({} as T, {
    get(_t, prop) {
      if (prop === 'name') return `none (${detail})`;
      return () => {
        throw new Error(`no ${kind} backend for this host (${detail}); set \`${option}\` to one of the known backends`);
      };
    },
  });
}

export function selectBackends(facts: Facts): Backends {
  const os = `${facts.distribution} ${facts.distribution_version}, ${facts.system}`;
  return {
    package:
      pick(PACKAGE_TABLE, packageBackends, facts) ??
      missing<PackageBackend>('package', `${os}, package manager ${facts.pkg_mgr}`, `use: (${Object.keys(packageBackends).join('|')})`),
    init:
      pick(INIT_TABLE, initBackends, facts) ??
      missing<InitBackend>('service', `${os}, init ${facts.init}`, `use: (${Object.keys(initBackends).join('|')})`),
    accounts: pick(ACCOUNTS_TABLE, accountsBackends, facts) ?? missing<AccountsBackend>('accounts', os, 'a supported OS'),
  };
}
