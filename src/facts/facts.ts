// The facts a plan can branch on. Gathered in one round trip (src/facts/gather.ts); exposed to
// plans as `facts.<name>` and used to choose backends.

export type OsFamily = 'Debian' | 'RedHat' | 'FreeBSD' | 'unknown';
export type InitSystem = 'systemd' | 'sysv' | 'bsdrc' | 'unknown';
export type PackageManager = 'apt' | 'dnf' | 'yum' | 'pkg' | 'unknown';

export interface Facts {
  hostname: string;
  /** `uname -s`: Linux, FreeBSD. */
  system: string;
  kernel: string;
  arch: string;
  os_family: OsFamily;
  /** Lower-case distribution id: debian, ubuntu, centos, rhel, rocky, freebsd. */
  distribution: string;
  /** Full version string: "12.11", "6.10", "14.1-RELEASE". */
  distribution_version: string;
  /** Major version as a number (12, 6, 14); 0 when unknown. */
  distribution_major: number;
  init: InitSystem;
  pkg_mgr: PackageManager;
  /** Login user and uid the connection runs as (before become). */
  user: string;
  uid: number;
}

/** The names a `when:` or template may use under `facts.`; used to validate plans without connecting. */
export const FACT_NAMES: readonly (keyof Facts)[] = [
  'hostname', 'system', 'kernel', 'arch', 'os_family', 'distribution', 'distribution_version',
  'distribution_major', 'init', 'pkg_mgr', 'user', 'uid',
];
