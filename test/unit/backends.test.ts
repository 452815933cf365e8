// Backends as data: which backend each OS gets, what their queries make of real tool output, and
// the exact commands they emit.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bsdrc } from '../../src/backends/init/bsdrc.js';
import { systemd, systemdDebian } from '../../src/backends/init/systemd.js';
import { chkconfig, sysv, updateRcD } from '../../src/backends/init/sysv.js';
import { pw } from '../../src/backends/accounts/pw.js';
import { apt } from '../../src/backends/package/apt.js';
import { freebsdPkg as pkg } from '../../src/backends/package/freebsd-pkg.js';
import { ports } from '../../src/backends/package/ports.js';
import { rpmBackend } from '../../src/backends/package/rpm.js';
import { selectBackends } from '../../src/backends/select.js';
import { parseFacts } from '../../src/facts/gather.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/unit/fixtures/facts');
const factsOf = (name: string) => parseFacts(JSON.parse(readFileSync(path.join(fixtures, `${name}.json`), 'utf8')).output);

test('backends are chosen from facts, per OS', () => {
  const table: Record<string, [string, string, string]> = {
    debian12: ['apt', 'systemd (update-rc.d)', 'shadow-utils'],
    'debian12-sysv': ['apt', 'sysv (update-rc.d)', 'shadow-utils'],
    centos6: ['yum', 'sysv (chkconfig)', 'shadow-utils'],
    centos7: ['yum', 'systemd', 'shadow-utils'],
    rocky9: ['dnf', 'systemd', 'shadow-utils'],
    freebsd14: ['pkg', 'bsdrc', 'pw'],
  };
  for (const [fixture, [p, i, a]] of Object.entries(table)) {
    const b = selectBackends(factsOf(fixture));
    assert.deepEqual([b.package.name, b.init.name, b.accounts.name], [p, i, a], fixture);
  }
});

test('an unknown OS fails on first use with a message naming use:', () => {
  const b = selectBackends(parseFacts('system=Plan9\n'));
  assert.throws(() => b.package.install(['x']), /no package backend for this host .*set `use: \(apt\|yum\|dnf\|pkg\|ports\)`/);
});

test('apt: dpkg-query status and apt-cache candidates', () => {
  const q = apt.query(['postfix', 'tree', 'gone'], { candidate: true });
  const out = 'postfix\tii \t3.7.11-0+deb12u1\ngone\trc \t1.0\n@@candidates\npostfix:\n  Installed: 3.7.11-0+deb12u1\n  Candidate: 3.7.11-0+deb12u1\ntree:\n  Installed: (none)\n  Candidate: 2.1.0-1\n';
  assert.deepEqual(q.parse(Buffer.from(out), 0), {
    postfix: { installed: '3.7.11-0+deb12u1', candidate: '3.7.11-0+deb12u1' },
    tree: { installed: null, candidate: '2.1.0-1' },
    gone: { installed: null },
  });
});

test('rpm: rpm -q lines and check-update', () => {
  const yum = rpmBackend('yum');
  const q = yum.query(['postfix', 'tree'], { candidate: true });
  const out = 'postfix\t2.6.6-8.el6\n@@updates\n\npostfix.x86_64    2:2.6.6-9.el6    base\n';
  assert.deepEqual(q.parse(Buffer.from(out), 0), { postfix: { installed: '2.6.6-8.el6', candidate: '2:2.6.6-9.el6' }, tree: { installed: null } });
  assert.equal(yum.install(['cyrus-sasl-plain', 'cyrus-sasl-md5']), 'yum -y install -- cyrus-sasl-plain cyrus-sasl-md5');
  assert.equal(rpmBackend('dnf').remove(['sendmail']), 'dnf -y remove -- sendmail');
});

test('pkg and ports: pkg info -e / pkg query lines; ports build by origin', () => {
  const q = pkg.query(['postfix', 'opendkim']);
  assert.match(q.script, /if pkg info -e postfix; then v=\$\(pkg query '%v' postfix\)/);
  assert.deepEqual(q.parse(Buffer.from('postfix\t3.9.1,1\t-\nopendkim\t-\t-\n'), 0), { postfix: { installed: '3.9.1,1' }, opendkim: { installed: null } });
  assert.equal(pkg.install(['postfix']), 'env ASSUME_ALWAYS_YES=yes pkg install -y postfix');
  assert.equal(ports.install(['mail/opendkim', 'mail/opendmarc']), 'make -C /usr/ports/mail/opendkim install clean BATCH=yes && make -C /usr/ports/mail/opendmarc install clean BATCH=yes');
  const pq = ports.query(['mail/opendkim', 'security/cyrus-sasl2']);
  assert.deepEqual(pq.parse(Buffer.from('security/cyrus-sasl2 2.1.28_5\nsecurity/sudo 1.9\n'), 0), {
    'mail/opendkim': { installed: null },
    'security/cyrus-sasl2': { installed: '2.1.28_5' },
  });
  assert.throws(() => ports.query(['opendkim']), /not a ports origin/);
});

