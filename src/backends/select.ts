// Chooses each host's backends from its facts, once, from ordered tables (as Ansible's service and
// package dispatch): the first rule whose facts all match wins. An operation may override with
// `use:`; an unknown host fails with a message naming that option instead of guessing.
import type { Facts } from '../facts/facts.js';
import { pw } from './accounts/pw.js';
import { shadowUtils } from './accounts/shadow-utils.js';
import type { AccountsBackend, Backends, InitBackend, PackageBackend } from './backends.js';
import { bsdrc } from './init/bsdrc.js';
import { systemd, systemdDebian } from './init/systemd.js';
import { chkconfig, sysv, updateRcD } from './init/sysv.js';
import { apt } from './package/apt.js';
import { freebsdPkg } from './package/freebsd-pkg.js';
import { ports } from './package/ports.js';
import { rpmBackend } from './package/rpm.js';

export const packageBackends: Record<string, PackageBackend> = { apt, yum: rpmBackend('yum'), dnf: rpmBackend('dnf'), pkg: freebsdPkg, ports };
export const initBackends: Record<string, InitBackend> = {
  systemd,
  'systemd-debian': systemdDebian,
  'sysv-debian': sysv(updateRcD),
  'sysv-redhat': sysv(chkconfig),
  bsdrc,
};
export const accountsBackends: Record<string, AccountsBackend> = { 'shadow-utils': shadowUtils, pw };

/** A selection rule: the backend is chosen when every listed fact has exactly this value. */
export interface SelectionRule {
  when: Partial<Record<keyof Facts, string>>;
  backend: string;
}

// Declarative (fact = value) so that docs/os-matrix.md is generated from these very tables.
// Ports are never chosen from facts: building from source is the operator's explicit choice (`use: ports`).
export const packageRules: readonly SelectionRule[] = [
  { when: { pkg_mgr: 'apt' }, backend: 'apt' },
  { when: { pkg_mgr: 'dnf' }, backend: 'dnf' },
  { when: { pkg_mgr: 'yum' }, backend: 'yum' },
  { when: { pkg_mgr: 'pkg' }, backend: 'pkg' },
];

export const initRules: readonly SelectionRule[] = [
  { when: { init: 'systemd', os_family: 'Debian' }, backend: 'systemd-debian' },
  { when: { init: 'systemd' }, backend: 'systemd' },
  { when: { init: 'bsdrc' }, backend: 'bsdrc' },
  { when: { init: 'sysv', os_family: 'RedHat' }, backend: 'sysv-redhat' },
  { when: { init: 'sysv', os_family: 'Debian' }, backend: 'sysv-debian' },
];

export const accountsRules: readonly SelectionRule[] = [
  { when: { system: 'FreeBSD' }, backend: 'pw' },
  { when: { system: 'Linux' }, backend: 'shadow-utils' },
];

export function pick<T>(rules: readonly SelectionRule[], registry: Record<string, T>, facts: Facts): T | undefined {
  const hit = rules.find((r) => Object.entries(r.when).every(([fact, value]) => String(facts[fact as keyof Facts]) === value));
  return hit ? registry[hit.backend] : undefined;
}

/** A backend that explains, when first used, why none fits this host. */
function missing<T extends object>(kind: string, detail: string, option: string): T {
  return new Proxy({} as T, {
    get(_t, prop) {
      if (prop === 'name') return `none (${detail})`;
      const fail = () => {
        throw new Error(`no ${kind} backend for this host (${detail}); set \`${option}\` to one of the known backends`);
      };
      // Asking what it supports is its first use too: explain rather than answer "nothing".
      if (prop === 'supports') fail();
      return fail;
    },
  });
}

export function selectBackends(facts: Facts): Backends {
  const os = `${facts.distribution} ${facts.distribution_version}, ${facts.system}`;
  return {
    package:
      pick(packageRules, packageBackends, facts) ??
      missing<PackageBackend>('package', `${os}, package manager ${facts.pkg_mgr}`, `use: (${Object.keys(packageBackends).join('|')})`),
    init:
      pick(initRules, initBackends, facts) ??
      missing<InitBackend>('service', `${os}, init ${facts.init}`, `use: (${Object.keys(initBackends).join('|')})`),
    accounts: pick(accountsRules, accountsBackends, facts) ?? missing<AccountsBackend>('accounts', os, 'a supported OS'),
  };
}
