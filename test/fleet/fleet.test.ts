// Integration test of the harness itself: real OpenSSH client against one host of each personality,
// state verified from inside the hosts via nsenter, and a full teardown check.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { down, up, type Fleet } from './fleet.js';
import { skipOrFail, unsupportedReason } from './prereqs.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false; // throws under CI=true

const out = skip ? '' : mkdtempSync('/tmp/fleetplan-fleet-test-');
let fleet: Fleet | undefined;
// Teardown runs even when assertions (or up itself) fail.
after(async () => { if (out) { await down(out).catch(() => {}); rmSync(out, { recursive: true, force: true }); } });

function ssh(f: Fleet, user: string, address: string, cmd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile('ssh', ['-F', '/dev/null', '-i', f.keyPath, '-o', `UserKnownHostsFile=${f.knownHostsPath}`,
      '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=20',
      `${user}@${address}`, cmd], { timeout: 60_000 }, (err, stdout, stderr) =>
      res({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 255) : 0, stdout, stderr }));
  });
}

const alive = (pid: number) => {
  try { return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'); } catch { return false; }
};

test('test fleet: one host per personality, real ssh, clean teardown', { skip, timeout: 300_000 }, async (t) => {
  fleet = await up({ os: ['debian-systemd', 'debian-sysv'], count: 1, out, log: (m) => t.diagnostic(m) });
  const f = fleet;
  assert.deepEqual(f.hosts.map((h) => [h.name, h.os]), [['deb-systemd-1', 'debian-systemd'], ['deb-sysv-1', 'debian-sysv']]);

  const inv = readFileSync(f.inventoryPath, 'utf8');
  for (const h of f.hosts) assert.match(inv, new RegExp(`${h.name}: \\{ ssh_host: ${h.address.replace(/\./g, '\\.')}, ssh_port: 22 \\}`));
  assert.match(inv, /debian_systemd:/); assert.match(inv, /debian_sysv:/);
  const known = readFileSync(f.knownHostsPath, 'utf8').trim().split('\n');
  assert.equal(known.length, 2);
  assert.notEqual(known[0]!.split(' ')[2], known[1]!.split(' ')[2], 'each host has its own host key');

  for (const h of f.hosts) {
    await t.test(`${h.name}: ssh as root and as fleet (sudo)`, async () => {
      const r = await ssh(f, 'root', h.address, 'hostname');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), h.name);
      const s = await ssh(f, 'fleet', h.address, 'sudo -n true && id -un');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout.trim(), 'fleet');
    });
    await t.test(`${h.name}: isolated namespaces, verified via exec`, async () => {
      const r = await f.exec(h.name, 'hostname; ip -o link | wc -l; test -f /etc/postfix/main.cf && echo main.cf');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), [h.name, '1', 'main.cf']); // only lo
      const log = await f.exec(h.name, 'grep -c "Starting session" /var/log/sshd.log');
      assert.ok(Number(log.stdout) >= 2, `sshd logs sessions: ${log.stdout}`);
      const pam = await f.exec(h.name, 'sshd -T | grep -i "^usepam "');
      assert.equal(pam.stdout.trim(), 'usepam yes', 'the default sshd is the distribution\'s, PAM included');
    });
  }

  await t.test('debian-systemd: systemd is PID 1 and booted', async () => {
    const r = await f.exec('deb-systemd-1', 'cat /proc/1/comm; systemctl is-system-running');
    assert.equal(r.stdout, "systemd\nrunning\n", "no failed units (degraded = cgroup or image regression)");
    const s = await ssh(f, 'root', f.hosts[0]!.address, 'systemctl start postfix && systemctl is-active postfix');
    assert.equal(s.stdout.trim(), 'active', s.stderr);
  });

  await t.test('debian-sysv: no systemd, service/init.d work', async () => {
    const r = await f.exec('deb-sysv-1', 'test ! -e /run/systemd/system && echo no-systemd');
    assert.equal(r.stdout.trim(), 'no-systemd');
    const st = await ssh(f, 'root', f.hosts[1]!.address, 'service postfix status');
    assert.equal(st.code, 3, `stopped postfix → LSB status 3: ${st.stdout}${st.stderr}`);
    const s = await ssh(f, 'root', f.hosts[1]!.address, 'service postfix start >/dev/null && /etc/init.d/postfix status');
    assert.equal(s.code, 0, s.stdout + s.stderr);
  });

  await t.test('killSshd drops connections, new ones still work', async () => {
    await f.killSshd('deb-sysv-1');
    assert.equal((await ssh(f, 'root', f.hosts[1]!.address, 'true')).code, 0);
  });

  await t.test('down removes everything and is idempotent', async () => {
    const state = JSON.parse(readFileSync(join(out, 'fleet.json'), 'utf8'));
    const pids: number[] = state.hosts.flatMap((h: any) => [h.init?.pid, h.launcher?.pid, h.socat?.pid]).filter(Boolean);
    assert.equal(pids.length, 6);
    await down(out);
    assert.deepEqual(pids.filter(alive), [], 'no fleet process left');
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(out));
    assert.deepEqual(mounts, [], 'no mounts under out/');
    assert.deepEqual(readdirSync(out), [], 'out/ emptied');
    for (const h of f.hosts) assert.ok(!existsSync(`/run/fleetplan-fleet/${h.address}`), 'address released');
    await down(out); // idempotent
  });
});

test('test fleet: sshd light logs in without PAM', { skip, timeout: 300_000 }, async () => {
  const lightOut = mkdtempSync('/tmp/fleetplan-fleet-light-');
  try {
    const f = await up({ os: 'debian-sysv', count: 1, out: lightOut, sshd: 'light' });
    const pam = await f.exec('deb-sysv-1', 'sshd -T | grep -i "^usepam "');
    assert.equal(pam.stdout.trim(), 'usepam no', pam.stderr);
    const r = await ssh(f, 'root', f.hosts[0]!.address, 'hostname');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'deb-sysv-1');
    const s = await ssh(f, 'fleet', f.hosts[0]!.address, 'sudo -n true && id -un');
    assert.equal(s.stdout.trim(), 'fleet', s.stderr);
  } finally {
    await down(lightOut);
    rmSync(lightOut, { recursive: true, force: true });
  }
});
