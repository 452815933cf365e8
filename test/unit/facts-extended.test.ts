// The facts beyond the OS identity, parsed from what the facts script prints on each OS: Linux's
// /proc/net tables, FreeBSD's ifconfig and netstat -rn (captured output), fqdn, release names,
// virtualization markers, custom local facts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { CORE_FACTS_SCRIPT, FACTS_SCRIPT, parseFacts } from '../../src/facts/gather.js';
import { localFacts, parseIni } from '../../src/facts/local.js';
import { freebsdNetwork, ipv6Text, linuxNetwork } from '../../src/facts/network.js';
import { virtualization } from '../../src/facts/virt.js';
import { ansibleVars } from '../../src/facts/aliases.js';

const lines = (prefix: string, text: string) => text.trim().split('\n').map((l) => `${prefix}=${l}`).join('\n');

// Captured on a Debian 12 host: eth0 192.0.2.2/24 via 192.0.2.1, fd00::2/64 via fd00::1.
const LINUX = [
  'system=Linux', 'hostname=mx1', 'kernel=6.1.0', 'arch=x86_64', 'os_release.ID=debian', 'os_release.VERSION_ID="12"',
  'os_release.VERSION="12 (bookworm)"', 'os_release.VERSION_CODENAME=bookworm', 'debian_version=12.11', 'extended=1',
  'hosts=127.0.1.1\tmx1.example.net mx1  # the host itself', 'hosts=10.0.0.9 mx10.example.net mx10',
  lines('r4', `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0`),
  lines('ft', `     |-- 0.0.0.0
           |-- 127.0.0.0
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           |-- 192.0.2.0
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255`),
  lines('a6', `fd000000000000000000000000000002 04 40 00 82     eth0
00000000000000000000000000000001 01 80 10 80       lo
fe8000000000000000fc00fffe000001 04 40 20 80     eth0`),
  lines('r6', `00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0`),
  'virt_container=lxc',
  'lf=/etc/fleetplan/facts.d/site.json', 'll={"role": "relay",', 'll= "tier": 2}',
  'lf=/etc/ansible/facts.d/legacy.fact', 'll=[general]', 'll=owner = mail team', 'll=; comment', 'll=zone: eu',
].join('\n');

// CentOS 6: no os-release; the release name is redhat-release's "(Final)".
const CENTOS6 = ['system=Linux', 'hostname=c6.example.org', 'kernel=2.6.32', 'arch=x86_64', 'redhat_release=CentOS release 6.10 (Final)', 'has_yum=1', 'has_chkconfig=1', 'extended=1'].join('\n');

// FreeBSD 14.1: ifconfig and netstat -rn as printed there.
const FREEBSD = [
  'system=FreeBSD', 'hostname=bsd1.example.org', 'kernel=14.1-RELEASE-p3', 'arch=amd64', 'freebsd_version=14.1-RELEASE-p3',
  'os_release.ID=freebsd', 'os_release.VERSION_ID="14.1"', 'has_pkg=1', 'extended=1', 'bsd_jailed=0', 'bsd_vm_guest=kvm',
  lines('if', `vtnet0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500
\toptions=4c07bb<RXCSUM,TXCSUM,VLAN_MTU,VLAN_HWTAGGING,JUMBO_MTU,VLAN_HWCSUM,TSO4,TSO6,LRO,VLAN_HWTSO,LINKSTATE,TXCSUM_IPV6>
\tether 52:54:00:12:34:56
\tinet 198.51.100.10 netmask 0xffffff00 broadcast 198.51.100.255
\tinet6 fe80::5054:ff:fe12:3456%vtnet0 prefixlen 64 scopeid 0x1
\tinet6 2001:db8::10 prefixlen 64
\tmedia: Ethernet autoselect (10Gbase-T <full-duplex>)
\tstatus: active
lo0: flags=1008049<UP,LOOPBACK,RUNNING,MULTICAST,LOWER_UP> metric 0 mtu 16384
\tinet 127.0.0.1 netmask 0xff000000
\tinet6 ::1 prefixlen 128
\tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x2
\tgroups: lo`),
  lines('nr', `Routing tables

Internet:
Destination        Gateway            Flags     Netif Expire
default            198.51.100.1       UGS      vtnet0
127.0.0.1          link#2             UH          lo0
198.51.100.0/24    link#1             U        vtnet0

Internet6:
Destination                       Gateway                       Flags     Netif Expire
::/96                             ::1                           UGRS        lo0
default                           2001:db8::1                   UGS      vtnet0
::1                               link#2                        UHS         lo0`),
].join('\n');

