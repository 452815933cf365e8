// The same plan on every OS personality (test/integration/fixtures/os-plan.yml: install packages,
// stop+disable the unwanted MTA, write a file that fires handlers, start+enable Postfix):
// check → nothing touched → apply changes exactly what check predicted → the host's own records
// (dpkg/rpm/pkg databases, rcN.d links, rc.conf, systemctl, running processes) show the result →
// a re-run changes nothing in one exec session. Plus a play only for FreeBSD hosts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, PERSONALITIES, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, repoRoot, tasksWith } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-os-');
const plan = path.join(repoRoot, 'test/integration/fixtures/os-plan.yml');
const freebsdOnly = path.join(repoRoot, 'test/integration/fixtures/freebsd-only.yml');
let fleet: Fleet;

interface Personality {
  facts: { os_family: string; init: string; pkg_mgr: string; distribution: string; distribution_major: number };
  /** Before the plan: make the unwanted service run (where the image does not already). */
  setup?: string;
  /** Prints "untouched" when the host still has its initial state. */
  untouched: string;
  /** Prints the state after apply, one fact per line, compared with `expected`. */
  state: string;
  expected: string[];
}

const PERSONALITY: Record<string, Personality> = {
  'debian-systemd': {
    facts: { os_family: 'Debian', init: 'systemd', pkg_mgr: 'apt', distribution: 'debian', distribution_major: 12 },
    setup: 'systemctl enable --now opendkim',
    untouched: 'dpkg-query -W tree 2>/dev/null || { systemctl is-active -q opendkim && echo untouched; }',
    state:
      "dpkg-query -W -f='${Status}\\n' tree; systemctl is-active opendkim; systemctl is-enabled opendkim; systemctl is-active postfix; systemctl is-enabled postfix",
    expected: ['install ok installed', 'inactive', 'disabled', 'active', 'enabled'],
  },
  'debian-sysv': {
    facts: { os_family: 'Debian', init: 'sysv', pkg_mgr: 'apt', distribution: 'debian', distribution_major: 12 },
    setup: 'update-rc.d opendkim enable && service opendkim start',
    untouched: 'dpkg-query -W tree 2>/dev/null || { /etc/init.d/opendkim status >/dev/null && echo untouched; }',
    state:
      "dpkg-query -W -f='${Status}\\n' tree; /etc/init.d/opendkim status >/dev/null; echo opendkim-status=$?; ls /etc/rc2.d | grep -c '^S..opendkim$'; /etc/init.d/postfix status >/dev/null; echo postfix-status=$?; ls /etc/rc2.d | grep -c '^S..postfix$'",
    expected: ['install ok installed', 'opendkim-status=3', '0', 'postfix-status=0', '1'],
  },
  freebsd: {
    facts: { os_family: 'FreeBSD', init: 'bsdrc', pkg_mgr: 'pkg', distribution: 'freebsd', distribution_major: 14 },
    untouched: 'pkg info -e postfix || { service sendmail onestatus >/dev/null && echo untouched; }',
    state:
      'pkg info -e postfix && pkg info -e cyrus-sasl && echo packages; sysrc -n sendmail_enable sendmail_submit_enable; service sendmail onestatus >/dev/null; echo sendmail-status=$?; sysrc -n postfix_enable; service postfix status',
    expected: ['packages', 'NONE', 'NO', 'sendmail-status=1', 'YES'],
  },
  centos6: {
    facts: { os_family: 'RedHat', init: 'sysv', pkg_mgr: 'yum', distribution: 'centos', distribution_major: 6 },
    untouched: 'rpm -q cyrus-sasl-plain >/dev/null || { service sendmail status >/dev/null && echo untouched; }',
    state:
      'rpm -q --qf "%{NAME}\\n" cyrus-sasl-plain cyrus-sasl-md5; chkconfig --list sendmail | tr -s "\\t " " "; service sendmail status >/dev/null; echo sendmail-status=$?; chkconfig postfix && echo postfix-on; ls /etc/rc.d/rc3.d | grep -c "^S..postfix$"; service postfix status >/dev/null; echo postfix-status=$?',
    expected: ['cyrus-sasl-plain', 'cyrus-sasl-md5', 'sendmail 0:off 1:off 2:off 3:off 4:off 5:off 6:off', 'sendmail-status=3', 'postfix-on', '1', 'postfix-status=0'],
  },
  centos7: {
    facts: { os_family: 'RedHat', init: 'systemd', pkg_mgr: 'yum', distribution: 'centos', distribution_major: 7 },
    setup: 'rpm -q sendmail >/dev/null || yum -y -q install sendmail >/dev/null; systemctl stop postfix; systemctl enable --now sendmail',
    untouched: 'rpm -q cyrus-sasl-plain >/dev/null || { systemctl is-active -q sendmail && echo untouched; }',
    state:
      'rpm -q --qf "%{NAME}\\n" cyrus-sasl-plain cyrus-sasl-md5; systemctl is-active sendmail; systemctl is-enabled sendmail; systemctl is-active postfix; systemctl is-enabled postfix',
    expected: ['cyrus-sasl-plain', 'cyrus-sasl-md5', 'inactive', 'disabled', 'active', 'enabled'],
  },
};

