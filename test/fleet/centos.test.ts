// Integration test of the centos6/centos7 personalities: identity, real rpm/dnf state from the
// local repository, chkconfig links, RedHat `service`, the sendmail stand-in holding :25 on CentOS 6,
// systemd units on CentOS 7, and fleetplan's fact detection. Checked via nsenter (fleet.exec) and
// real ssh.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { down, up, type Fleet } from './fleet.js';
import { skipOrFail, unsupportedReason } from './prereqs.js';
import { FACTS_SCRIPT, parseFacts } from '../../src/facts/gather.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false; // throws under CI=true

const out = skip ? '' : mkdtempSync('/tmp/fleetplan-centos-test-');
// Teardown runs even when assertions (or up itself) fail.
after(async () => { if (out) { await down(out).catch(() => {}); rmSync(out, { recursive: true, force: true }); } });

function ssh(f: Fleet, address: string, cmd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile('ssh', ['-F', '/dev/null', '-i', f.keyPath, '-o', `UserKnownHostsFile=${f.knownHostsPath}`,
      '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=20',
      `root@${address}`, cmd], { timeout: 120_000 }, (err, stdout, stderr) =>
      res({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 255) : 0, stdout, stderr }));
  });
}

const SMTP_BANNER = `python3 -c 'import socket; s = socket.create_connection(("127.0.0.1", 25), 5); print(s.recv(200).decode().strip())'`;
const LIST = (name: string, on: string) =>
  new RegExp(`^${name} *\\t${[0, 1, 2, 3, 4, 5, 6].map((l) => `${l}:${on.includes(String(l)) ? 'on' : 'off'}`).join('\\t')}$`, 'm');