test('init backends: commands per system', () => {
  assert.equal(systemd.command('enable', 'postfix'), 'systemctl enable --no-reload -- postfix');
  assert.equal(systemd.command('start', 'postfix'), 'systemctl start -- postfix');
  assert.equal(systemd.followUp?.command, 'systemctl daemon-reload');
  // Debian: update-rc.d, run by systemctl for a unit with an init script, leaves the reload to the follow-up.
  assert.equal(systemdDebian.command('disable', 'sendmail'), 'DPKG_ROOT=/ systemctl disable --no-reload -- sendmail');
  assert.equal(systemdDebian.command('restart', 'postfix'), 'systemctl restart -- postfix');
  assert.equal(sysv(updateRcD).command('disable', 'sendmail'), 'update-rc.d sendmail disable');
  assert.equal(sysv(chkconfig).command('disable', 'sendmail'), 'chkconfig sendmail off');
  assert.equal(sysv(chkconfig).command('start', 'postfix'), '/etc/init.d/postfix start');
  assert.equal(bsdrc.command('start', 'postfix'), 'service postfix onestart');
  assert.equal(bsdrc.command('enable', 'milter-opendkim'), 'service milter-opendkim enable');
  assert.equal(
    bsdrc.command('disable', 'sendmail'),
    'sysrc sendmail_enable=NONE sendmail_submit_enable=NO sendmail_outbound_enable=NO sendmail_msp_queue_enable=NO',
  );
});

test('init backends: state parsing', () => {
  // What the query prints: one `systemctl show` block per unit (properties in systemd's order, not
  // ours; aliases in Names), then is-enabled's answer for units whose unit file state is not conclusive.
  const show = [
    'Id=postfix.service', 'ActiveState=active', 'Names=postfix.service', 'LoadState=loaded', 'UnitFileState=enabled', '',
    'Id=nope.service', 'Names=nope.service', 'LoadState=not-found', 'ActiveState=inactive', 'UnitFileState=', '',
    'Id=opendmarc.service', 'Names=opendmarc.service', 'LoadState=loaded', 'ActiveState=inactive', 'UnitFileState=generated', '',
    'Id=old.service', 'Names=old.service', 'LoadState=loaded', 'ActiveState=active', 'UnitFileState=generated', '',
    'Id=hidden.service', 'Names=hidden.service', 'LoadState=masked', 'ActiveState=inactive', 'UnitFileState=masked', '',
    'Id=systemd-sysctl.service', 'Names=systemd-sysctl.service procps.service', 'LoadState=loaded', 'ActiveState=active', 'UnitFileState=static',
    '@@is-enabled', 'opendmarc.service=enabled', 'old.service=disabled', '',
  ].join('\n');
  assert.deepEqual(systemd.query(['postfix', 'nope', 'opendmarc', 'old', 'hidden', 'procps', 'systemd-sysctl', 'refused@']).parse(Buffer.from(show), 0), {
    postfix: { exists: true, running: true, enabled: true },
    nope: { exists: false, running: false, enabled: false },
    opendmarc: { exists: true, running: false, enabled: true },
    old: { exists: true, running: true, enabled: false },
    hidden: { exists: true, running: false, enabled: false },
    procps: { exists: true, running: true, enabled: true },
    'systemd-sysctl': { exists: true, running: true, enabled: true },
  });
  const rows = 'sendmail\t1\t0\t1\npostfix\t1\t3\t\nnope\t0\t\t\n';
  const expected = {
    sendmail: { exists: true, running: true, enabled: true },
    postfix: { exists: true, running: false, enabled: false },
    nope: { exists: false, running: false, enabled: false },
  };
  assert.deepEqual(sysv(chkconfig).query(['sendmail', 'postfix', 'nope']).parse(Buffer.from(rows), 0), expected);
  assert.deepEqual(bsdrc.query(['sendmail', 'postfix', 'nope']).parse(Buffer.from(rows), 0), expected);
  assert.match(bsdrc.query(['sendmail']).script, /sendmail_submit_enable/);
});

test('pw: FreeBSD account commands', () => {
  assert.equal(pw.addToGroups('postfix', ['mailnull', 'wheel']), 'pw groupmod mailnull -m postfix && pw groupmod wheel -m postfix');
  assert.equal(pw.createGroup('dkim', {}), 'pw groupadd dkim');
  assert.equal(pw.createUser('relay', { system: true }), 'pw useradd relay -s /usr/sbin/nologin');
});
