// h17 variables and facts on real hosts of three personalities: hostvars/groups/group_names/play_hosts
// in a template across hosts, a defined guard (validate and run), a comparison of two variables, the
// new facts (fqdn, default routes, release, virtualization) and their Ansible names, local facts
// (unsafe files ignored), check_mode, gather_facts: false; check → apply → zero-change.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, repoRoot, tasksWith } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-plan-vars-');
const fixtures = path.join(repoRoot, 'test/integration/fixtures/plan-vars');
const plan = path.join(fixtures, 'site.yml');
let fleet: Fleet;
let inventory: string;
const RELAYS = ['deb-sysv-1', 'c6-1', 'freebsd-1'];
const IP: Record<string, string> = { 'deb-sysv-1': '10.77.0.5', 'c6-1': '192.0.2.66', 'freebsd-1': '10.78.0.5' };

before(async () => {
  if (skip) return;
  fleet = await up({ os: ['debian-sysv', 'centos6', 'freebsd'], count: 1, out });
  assert.deepEqual(fleet.hosts.map((h) => h.name).sort(), [...RELAYS].sort());
  const host = (n: string) => fleet.hosts.find((h) => h.name === n)!;
  const entry = (n: string, extra: string) => `        ${n}: { ssh_host: ${host(n).address}, ssh_port: ${host(n).port}, relay_ip: ${IP[n]}${extra} }`;
  inventory = path.join(out, 'relays.yml');
  writeFileSync(inventory, [
    'all:', '  vars: { ssh_user: root, ssh_private_key_file: id_ed25519, ssh_known_hosts_file: known_hosts, relay_port: 25, expected_port: 25 }',
    '  children:', '    relays:', '      hosts:',
    entry('deb-sysv-1', ', relay_note: { text: primary relay }'), entry('c6-1', ', expected_port: 587'), entry('freebsd-1', ''), '',
  ].join('\n'));
  // A default route (and IPv6 one) inside the host's own network namespace only: a veth pair there.
  for (const [n, net] of [['deb-sysv-1', '77'], ['freebsd-1', '78']] as const) {
    const r = await fleet.exec(n, [
      `ip link add fpa type veth peer name fpb && ip addr add 10.${net}.0.5/24 dev fpa && ip link set fpa up && ip link set fpb up`,
      `ip route add default via 10.${net}.0.1 dev fpa && ip -6 addr add fd${net}::5/64 dev fpa nodad && ip -6 route add default via fd${net}::1 dev fpa`,
    ].join(' && '));
    assert.equal(r.code, 0, `${n}: ${r.stderr}`);
  }
  // Local facts on the Debian host: two good files, and two that must be ignored (world-writable, a symlink).
  const r = await fleet.exec('deb-sysv-1', [
    'mkdir -p /etc/fleetplan/facts.d /etc/ansible/facts.d',
    `printf '{"role": "relay", "tier": 2}\\n' > /etc/fleetplan/facts.d/site.json`,
    `printf '[general]\\nowner = mail team\\n' > /etc/ansible/facts.d/legacy.fact && chmod 755 /etc/ansible/facts.d/legacy.fact`,
    `printf '{"evil": true}\\n' > /etc/fleetplan/facts.d/evil.json && chmod 666 /etc/fleetplan/facts.d/evil.json`,
    `printf '{"link": true}\\n' > /tmp/planted.json && ln -s /tmp/planted.json /etc/fleetplan/facts.d/link.json`,
    'mkdir -p /run/systemd && echo lxc > /run/systemd/container',
  ].join(' && '));
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

const cat = async (host: string, file: string) => (await fleet.exec(host, `cat ${file} 2>/dev/null || echo MISSING`)).stdout;

test('facts: fqdn, domain, default routes, release, virtualization and local facts on each personality', { skip }, async () => {
  const r = await fleetplan(['facts', '-i', inventory, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const f = r.json;
  for (const h of RELAYS) {
    assert.equal(f[h].fqdn, `${h}.fleet.test`, h);
    assert.equal(f[h].domain, 'fleet.test', h);
    assert.equal(f[h].hostname, h, h);
  }
  const deb = f['deb-sysv-1'];
  assert.deepEqual(deb.default_ipv4, { address: '10.77.0.5', interface: 'fpa', gateway: '10.77.0.1' });
  assert.deepEqual(deb.default_ipv6, { address: 'fd77::5', interface: 'fpa', gateway: 'fd77::1' });
  assert.ok(deb.all_ipv4_addresses.includes('10.77.0.5') && !deb.all_ipv4_addresses.includes('127.0.0.1'), deb.all_ipv4_addresses);
  assert.ok(deb.all_ipv6_addresses.includes('fd77::5'), deb.all_ipv6_addresses);
  assert.deepEqual([deb.distribution_release, deb.distribution_major_version], ['bookworm', '12']);
  assert.deepEqual([deb.virtualization_type, deb.virtualization_role], ['lxc', 'guest']);
  assert.deepEqual(deb.local, { legacy: { general: { owner: 'mail team' } }, site: { role: 'relay', tier: 2 } });
  const c6 = f['c6-1'];
  assert.deepEqual([c6.distribution, c6.distribution_release, c6.distribution_major_version], ['centos', 'Final', '6']);
  assert.deepEqual([c6.default_ipv4, c6.default_ipv6, c6.local], [{}, {}, {}]);
  assert.equal(c6.virtualization_role, c6.virtualization_type === 'none' ? 'none' : 'guest');
  const bsd = f['freebsd-1'];
  assert.deepEqual([bsd.os_family, bsd.distribution_release, bsd.distribution_major_version], ['FreeBSD', '14.1-RELEASE-p3', '14']);
  assert.deepEqual(bsd.default_ipv4, { address: '10.78.0.5', interface: 'fpa', gateway: '10.78.0.1' });
});

test('validate: a defined guard lets a task use an optional variable; unguarded it fails at file:line:col naming the hosts', { skip }, async () => {
  const ok = await fleetplan(['validate', plan, '-i', inventory]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const bad = await fleetplan(['validate', path.join(fixtures, 'unguarded.yml'), '-i', inventory]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout + bad.stderr, /unguarded\.yml:4:\d+: .*undefined variable 'relay_note' for hosts c6-1, freebsd-1/);
});

let checked: any;

test('check: the dry run predicts every file from magic variables and facts; check_mode is true', { skip }, async () => {
  const r = await fleetplan(['apply', plan, '-i', inventory, '--check', '--diff', '--json']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  checked = r.json;
  for (const h of RELAYS) {
    const changed = tasksWith(checked, h, 'changed');
    assert.ok(changed.includes('trusted hosts') && changed.includes('facts') && changed.includes('fqdn of every relay'), `${h}: ${changed}`);
    assert.ok(!tasksWith(checked, h, 'skipped').includes('only in a dry run'), h);
    assert.equal(await cat(h, '/etc/fp-trusted'), 'MISSING\n', `${h}: a dry run changes nothing`);
  }
});

test('apply: the files hold what the variables say; guards, comparisons and facts decide per host; then nothing changes', { skip }, async () => {
  const r = await fleetplan(['apply', plan, '-i', inventory, '--json']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const trusted = `${RELAYS.map((h) => `${h} ${IP[h]}`).join('\n')}\n`;
  for (const h of RELAYS) {
    assertPredicted(checked, r.json, h);
    assert.ok(tasksWith(r.json, h, 'skipped').includes('only in a dry run'), h);
    assert.equal(await cat(h, '/etc/fp-trusted'), `${trusted}me=${h} groups=relays play=${RELAYS.join(',')} batch=${RELAYS.join(',')}\n`, h);
    assert.equal(await cat(h, '/etc/fp-fqdns'), RELAYS.map((x) => `${x}.fleet.test\n`).join(''), h);
  }
  assert.equal(await cat('deb-sysv-1', '/etc/fp-note'), 'primary relay\n');
  for (const h of ['c6-1', 'freebsd-1']) assert.equal(await cat(h, '/etc/fp-note'), 'MISSING\n', h);
  assert.equal(await cat('deb-sysv-1', '/etc/fp-port'), '25\n');
  assert.equal(await cat('c6-1', '/etc/fp-port'), 'MISSING\n', 'relay_port 25 ≠ expected_port 587');
  assert.equal(await cat('deb-sysv-1', '/etc/fp-facts'), 'fqdn=deb-sysv-1.fleet.test domain=fleet.test host=deb-sysv-1 release=bookworm major=12 virt=lxc/guest\n');
  assert.match(await cat('c6-1', '/etc/fp-facts'), /^fqdn=c6-1\.fleet\.test domain=fleet\.test host=c6-1 release=Final major=6 virt=/);
  assert.match(await cat('freebsd-1', '/etc/fp-facts'), /release=14\.1-RELEASE-p3 major=14 /);
  assert.equal(await cat('deb-sysv-1', '/etc/fp-route'), '10.77.0.5 dev fpa via 10.77.0.1; fd77::5 via fd77::1; all=10.77.0.5\n');
  assert.equal(await cat('c6-1', '/etc/fp-route'), 'MISSING\n', 'no default route: the guarded task is skipped');
  assert.equal(await cat('deb-sysv-1', '/etc/fp-local'), 'relay mail team\n');

  const again = await fleetplan(['apply', plan, '-i', inventory, '--json']);
  assert.equal(again.code, 0, again.stderr);
  for (const h of RELAYS) assert.deepEqual(tasksWith(again.json, h, 'changed'), [], h);
});

test('gather_facts: false: the OS identity only (no fqdn); a use of facts.fqdn fails validate; `fleetplan facts` still gathers all', { skip }, async () => {
  const nofacts = path.join(fixtures, 'nofacts.yml');
  assert.equal((await fleetplan(['validate', nofacts, '-i', inventory])).code, 0);
  const r = await fleetplan(['apply', nofacts, '-i', inventory, '--json']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(await cat('c6-1', '/etc/fp-nofacts'), 'RedHat c6-1\n');
  assert.equal(await cat('freebsd-1', '/etc/fp-nofqdn'), 'none\n', 'fqdn was not gathered');
  const bad = await fleetplan(['validate', path.join(fixtures, 'nofacts-bad.yml'), '-i', inventory]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout + bad.stderr, /nofacts-bad\.yml:5:\d+: .*undefined variable 'facts\.fqdn'/);
  const f = await fleetplan(['facts', '-i', inventory, '--json']);
  assert.equal(f.json['c6-1'].fqdn, 'c6-1.fleet.test');
});
