// Facts under Ansible's names, for plans and templates ported from Ansible: `ansible_facts` (the
// facts mapping with Ansible's keys) and the top-level `ansible_<fact>` variables. An explicit
// table, not a prefix on every fact: `ansible_user`/`ansible_host` are connection variables, and
// some values are spelled as Ansible spells them (ansible_distribution "Debian", not "debian").
import type { Facts } from './facts.js';

/** Ansible's spelling of a distribution id (ansible_distribution); the id itself when not listed. */
const DISTRIBUTION_NAMES: Record<string, string> = {
  debian: 'Debian', ubuntu: 'Ubuntu', raspbian: 'Debian', linuxmint: 'Linux Mint', centos: 'CentOS', rhel: 'RedHat',
  fedora: 'Fedora', rocky: 'Rocky', almalinux: 'AlmaLinux', ol: 'OracleLinux', freebsd: 'FreeBSD',
};
const SERVICE_MGR: Record<string, string> = { systemd: 'systemd', sysv: 'sysvinit', bsdrc: 'bsdinit' };

/** Ansible fact name (without ansible_) → its value from fleetplan's facts. */
const ALIASES: Record<string, (f: Facts) => unknown> = {
  hostname: (f) => f.hostname,
  nodename: (f) => f.hostname,
  fqdn: (f) => f.fqdn,
  domain: (f) => f.domain,
  system: (f) => f.system,
  kernel: (f) => f.kernel,
  architecture: (f) => f.arch,
  machine: (f) => f.arch,
  os_family: (f) => f.os_family,
  distribution: (f) => DISTRIBUTION_NAMES[f.distribution] ?? f.distribution,
  distribution_version: (f) => f.distribution_version,
  distribution_major_version: (f) => f.distribution_major_version,
  distribution_release: (f) => f.distribution_release,
  pkg_mgr: (f) => f.pkg_mgr,
  service_mgr: (f) => SERVICE_MGR[f.init] ?? f.init,
  user_id: (f) => f.user,
  user_uid: (f) => f.uid,
  default_ipv4: (f) => f.default_ipv4,
  default_ipv6: (f) => f.default_ipv6,
  all_ipv4_addresses: (f) => f.all_ipv4_addresses,
  all_ipv6_addresses: (f) => f.all_ipv6_addresses,
  interfaces: (f) => f.interfaces,
  virtualization_type: (f) => f.virtualization_type,
  virtualization_role: (f) => f.virtualization_role,
  local: (f) => f.local,
};

/** Every top-level variable name this module may define (for validate and the reserved names). */
export const ANSIBLE_FACT_VARS: readonly string[] = ['ansible_facts', 'ansible_check_mode', ...Object.keys(ALIASES).map((k) => `ansible_${k}`)];

/**
 * `ansible_facts`, `ansible_<name>` for each fact the host has (a fact not gathered stays undefined,
 * so a template reading it fails as for any undefined variable) and `ansible_check_mode`.
 */
export function ansibleVars(facts: Facts): Record<string, unknown> {
  const ansibleFacts: Record<string, unknown> = {};
  for (const [name, get] of Object.entries(ALIASES)) {
    const v = get(facts);
    if (v !== undefined) ansibleFacts[name] = v;
  }
  const out: Record<string, unknown> = { ansible_facts: ansibleFacts };
  for (const [k, v] of Object.entries(ansibleFacts)) out[`ansible_${k}`] = v;
  if (facts.check_mode !== undefined) out.ansible_check_mode = facts.check_mode;
  return out;
}