describe('extended facts per OS', () => {
  it('Linux (Debian 12): fqdn from /etc/hosts, addresses and default routes from /proc/net, codename, local facts, container', () => {
    const f = parseFacts(LINUX);
    assert.equal(f.hostname, 'mx1');
    assert.equal(f.fqdn, 'mx1.example.net');
    assert.equal(f.domain, 'example.net');
    assert.equal(f.distribution_release, 'bookworm');
    assert.equal(f.distribution_major_version, '12');
    assert.deepEqual(f.default_ipv4, { address: '192.0.2.2', interface: 'eth0', gateway: '192.0.2.1' });
    assert.deepEqual(f.default_ipv6, { address: 'fd00::2', interface: 'eth0', gateway: 'fd00::1' });
    assert.deepEqual(f.all_ipv4_addresses, ['192.0.2.2']);
    assert.deepEqual(f.all_ipv6_addresses, ['fd00::2', 'fe80::fc:ff:fe00:1']);
    assert.deepEqual(f.interfaces, ['lo', 'eth0']);
    assert.deepEqual([f.virtualization_type, f.virtualization_role], ['lxc', 'guest']);
    assert.deepEqual(f.local, { legacy: { general: { owner: 'mail team', zone: 'eu' } }, site: { role: 'relay', tier: 2 } });
  });

  it('CentOS 6: release "Final" from redhat-release, a dotted node name is the fqdn, no network lines → empty defaults', () => {
    const f = parseFacts(CENTOS6);
    assert.deepEqual([f.distribution, f.distribution_major_version, f.distribution_release], ['centos', '6', 'Final']);
    assert.deepEqual([f.hostname, f.fqdn, f.domain], ['c6', 'c6.example.org', 'example.org']);
    assert.deepEqual([f.default_ipv4, f.default_ipv6, f.all_ipv4_addresses], [{}, {}, []]);
    assert.equal(f.virtualization_type, 'none');
    assert.equal(f.virtualization_role, 'none');
  });

  it('FreeBSD 14: ifconfig + netstat -rn, release from uname -r, kern.vm_guest', () => {
    const f = parseFacts(FREEBSD);
    assert.deepEqual([f.hostname, f.fqdn, f.distribution_release, f.distribution_major_version], ['bsd1', 'bsd1.example.org', '14.1-RELEASE-p3', '14']);
    assert.deepEqual(f.default_ipv4, { address: '198.51.100.10', interface: 'vtnet0', gateway: '198.51.100.1' });
    assert.deepEqual(f.default_ipv6, { address: '2001:db8::10', interface: 'vtnet0', gateway: '2001:db8::1' });
    assert.deepEqual(f.all_ipv4_addresses, ['198.51.100.10']);
    assert.deepEqual(f.all_ipv6_addresses, ['fe80::5054:ff:fe12:3456', '2001:db8::10', 'fe80::1']);
    assert.deepEqual(f.interfaces, ['vtnet0', 'lo0']);
    assert.equal(f.virtualization_type, 'kvm');
  });

  it('without the extended part (gather_facts: false) only the identity is there', () => {
    const f = parseFacts(LINUX.replace('extended=1', ''));
    assert.equal(f.fqdn, undefined);
    assert.equal(f.default_ipv4, undefined);
    assert.equal(f.distribution_release, 'bookworm');
    assert.ok(!CORE_FACTS_SCRIPT.includes('/proc/net') && FACTS_SCRIPT.includes('/proc/net'));
  });
});

