// Virtualization from the markers the facts script read (the files systemd-detect-virt reads, not
// the program: a process on every host of every run costs more than the files). Containers first, as
// systemd-detect-virt: a container inside a VM reports the container. An ordered table of rules.
import type { ExtendedFacts } from './facts.js';

type Raw = Record<string, string>;

/** systemd's container ids (/run/systemd/container, container= of PID 1) as systemd-detect-virt prints them. */
const CONTAINER_NAMES: Record<string, string> = { 'systemd-nspawn': 'systemd-nspawn', lxc: 'lxc', 'lxc-libvirt': 'lxc-libvirt', docker: 'docker', podman: 'podman', oci: 'container-other', wsl: 'wsl', proot: 'proot' };

/** DMI vendor/product substrings, as systemd-detect-virt's table. */
const DMI: Array<[RegExp, string]> = [
  [/KVM/, 'kvm'], [/Amazon EC2/, 'amazon'], [/QEMU/, 'qemu'], [/VMware/i, 'vmware'], [/VirtualBox|innotek/i, 'oracle'],
  [/Xen/, 'xen'], [/Bochs/, 'bochs'], [/Parallels/, 'parallels'], [/Microsoft Corporation|Hyper-V/, 'microsoft'], [/Google/, 'google'],
];

const RULES: Array<(raw: Raw) => string | undefined> = [
  (raw) => (raw.bsd_jailed === '1' ? 'jail' : undefined),
  (raw) => {
    const id = (raw.virt_container || raw.virt_environ || '').trim();
    return id ? (CONTAINER_NAMES[id] ?? id) : undefined;
  },
  (raw) => (raw.virt_dockerenv ? 'docker' : raw.virt_containerenv ? 'podman' : undefined),
  (raw) => (raw.virt_openvz ? 'openvz' : undefined),
  (raw) => (raw.bsd_vm_guest && raw.bsd_vm_guest !== 'none' ? raw.bsd_vm_guest : undefined),
  (raw) => {
    const dmi = `${raw.dmi_vendor ?? ''} ${raw.dmi_product ?? ''}`;
    return DMI.find(([re]) => re.test(dmi))?.[1];
  },
  (raw) => (raw.virt_xen ? 'xen' : undefined),
];

export function virtualization(raw: Raw): Pick<ExtendedFacts, 'virtualization_type' | 'virtualization_role'> {
  const type = RULES.map((r) => r(raw)).find(Boolean);
  return { virtualization_type: type ?? 'none', virtualization_role: type ? 'guest' : 'none' };
}
