// The facts a plan can branch on. Gathered in one round trip (src/facts/gather.ts); exposed to
// plans as `facts.<name>` (and under Ansible's `ansible_*` names, src/facts/aliases.ts) and used to
// choose backends.

export type OsFamily = 'Debian' | 'RedHat' | 'FreeBSD' | 'unknown';
export type InitSystem = 'systemd' | 'sysv' | 'bsdrc' | 'unknown';
export type PackageManager = 'apt' | 'dnf' | 'yum' | 'pkg' | 'unknown';

/** What backends need: always gathered, whatever the plays' `gather_facts:` say. */
export interface CoreFacts {
  /** Short host name (the kernel's node name up to the first dot), as Ansible's ansible_hostname. */
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
  /** Major version as Ansible's string ("12", "6", "14"); "" when unknown. */
  distribution_major_version: string;
  /** Release name: bookworm, Core, Final, 14.1-RELEASE-p3 ("" when the host names none). */
  distribution_release: string;
  init: InitSystem;
  pkg_mgr: PackageManager;
  /** Login user and uid the connection runs as (before become). */
  user: string;
  uid: number;
}

/** An interface's address and its default gateway (empty when the host has no default route). */
export interface DefaultRoute {
  address?: string;
  interface?: string;
  gateway?: string;
}

/** Gathered unless every play a host runs says `gather_facts: false`. */
export interface ExtendedFacts {
  /** The host's name with its domain: the node name when it has a dot, else the first dotted name /etc/hosts gives it. No DNS lookup. */
  fqdn: string;
  /** The fqdn after its first dot ("" when it has none). */
  domain: string;
  default_ipv4: DefaultRoute;
  default_ipv6: DefaultRoute;
  /** Every IPv4 address but loopback's, in interface order. */
  all_ipv4_addresses: string[];
  /** Every IPv6 address but ::1. */
  all_ipv6_addresses: string[];
  /** Interface names. */
  interfaces: string[];
  /** none, kvm, qemu, vmware, virtualbox, xen, hyperv, openvz, lxc, docker, podman, systemd-nspawn, jail, ... */
  virtualization_type: string;
  /** guest when a virtualization was detected, else none. */
  virtualization_role: 'guest' | 'none';
  /** Postfix's mail_version (`postconf -dh mail_version`: "3.7.11", "2.6.6"); "" when postconf is not installed. */
  postfix_version: string;
  /** Custom local facts: one entry per file of /etc/fleetplan/facts.d and /etc/ansible/facts.d, by file stem. */
  local: Record<string, unknown>;
}

export interface Facts extends CoreFacts, Partial<ExtendedFacts> {
  /** True in a dry run (--check): set by the engine, not gathered. */
  check_mode?: boolean;
}

/** The names a `when:` or template may use under `facts.` on every host; used to validate plans without connecting. */
export const CORE_FACT_NAMES: readonly (keyof CoreFacts | 'check_mode')[] = [
  'hostname', 'system', 'kernel', 'arch', 'os_family', 'distribution', 'distribution_version',
  'distribution_major', 'distribution_major_version', 'distribution_release', 'init', 'pkg_mgr', 'user', 'uid',
  'check_mode',
];

/** The names under `facts.` on a host one of whose plays gathers facts. */
export const EXTENDED_FACT_NAMES: readonly (keyof ExtendedFacts)[] = [
  'fqdn', 'domain', 'default_ipv4', 'default_ipv6', 'all_ipv4_addresses', 'all_ipv6_addresses', 'interfaces',
  'virtualization_type', 'virtualization_role', 'postfix_version', 'local',
];

export const FACT_NAMES: readonly string[] = [...CORE_FACT_NAMES, ...EXTENDED_FACT_NAMES];