describe('facts pieces', () => {
  it('ipv6 text form compresses the longest zero run', () => {
    assert.equal(ipv6Text('20010db8000000000000000000000001'), '2001:db8::1');
    assert.equal(ipv6Text('00000000000000000000000000000001'), '::1');
    assert.equal(ipv6Text('20010db8000100000001000000000000'), '2001:db8:1:0:1::');
    assert.equal(ipv6Text('20010db8000100020003000400050006'), '2001:db8:1:2:3:4:5:6');
  });
  it('a host with no default route has empty defaults; a /32 with no connected route keeps no interface', () => {
    const n = linuxNetwork({ ft: ['|-- 10.9.9.9', '/32 host LOCAL'] });
    assert.deepEqual([n.default_ipv4, n.all_ipv4_addresses], [{}, ['10.9.9.9']]);
    assert.deepEqual(freebsdNetwork({}).default_ipv4, {});
  });
  it('virtualization: containers before hypervisors, DMI vendors, jails, none', () => {
    assert.equal(virtualization({ virt_container: 'systemd-nspawn', dmi_product: 'KVM' }).virtualization_type, 'systemd-nspawn');
    assert.equal(virtualization({ virt_environ: 'podman' }).virtualization_type, 'podman');
    assert.equal(virtualization({ virt_dockerenv: '1' }).virtualization_type, 'docker');
    assert.equal(virtualization({ dmi_vendor: 'QEMU', dmi_product: 'Standard PC' }).virtualization_type, 'qemu');
    assert.equal(virtualization({ dmi_vendor: 'VMware, Inc.' }).virtualization_type, 'vmware');
    assert.equal(virtualization({ bsd_jailed: '1', bsd_vm_guest: 'none' }).virtualization_type, 'jail');
    assert.deepEqual(virtualization({}), { virtualization_type: 'none', virtualization_role: 'none' });
  });
  it('local facts: JSON, INI .fact, a broken file and an unreadable one are errors in their own entry', () => {
    const out = localFacts(['lf=/d/a.json', 'll={bad', 'lf=/d/b.fact', 'll=key without section', 'le=/d/c.fact', 'lf=/d/d.fact', 'll=["x"]']);
    assert.match((out.a as { error: string }).error, /a\.json: not JSON/);
    assert.match((out.b as { error: string }).error, /b\.fact:1: not JSON, and not INI/);
    assert.match((out.c as { error: string }).error, /cannot read \/d\/c\.fact/);
    assert.deepEqual(out.d, ['x']);
    assert.deepEqual(parseIni('x.fact', '[s]\na=1\nb: two\n# c\n'), { s: { a: '1', b: 'two' } });
  });
  it('Ansible names: distribution spelled as Ansible, service_mgr, ansible_facts without the prefix; ansible_user is not a fact', () => {
    const v = ansibleVars({ ...parseFacts(FREEBSD), check_mode: false });
    assert.equal(v.ansible_distribution, 'FreeBSD');
    assert.equal(v.ansible_service_mgr, 'bsdinit');
    assert.equal(v.ansible_fqdn, 'bsd1.example.org');
    assert.equal(v.ansible_check_mode, false);
    assert.deepEqual((v.ansible_facts as { default_ipv4: unknown }).default_ipv4, { address: '198.51.100.10', interface: 'vtnet0', gateway: '198.51.100.1' });
    assert.ok(!('ansible_user' in v) && !('ansible_host' in v));
  });
  it('the full script runs under sh here (as root and as nobody) and parses', () => {
    for (const argv of [['sh', '-c', FACTS_SCRIPT], ['su', '-s', '/bin/sh', 'nobody', '-c', FACTS_SCRIPT]]) {
      const f = parseFacts(execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }));
      assert.ok(f.fqdn && Array.isArray(f.all_ipv4_addresses) && typeof f.virtualization_type === 'string', JSON.stringify(f));
      assert.ok(f.interfaces!.includes('lo'));
    }
  });
});
