// Integration test of the freebsd personality: identity, pkg + ports, sysrc, rc.d/service with the
// base sendmail holding 127.0.0.1:25 until disabled, pw, opendkim as mailnull. Checked via real
// ssh (what fleetplan sees) and fleet.exec (state inside the host).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { down, up, type Fleet } from './fleet.js';
import { skipOrFail, unsupportedReason } from './prereqs.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false; // throws under CI=true
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-freebsd-test-');
after(async () => { if (out) { await down(out).catch(() => {}); rmSync(out, { recursive: true, force: true }); } });

type R = { code: number; stdout: string; stderr: string };
function ssh(f: Fleet, cmd: string): Promise<R> {
  const h = f.hosts[0]!;
  return new Promise((res) => {
    execFile('ssh', ['-F', '/dev/null', '-i', f.keyPath, '-o', `UserKnownHostsFile=${f.knownHostsPath}`,
      '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=20',
      `root@${h.address}`, cmd], { timeout: 120_000 }, (err, stdout, stderr) =>
      res({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 255) : 0, stdout, stderr }));
  });
}

test('freebsd personality', { skip, timeout: 600_000 }, async (t) => {
  const f = await up({ os: 'freebsd', count: 1, out, log: (m) => t.diagnostic(m) });
  const H = 'freebsd-1';
  const x = (cmd: string) => f.exec(H, cmd);

  await t.test('identity: uname, freebsd-version, os-release, no Debian tooling', async () => {
    const r = await ssh(f, 'uname -s; /usr/bin/uname -r; uname -m; freebsd-version; . /etc/os-release; echo "$ID $VERSION_ID"');
    assert.equal(r.stdout, 'FreeBSD\n14.1-RELEASE-p3\namd64\n14.1-RELEASE-p3\nfreebsd 14.1\n', r.stderr);
    const c = await ssh(f, 'for c in pkg sysrc service apt-get dpkg systemctl update-rc.d; do command -v $c >/dev/null && echo $c; done; ' +
      'test -e /etc/debian_version || echo no-debian_version; test -d /run/systemd/system || echo no-systemd');
    assert.equal(c.stdout, 'pkg\nsysrc\nservice\nno-debian_version\nno-systemd\n');
    assert.equal((await x('id -gn root; id -u mailnull; id -g mailnull')).stdout, 'wheel\n26\n26\n');
  });

  await t.test('boot: rc started the base sendmail (submit MTA) on 127.0.0.1:25', async () => {
    const r = await x('ss -Hltnp "sport = :25"');
    assert.match(r.stdout, /127\.0\.0\.1:25 .*sendmail: accep/);
    assert.equal((await ssh(f, 'service sendmail status')).stdout,
      `sendmail_submit is running as pid ${(await x('head -1 /var/run/sendmail.pid')).stdout.trim()}.\n` +
      `sendmail_msp_queue is running as pid ${(await x('head -1 /var/spool/clientmqueue/sm-client.pid')).stdout.trim()}.\n`);
  });

  await t.test('pkg: info -e, install, unknown package, query', async () => {
    assert.equal((await ssh(f, 'pkg info -e postfix')).code, 1);
    const i = await ssh(f, 'pkg install -y postfix opendkim');
    assert.equal(i.code, 0, i.stderr);
    assert.match(i.stdout, /Message from postfix-3\.9\.\d+,1:/);
    assert.equal((await ssh(f, 'pkg info -e postfix')).code, 0);
    assert.equal((await x('test -x /usr/local/etc/rc.d/postfix && test -x /usr/local/etc/rc.d/milter-opendkim && echo ok')).stdout, 'ok\n');
    assert.equal((await ssh(f, "pkg query '%n %v %o' opendkim")).stdout, 'opendkim 2.10.3_20 mail/opendkim\n');
    const u = await ssh(f, 'pkg install -y nosuchpkg');
    assert.equal(u.code, 1);
    assert.match(u.stderr, /^pkg: No packages available to install matching 'nosuchpkg' have been found in the repositories$/m);
    assert.equal((await ssh(f, 'pkg install -y postfix')).code, 0, 'already installed is success');
  });

  await t.test('ports: make install clean BATCH=yes registers in the pkg database', async () => {
    const r = await ssh(f, 'make -C /usr/ports/mail/opendmarc install clean BATCH=yes');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((await ssh(f, 'pkg info -e opendmarc && test -x /usr/local/etc/rc.d/opendmarc && echo ok')).stdout, 'ok\n');
    assert.notEqual((await ssh(f, 'make -C /usr/ports/mail/opendmarc install BATCH=yes')).code, 0, 'already installed');
  });

  await t.test('sysrc: formats, exit codes, real /etc/rc.conf edits', async () => {
    assert.deepEqual(await ssh(f, 'sysrc sendmail_enable'), { code: 0, stdout: 'sendmail_enable: NO\n', stderr: '' });
    assert.deepEqual(await ssh(f, 'sysrc nosuch_var'), { code: 1, stdout: '', stderr: "sysrc: unknown variable 'nosuch_var'\n" });
    assert.equal((await ssh(f, 'sysrc foo_flags="-a b"')).stdout, 'foo_flags:  -> -a b\n');
    assert.match((await x('cat /etc/rc.conf')).stdout, /^foo_flags="-a b"$/m);
    assert.equal((await ssh(f, 'sysrc foo_flags=-c')).stdout, 'foo_flags: -a b -> -c\n');
    assert.equal((await ssh(f, 'sysrc -n foo_flags; sysrc -e foo_flags')).stdout, '-c\nfoo_flags="-c"\n');
    assert.equal((await ssh(f, 'sysrc -x foo_flags')).code, 0);
    assert.doesNotMatch((await x('cat /etc/rc.conf')).stdout, /foo_flags/);
    assert.equal((await ssh(f, 'sysrc -x foo_flags')).code, 1);
  });

  await t.test('service: not enabled, busy port, enabled after sendmail NONE, status', async () => {
    const c = await ssh(f, 'service postfix start');
    assert.equal(c.stdout, "Cannot 'start' postfix. Set postfix_enable to YES in /etc/rc.conf or use 'onestart' instead of 'start'.\n");
    assert.equal(c.code, 0, 'rc.subr returns 0 here');
    assert.equal((await ssh(f, 'sysrc postfix_enable=YES')).stdout, 'postfix_enable:  -> YES\n');
    assert.notEqual((await ssh(f, 'service postfix start')).code, 0, 'sendmail holds 127.0.0.1:25');
    assert.deepEqual(await ssh(f, 'service postfix status'), { code: 1, stdout: 'postfix is not running.\n', stderr: '' });
    assert.equal((await ssh(f, 'sysrc sendmail_enable=NONE')).stdout, 'sendmail_enable: NO -> NONE\n');
    const s = await ssh(f, 'service sendmail stop');
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.match(s.stdout, /^Stopping sendmail\.$/m);
    const p = await ssh(f, 'service postfix start');
    assert.equal(p.code, 0, p.stdout + p.stderr);
    const st = await ssh(f, 'service postfix status');
    assert.equal(st.code, 0);
    const pid = (await x('head -1 /var/spool/postfix/pid/master.pid')).stdout.trim();
    assert.equal(st.stdout, `postfix is running as pid ${pid}.\n`);
    assert.match((await x('ss -Hltnp "sport = :25"')).stdout, /"master"/);
    assert.match((await ssh(f, 'service -e')).stdout, /^\/usr\/local\/etc\/rc\.d\/postfix$/m);
  });

  await t.test('pw: groupmod -m adds a member; unknown names fail as pw(8)', async () => {
    assert.equal((await ssh(f, 'pw groupmod mailnull -m postfix')).code, 0);
    assert.match((await ssh(f, 'id -Gn postfix')).stdout, /\bmailnull\b/);
    assert.equal((await ssh(f, 'pw groupshow mailnull')).stdout, 'mailnull:*:26:postfix\n');
    assert.equal((await ssh(f, 'pw groupmod nosuchgroup -m postfix')).code, 65);
    assert.equal((await ssh(f, 'pw usershow nosuchuser')).code, 67);
  });

  await t.test('milter-opendkim runs opendkim as mailnull', async () => {
    await ssh(f, 'sysrc milteropendkim_enable=YES');
    const r = await ssh(f, 'service milter-opendkim start');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, 'Starting milteropendkim.\n');
    const pid = (await x('cat /var/run/milteropendkim/pid')).stdout.trim();
    assert.equal((await x(`ps -o user= -p ${pid}`)).stdout.trim(), 'mailnull');
    assert.equal((await x('test -S /var/run/milteropendkim/socket && echo sock')).stdout, 'sock\n');
  });
});