const hostsFor = () => fleet.hosts.filter((h) => PERSONALITY[h.os]);
const sessions = async (host: string) => Number((await fleet.exec(host, 'grep -c "Starting session" /var/log/sshd.log || true')).stdout.trim());
let checked: any;

before(async () => {
  if (skip) return;
  fleet = await up({ os: PERSONALITIES.filter((p) => PERSONALITY[p]), count: 1, out });
  for (const h of hostsFor()) {
    const setup = PERSONALITY[h.os]!.setup;
    if (!setup) continue;
    const r = await fleet.exec(h.name, `{ ${setup}; } >/dev/null 2>&1; ${PERSONALITY[h.os]!.untouched}`);
    assert.equal(r.stdout.trim(), 'untouched', `${h.name}: test setup: ${r.stderr}`);
  }
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

test('facts: each personality is recognised as its OS', { skip }, async () => {
  const r = await fleetplan(['facts', '-i', fleet.inventoryPath, '--json']);
  assert.equal(r.code, 0, r.stderr);
  for (const h of hostsFor()) {
    for (const [k, v] of Object.entries(PERSONALITY[h.os]!.facts)) assert.equal(r.json[h.name][k], v, `${h.name} ${k}`);
  }
});

test('check: every change predicted, nothing touched', { skip }, async () => {
  const r = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--check', '--json']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  checked = r.json;
  for (const h of hostsFor()) {
    assert.deepEqual(tasksWith(r.json, h.name, 'failed'), [], `${h.name}: ${JSON.stringify(r.json.hosts[h.name])}`);
    const predicted = tasksWith(r.json, h.name, 'changed');
    assert.ok(predicted.includes('handler:record handler run'), `${h.name} would fire the handler`);
    assert.ok(predicted.includes('install packages'), `${h.name} would install`);
    const st = await fleet.exec(h.name, PERSONALITY[h.os]!.untouched);
    assert.equal(st.stdout.trim(), 'untouched', `${h.name} untouched by check`);
  }
});

test('apply: exactly the predicted changes; the OS records show the result', { skip }, async () => {
  const r = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--json']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  for (const h of hostsFor()) {
    assert.deepEqual(tasksWith(r.json, h.name, 'failed'), [], `${h.name}: ${JSON.stringify(r.json.hosts[h.name].tasks.filter((t: any) => t.error))}`);
    assertPredicted(checked, r.json, h.name);
    const p = PERSONALITY[h.os]!;
    const st = await fleet.exec(h.name, `${p.state}; wc -l < /var/tmp/fleetplan-handler.log`);
    const lines = st.stdout.trim().split('\n').map((l) => l.trim());
    assert.deepEqual(lines.slice(0, p.expected.length), p.expected, `${h.name} state:\n${st.stdout}${st.stderr}`);
    assert.equal(lines.at(-1), '1', `${h.name}: the handler ran once`);
  }
});

test('re-apply: zero changes, one exec session per host', { skip }, async () => {
  const before = Object.fromEntries(await Promise.all(hostsFor().map(async (h) => [h.name, await sessions(h.name)] as const)));
  const r = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--json']);
  assert.equal(r.code, 0, r.stderr);
  for (const h of hostsFor()) {
    assert.deepEqual(tasksWith(r.json, h.name, 'changed'), [], h.name);
    const used = (await sessions(h.name)) - before[h.name]!;
    assert.equal(used, 1, `${h.name}: ${used} sessions`);
  }
});

test('a play for FreeBSD hosts only changes the FreeBSD host of a mixed inventory', { skip }, async () => {
  const r = await fleetplan(['apply', freebsdOnly, '-i', fleet.inventoryPath, '--json']);
  assert.equal(r.code, 0, r.stderr);
  for (const h of hostsFor()) {
    const expected = h.os === 'freebsd' ? ['FreeBSD marker'] : [];
    assert.deepEqual(tasksWith(r.json, h.name, 'changed'), expected, h.name);
    const st = await fleet.exec(h.name, 'test -e /var/tmp/freebsd-only && echo present || echo absent');
    assert.equal(st.stdout.trim(), h.os === 'freebsd' ? 'present' : 'absent', h.name);
  }
});
