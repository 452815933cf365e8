// What makes a test host look like a given OS. Each personality is a small definition: how it boots
// and, optionally, an extra image layer overlaid on the shared Debian rootfs (cached, keyed by its
// recipe) and a per-host step before boot. New personalities go in personalities/<name>.ts and are
// listed in PERSONALITY_DEFS; fleet.ts knows nothing OS-specific beyond the boot style.

import { freebsd } from './personalities/freebsd.js';
import { centos6, centos7 } from './personalities/centos.js';

export interface PersonalityDef {
  /** Inventory/CLI name: debian-systemd, centos6, freebsd… */
  name: string;
  /** Host name prefix: deb-systemd-1, c6-1… */
  prefix: string;
  /** systemd: systemd-nspawn with systemd as PID 1. plain: unshare + a tiny reaping init (SysV, FreeBSD rc). */
  boot: 'systemd' | 'plain';
  /**
   * A directory overlaid above the base rootfs (lowerdir top), built once and cached outside the
   * repo. Receives the base rootfs path (for chroot-ing tools while building).
   */
  layer?: (baseRootfs: string, log: (m: string) => void) => Promise<string>;
  /** Runs on the controller against the host's merged root after per-host identity is written, before boot. */
  prepare?: (root: string, hostName: string) => Promise<void>;
}

const debianSystemd: PersonalityDef = { name: 'debian-systemd', prefix: 'deb-systemd', boot: 'systemd' };
const debianSysv: PersonalityDef = { name: 'debian-sysv', prefix: 'deb-sysv', boot: 'plain' };

/** Every personality, in inventory order. */
export const PERSONALITY_DEFS: readonly PersonalityDef[] = [debianSystemd, debianSysv, freebsd, centos6, centos7];

export function personality(name: string): PersonalityDef {
  const p = PERSONALITY_DEFS.find((d) => d.name === name);
  if (!p) throw new Error(`unknown personality "${name}" (have: ${PERSONALITY_DEFS.map((d) => d.name).join(', ')})`);
  return p;
}