test('centos6 + centos7 personalities', { skip, timeout: 600_000 }, async (t) => {
  const f = await up({ os: ['centos6', 'centos7'], count: 1, out, log: (m) => t.diagnostic(m) });
  const [c6, c7] = f.hosts;
  assert.deepEqual(f.hosts.map((h) => [h.name, h.os]), [['c6-1', 'centos6'], ['c7-1', 'centos7']]);
  const x = async (host: string, cmd: string) => f.exec(host, cmd);

  await t.test('identity files', async () => {
    const r6 = await x('c6-1', 'cat /etc/redhat-release /etc/centos-release /etc/system-release; ls /etc/os-release /etc/debian_version 2>&1 | wc -l; readlink /etc/init.d');
    assert.equal(r6.stdout, 'CentOS release 6.10 (Final)\n'.repeat(3) + '2\nrc.d/init.d\n');
    assert.match((await x('c6-1', 'ls /etc/os-release 2>&1')).stdout, /No such file/);
    const r7 = await x('c7-1', '. /etc/os-release; echo "$NAME|$VERSION|$ID|$ID_LIKE|$VERSION_ID"; cat /etc/redhat-release; test -e /etc/debian_version || echo no-debian');
    assert.equal(r7.stdout, 'CentOS Linux|7 (Core)|centos|rhel fedora|7\nCentOS Linux release 7.9.2009 (Core)\nno-debian\n');
    const s = await ssh(f, c6!.address, 'cat /etc/redhat-release; test -s /etc/pki/tls/certs/ca-bundle.crt && echo ca');
    assert.equal(s.stdout, 'CentOS release 6.10 (Final)\nca\n', s.stderr);
  });

  await t.test('fleetplan facts: RedHat family, sysv/systemd, yum', async () => {
    const f6 = parseFacts((await x('c6-1', FACTS_SCRIPT)).stdout);
    assert.deepEqual([f6.os_family, f6.distribution, f6.distribution_version, f6.init, f6.pkg_mgr], ['RedHat', 'centos', '6.10', 'sysv', 'yum']);
    const f7 = parseFacts((await x('c7-1', FACTS_SCRIPT)).stdout);
    assert.deepEqual([f7.os_family, f7.distribution, f7.distribution_version, f7.init, f7.pkg_mgr], ['RedHat', 'centos', '7.9.2009', 'systemd', 'yum']);
  });

  for (const h of [c6!, c7!]) {
    await t.test(`${h.name}: rpm state, yum install/remove offline`, async () => {
      const q = await ssh(f, h.address, 'rpm -q postfix');
      assert.equal(q.code, 0, q.stderr);
      assert.match(q.stdout, h.os === 'centos6' ? /^postfix-2\.6\.6-8\.el6\.x86_64$/m : /^postfix-2\.10\.1-9\.el7\.x86_64$/m);
      const nq = await ssh(f, h.address, 'rpm -q tree');
      assert.deepEqual([nq.code, nq.stdout], [1, 'package tree is not installed\n']);
      const inst = await ssh(f, h.address, 'yum -y install tree cyrus-sasl-plain');
      assert.equal(inst.code, 0, inst.stdout + inst.stderr);
      const q2 = await x(h.name, 'rpm -q tree cyrus-sasl-plain && tree -L 1 /etc/rc.d >/dev/null && ls /usr/lib/x86_64-linux-gnu/sasl2/libplain.so.2');
      assert.equal(q2.code, 0, q2.stdout + q2.stderr);
      const rm = await ssh(f, h.address, 'yum -y remove tree');
      assert.equal(rm.code, 0, rm.stdout + rm.stderr);
      const q3 = await x(h.name, 'rpm -q tree; command -v tree || echo gone');
      assert.deepEqual([q3.code, q3.stdout], [0, 'package tree is not installed\ngone\n']);
      const nomatch = await x(h.name, 'yum -y install no-such-package');
      assert.equal(nomatch.code, 1);
    });
  }

  await t.test('milters: yum install opendkim opendmarc, then they run (init scripts on 6, units on 7)', async () => {
    const m6 = await x('c6-1', 'yum -y install opendkim opendmarc >/dev/null && service opendkim start && service opendmarc start && service opendkim status && service opendmarc status');
    assert.equal(m6.code, 0, m6.stdout + m6.stderr);
    const m7 = await x('c7-1', 'yum -y install opendkim opendmarc >/dev/null && systemctl start opendkim opendmarc && systemctl is-active opendkim opendmarc');
    assert.equal(m7.stdout, 'active\nactive\n', m7.stderr);
    const rm = await x('c6-1', 'yum -y remove opendkim >/dev/null; test ! -e /usr/sbin/opendkim && ! pidof opendkim && chkconfig --list opendkim');
    assert.deepEqual([rm.code, rm.stderr], [1, 'error reading information on service opendkim: No such file or directory\n'], 'remove stops it and deletes script + binary');
  });

  await t.test('centos6: chkconfig keeps real rc.d links', async () => {
    const on = await ssh(f, c6!.address, 'chkconfig postfix on && ls /etc/rc.d/rc3.d /etc/rc3.d && chkconfig --list postfix && chkconfig postfix');
    assert.equal(on.code, 0, on.stderr);
    assert.match(on.stdout, /^S80postfix$/m);
    assert.match(on.stdout, LIST('postfix', '2345'));
    const off = await x('c6-1', 'chkconfig --level 3 postfix off; ls /etc/rc.d/rc3.d | grep postfix; chkconfig --list postfix; chkconfig postfix');
    assert.equal(off.code, 1, 'query is off in runlevel 3');
    assert.match(off.stdout, /^K30postfix$/m);
    assert.match(off.stdout, LIST('postfix', '245'));
    const all = await x('c6-1', 'chkconfig --list');
    assert.match(all.stdout, LIST('sendmail', '2345'));
    const bad = await x('c6-1', 'chkconfig --list nosuch');
    assert.deepEqual([bad.code, bad.stderr], [1, 'error reading information on service nosuch: No such file or directory\n']);
    await x('c6-1', 'chkconfig postfix off');
  });

  await t.test('centos6: sendmail holds :25 after boot, postfix cannot start until it is stopped', async () => {
    const st = await x('c6-1', 'service sendmail status');
    assert.equal(st.code, 0, st.stdout);
    assert.match(st.stdout, /^sendmail \(pid +\d+\) is running\.\.\.$/m);
    assert.match((await x('c6-1', SMTP_BANNER)).stdout, /^220 c6-1\.fleet\.test ESMTP Sendmail 8\.14\.4\/8\.14\.4; /);
    const pst = await ssh(f, c6!.address, 'service postfix status');
    assert.deepEqual([pst.code, pst.stdout], [3, 'master is stopped\n']);
    const fail = await ssh(f, c6!.address, 'service postfix start');
    assert.notEqual(fail.code, 0, `postfix must not start while sendmail holds :25: ${fail.stdout}`);
    assert.match(fail.stdout, /FAILED/);
    const stop = await ssh(f, c6!.address, 'service sendmail stop');
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    const ok = await ssh(f, c6!.address, 'service postfix start && service postfix status');
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^master \(pid +\d+\) is running\.\.\.$/m);
    assert.equal((await x('c6-1', 'service postfix start')).code, 0, 'start of a running service succeeds');
    assert.equal((await x('c6-1', 'service nosuch status')).stderr, 'nosuch: unrecognized service\n');
  });

  await t.test('centos7: systemd units for postfix and sendmail', async () => {
    const r = await x('c7-1', 'systemctl is-system-running; systemctl is-enabled postfix; systemctl is-active postfix');
    assert.equal(r.stdout, 'running\nenabled\nactive\n', 'postfix enabled and running after boot, as on CentOS 7');
    const q = await x('c7-1', 'chkconfig postfix');
    assert.deepEqual([q.code, q.stderr], [0, "Note: Forwarding request to 'systemctl is-enabled postfix.service'.\n"]);
    const stop = await ssh(f, c7!.address, 'service postfix stop; service postfix status');
    assert.equal(stop.code, 3, stop.stdout + stop.stderr);
    const sm = await ssh(f, c7!.address, `yum -y install sendmail && systemctl start sendmail && systemctl is-active sendmail && ${SMTP_BANNER}`);
    assert.equal(sm.code, 0, sm.stdout + sm.stderr);
    assert.match(sm.stdout, /^220 c7-1\.fleet\.test ESMTP Sendmail 8\.14\.7\/8\.14\.7; /m);
    // postfix.service Conflicts=sendmail.service, as on CentOS 7: starting postfix stops sendmail.
    const pf = await x('c7-1', 'systemctl start postfix; systemctl is-active postfix sendmail');
    assert.equal(pf.stdout, 'active\ninactive\n', pf.stderr);
  });
});
