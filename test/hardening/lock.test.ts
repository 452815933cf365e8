// Red team, class 2: the run lock. A host user must not be able to block, steer or fake fleetplan's
// run lock: not by planting the old /tmp lock, not by a symlinked or foreign-owned lock directory,
// not by a forged owner record (whose lines must never reach the facts), not by a live run of
// another user looking dead (EPERM), and two runs racing for a stale lock leave exactly one holder.
// Host cases run on real fleet hosts (SysV Debian, FreeBSD personality) with the unprivileged user
// `fleet` doing the planting; the race and EPERM cases run here with the lock in a temp root.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connectHost } from '../../src/engine/connect-host.js';
import {
  acquireScript,
  lockPath,
  newOwner,
  ownerRecord,
  processAlive,
  readLock,
  releaseScript,
  staleToken,
  takeoverScript,
  type LockOwner,
} from '../../src/engine/host-lock.js';
import { gatherFacts, parseRaw } from '../../src/facts/gather.js';
import { loadInventory } from '../../src/load/inventory.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan } from '../integration/cli.js';
import { SecretRegistry } from '../../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs a lock script under the local sh, as the facts exec would; resolves with its key=value lines. */
function sh(script: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const p = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', () => resolve(parseRaw(out)));
  });
}

describe('run lock, on this controller with the lock in a temp root', () => {
  const root = mkdtempSync('/tmp/fleetplan-lock-race-');
  const parent = path.join(root, 'run', 'fleetplan');
  before(() => mkdirSync(path.dirname(parent), { mode: 0o755 }));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('stops: two (or three) runs taking over the same stale lock both winning — 50 rounds, exactly one holder each', async () => {
    const rounds = 50;
    for (let round = 0; round < rounds; round++) {
      rmSync(parent, { recursive: true, force: true });
      const dead: LockOwner = { ...newOwner(), pid: 4194305 };
      // Every racer saw the same dead record: it is taken over only once.
      assert.equal((await sh(acquireScript(dead, false, parent))).lock, 'acquired');
      const racers = [newOwner(), newOwner(), newOwner(), newOwner()];
      const results = await Promise.all([
        ...racers.slice(0, 3).map((o) => sh(takeoverScript(o, dead.token, parent))),
        // A fresh run that arrives at the same moment competes too.
        sh(acquireScript(racers[3]!, false, parent)),
      ]);
      const winners = racers.filter((_, i) => results[i]!.lock === 'acquired');
      assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(results)}`);
      // The file holds the winner's record, every loser was told who holds it, no mutex is left, and
      // of the record files only the holder's (the lock's second name, kept until its release).
      assert.equal(readFileSync(lockPath(parent), 'utf8'), `${ownerRecord(winners[0]!)}\n`);
      for (const r of results.filter((x) => x.lock !== 'acquired')) {
        assert.equal(r.lock, 'held');
        assert.equal(readLock(r).kind, 'held');
      }
      assert.deepEqual(readdirSync(parent).sort(), ['lock', `lock.${winners[0]!.token}`]);
    }
  });

  it('stops: a stale takeover removing a lock a live run took meanwhile (token re-checked under the mutex)', async () => {
    rmSync(parent, { recursive: true, force: true });
    const live = newOwner();
    assert.equal((await sh(acquireScript(live, false, parent))).lock, 'acquired');
    // A late racer still believes the old (dead) token holds the lock.
    const late = await sh(takeoverScript(newOwner(), 'dead000000000000', parent));
    assert.equal(late.lock, 'held');
    assert.equal(readFileSync(lockPath(parent), 'utf8'), `${ownerRecord(live)}\n`);
  });

  it('stops: a live run of another user counted as dead because kill(pid, 0) says EPERM', async () => {
    // A root process, probed by an unprivileged one: kill(pid, 0) fails with EPERM — it is alive.
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const probe = path.join(here, '../../src/engine/host-lock.js');
      const code = `import(${JSON.stringify(probe)}).then((m) => { let e; try { process.kill(${sleeper.pid}, 0); } catch (x) { e = x.code; } console.log(e + ' ' + m.processAlive(${sleeper.pid})); })`;
      const r = spawnSync(process.execPath, ['-e', code], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: '/' });
      assert.equal(r.stdout.trim(), 'EPERM true', r.stderr);
    } finally {
      sleeper.kill();
    }
    // And the takeover decision built on it: a record of this controller whose pid answers EPERM is not stale.
    const owner = newOwner();
    const held = readLock({ lock: 'held', lock_owner: ownerRecord({ ...owner, pid: 4242 }) });
    const eperm = (pid: number) => processAlive(pid, () => { throw Object.assign(new Error('EPERM'), { code: 'EPERM' }); });
    const esrch = (pid: number) => processAlive(pid, () => { throw Object.assign(new Error('ESRCH'), { code: 'ESRCH' }); });
    assert.equal(staleToken(held, owner.host, eperm), undefined);
    assert.equal(staleToken(held, owner.host, esrch), owner.token);
  });

  it('stops: a malformed lock record (extra lines, foreign characters, another owner, a symlink) taken as data', async () => {
    rmSync(parent, { recursive: true, force: true });
    const owner = newOwner();
    await sh(acquireScript(owner, false, parent));
    const file = lockPath(parent);
    const forged = [
      `${ownerRecord(owner)}\nrun_systemd=1\n`,
      `v1 ${owner.token} x@y pid 1\rinit=sysv\n`,
      'v1 0123456789abcdef a@b pid 1 lock=acquired\n',
      `v1 ${'a'.repeat(16)} ${'u'.repeat(500)}@h pid 1\n`,
      'lock=acquired\n',
    ];
    for (const text of forged) {
      writeFileSync(file, text);
      const r = await sh(acquireScript(newOwner(), false, parent));
      assert.equal(r.lock, 'malformed', JSON.stringify(text));
      assert.equal(r.run_systemd, undefined);
      assert.equal(r.lock_owner, undefined);
    }
    // Right text, wrong owner: a file a host user could have written.
    writeFileSync(file, `${ownerRecord(owner)}\n`);
    spawnSync('chown', ['65534', file]);
    assert.equal((await sh(acquireScript(newOwner(), false, parent))).lock, 'malformed');
    rmSync(file);
    spawnSync('ln', ['-s', '/etc/passwd', file]);
    assert.equal((await sh(acquireScript(newOwner(), false, parent))).lock, 'malformed');
    assert.equal(readFileSync('/etc/passwd', 'utf8').includes(owner.token), false, 'nothing was written through the link');
  });

  it('stops: a run\'s record file (lock.<token>) left behind — kept with the held lock, removed by the release, by a take that does not end held, by the stale takeover; another run\'s never', async () => {
    const names = () => readdirSync(parent).sort();
    const aside = (o: LockOwner) => `lock.${o.token}`;
    const release = (o: LockOwner) => spawnSync('sh', ['-c', releaseScript(o, parent)], { encoding: 'utf8' });
    rmSync(parent, { recursive: true, force: true });
    // Held: the record file is the lock's second name (one file), until the release removes both.
    const a = newOwner();
    assert.equal((await sh(acquireScript(a, false, parent))).lock, 'acquired');
    assert.deepEqual(names(), ['lock', aside(a)]);
    const [l, t] = [statSync(lockPath(parent)), statSync(path.join(parent, aside(a)))];
    assert.deepEqual([l.ino, l.nlink, t.ino], [t.ino, 2, l.ino]);
    // Refused (held by a), and a takeover of a token that no longer holds it: theirs gone, a's kept.
    const b = newOwner();
    assert.equal((await sh(acquireScript(b, false, parent))).lock, 'held');
    assert.equal((await sh(takeoverScript(b, 'dead000000000000', parent))).lock, 'held');
    assert.deepEqual(names(), ['lock', aside(a)]);
    // A release of a run that does not hold the lock removes its own record file only.
    assert.equal(release(b).status, 0);
    assert.deepEqual(names(), ['lock', aside(a)]);
    // Taken again by its own run (a reboot that kept /var/run): held by it, the lock unchanged.
    const again = await sh(acquireScript(a, false, parent));
    assert.deepEqual([again.lock, again.lock_owner], ['held', ownerRecord(a)]);
    assert.equal(readFileSync(lockPath(parent), 'utf8'), `${ownerRecord(a)}\n`);
    const r = release(a);
    assert.deepEqual([r.status, r.stderr, names()], [0, '', []]);
    // Malformed: refused, nothing of this run's left.
    writeFileSync(lockPath(parent), 'not a record\n');
    assert.equal(readLock(await sh(acquireScript(b, false, parent))).kind, 'malformed');
    assert.deepEqual(names(), ['lock']);
    rmSync(lockPath(parent));
    // A run killed before its release leaves both; the stale takeover removes the dead run's record file with its lock.
    const dead: LockOwner = { ...newOwner(), pid: 4194305 };
    assert.equal((await sh(acquireScript(dead, false, parent))).lock, 'acquired');
    assert.equal((await sh(takeoverScript(b, dead.token, parent))).lock, 'acquired');
    assert.deepEqual(names(), ['lock', aside(b)]);
    // --break-lock: whatever lock and record files are there go, this run's is the one kept.
    const c = newOwner();
    assert.equal((await sh(acquireScript(c, true, parent))).lock, 'acquired');
    assert.deepEqual(names(), ['lock', aside(c)]);
    assert.equal(release(b).status, 0);
    assert.deepEqual(names(), ['lock', aside(c)], 'a broken run\'s release leaves the new holder\'s lock');
    assert.equal(release(c).status, 0);
    assert.deepEqual(names(), []);
  });

  it('stops: a lock directory that is a symlink, not root\'s, or writable by group or others', async () => {
    const cases: Array<[string, () => void, RegExp]> = [
      ['symlink', () => { mkdirSync(`${parent}-real`, { mode: 0o700 }); spawnSync('ln', ['-s', `${parent}-real`, parent]); }, /^l/],
      ['foreign owner', () => { mkdirSync(parent, { mode: 0o700 }); spawnSync('chown', ['65534', parent]); }, /uid 65534/],
      ['world-writable', () => { mkdirSync(parent); chmodSync(parent, 0o1777); }, /^drwxrwxrwt/],
      ['group-writable', () => { mkdirSync(parent); chmodSync(parent, 0o770); }, /^drwxrwx---/],
    ];
    for (const [what, plant, detail] of cases) {
      rmSync(parent, { recursive: true, force: true });
      rmSync(`${parent}-real`, { recursive: true, force: true });
      plant();
      const r = await sh(acquireScript(newOwner(), false, parent));
      const state = readLock(r);
      assert.equal(state.kind, 'unsafe', what);
      assert.match(state.kind === 'unsafe' ? state.detail : '', detail, what);
      assert.equal(existsSync(lockPath(parent)), false, `${what}: no lock created through it`);
    }
    rmSync(parent, { recursive: true, force: true });
    rmSync(`${parent}-real`, { recursive: true, force: true });
    // Missing: made root's, 0700.
    assert.equal((await sh(acquireScript(newOwner(), false, parent))).lock, 'acquired');
    const st = statSync(parent);
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o777, 0o700);
  });
});

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;

describe('run lock, on real hosts with a host user planting', { skip }, () => {
  const out = skip ? '' : mkdtempSync('/tmp/fleetplan-hard-lock-');
  let fleet: Fleet;
  const SYSV = 'deb-sysv-1';
  const BSD = 'freebsd-1';
  const planFile = () => path.join(out, 'plan.yml');
  const asUser = (host: string, cmd: string) => fleet.exec(host, `su -s /bin/sh fleet -c ${JSON.stringify(cmd)}`);
  const apply = (limit: string, ...extra: string[]) => fleetplan(['apply', planFile(), '-i', fleet.inventoryPath, '--limit', limit, '--json', ...extra]);
  const reset = (host: string) => fleet.exec(host, 'rm -rf /var/run/fleetplan /var/run/fleetplan-real /tmp/fleetplan.lock /root/lock-seen');
  const failure = (r: { json?: any; stderr: string }, host: string) => `${r.json?.hosts?.[host]?.error ?? ""} ${r.stderr}`;

  before(async () => {
    fleet = await up({ os: ['debian-sysv', 'freebsd'], count: 1, out });
    // The plan records what the lock looked like while it ran.
    writeFileSync(
      planFile(),
      'hosts: all\ntasks:\n  - name: see the lock\n    command: "ls -ln /var/run/fleetplan/lock > /root/lock-seen; cat /var/run/fleetplan/lock >> /root/lock-seen"\n',
    );
  });
  after(async () => {
    if (out) {
      await down(out).catch(() => {});
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('stops: a lock planted in /tmp by a host user (a forged owner dir, a symlink) blocking or steering a run', async () => {
    for (const h of [SYSV, BSD]) await reset(h);
    // The old lock path, as a host user can still make it: a forged record claiming another init system…
    await asUser(SYSV, "mkdir /tmp/fleetplan.lock && printf 'abc bob@ops pid 1\\ninit=systemd\\nrun_systemd=1\\n' > /tmp/fleetplan.lock/owner");
    // …and a symlink to a root file.
    await asUser(BSD, 'ln -s /etc/shadow /tmp/fleetplan.lock');
    for (const h of [SYSV, BSD]) {
      const r = await apply(h);
      assert.equal(r.code, 0, `${h}: ${r.stderr}${r.stdout}`);
      const seen = (await fleet.exec(h, 'cat /root/lock-seen')).stdout;
      assert.match(seen, /^-\S+ 2 0 0 .*\/var\/run\/fleetplan\/lock\nv1 [0-9a-f]{16} \S+@\S+ pid \d+\n$/, `${h}: the lock was root's under /var/run`);
      assert.equal((await fleet.exec(h, 'test -e /var/run/fleetplan/lock && echo left')).stdout, '', `${h}: released`);
    }
    // The planted things are untouched (nothing followed the link, nothing removed the dir).
    assert.equal((await fleet.exec(SYSV, 'stat -c %U /tmp/fleetplan.lock/owner')).stdout, 'fleet\n');
    assert.equal((await fleet.exec(BSD, 'stat -c %U /tmp/fleetplan.lock; stat -c %U /etc/shadow')).stdout, 'fleet\nroot\n');
  });

  it('stops: a forged owner record injecting key=value lines into the facts (a different init system)', async () => {
    await reset(SYSV);
    // A root-owned 0700 lock dir whose record a host user wrote while it was misconfigured (1777).
    await fleet.exec(SYSV, 'mkdir -m 1777 /var/run/fleetplan');
    await asUser(SYSV, "printf 'v1 0123456789abcdef bob@ops pid 77\\nrun_systemd=1\\npid1=systemd\\nhas_systemctl=1\\n' > /var/run/fleetplan/lock");
    // While the directory is writable by others, nothing in it is even read.
    let r = await apply(SYSV);
    assert.notEqual(r.code, 0);
    assert.match(failure(r, SYSV), /the run lock directory \/var\/run\/fleetplan is unsafe \(drwxrwxrwt uid 0\): it must be a directory owned by root/);
    // Tightened by root, the planted record is still the host user's file: malformed, never data.
    await fleet.exec(SYSV, 'chmod 0700 /var/run/fleetplan');
    r = await apply(SYSV);
    assert.notEqual(r.code, 0);
    assert.match(failure(r, SYSV), /the run lock record at \/var\/run\/fleetplan\/lock is malformed — not written by fleetplan; inspect and remove it/);
    // And the facts of that very exec are the host's own: SysV, whatever the record says.
    for (const owner of ['fleet', 'root']) {
      await fleet.exec(SYSV, `chown ${owner} /var/run/fleetplan/lock`);
      const conn = await connectHost(loadInventory(fleet.inventoryPath, testSecrets), SYSV, {}, {});
      try {
        const { facts, extra } = await gatherFacts(conn, SYSV, acquireScript(newOwner(), false));
        assert.equal(facts.init, 'sysv', `record owned by ${owner}`);
        assert.equal(readLock(extra).kind, 'malformed');
        assert.equal(extra.run_systemd, undefined);
      } finally {
        await conn.close();
      }
    }
    assert.match((await fleet.exec(SYSV, 'cat /var/run/fleetplan/lock')).stdout, /run_systemd=1/, 'left for the operator to inspect');
  });

  it('stops: a lock directory that is a symlink to a directory a host user owns', async () => {
    await reset(SYSV);
    await asUser(SYSV, 'mkdir -p /home/fleet/lockdir');
    // An admin's mistake the host user then benefits from: /var/run/fleetplan → the user's directory.
    await fleet.exec(SYSV, 'ln -s /home/fleet/lockdir /var/run/fleetplan');
    const r = await apply(SYSV);
    assert.notEqual(r.code, 0);
    assert.match(failure(r, SYSV), /the run lock directory \/var\/run\/fleetplan is unsafe \(lrwxrwxrwx uid 0\)/);
    assert.equal((await fleet.exec(SYSV, 'ls -A /home/fleet/lockdir')).stdout, '', 'nothing written through the link');
  });

  it('stops: a lock directory owned by a host user', async () => {
    await reset(BSD);
    await fleet.exec(BSD, 'mkdir -m 700 /var/run/fleetplan && chown fleet /var/run/fleetplan');
    await asUser(BSD, "printf 'v1 0123456789abcdef root@ops pid 1\\n' > /var/run/fleetplan/lock");
    const r = await apply(BSD);
    assert.notEqual(r.code, 0);
    assert.match(failure(r, BSD), /the run lock directory \/var\/run\/fleetplan is unsafe \(drwx------ uid 1000\)/);
  });

  it('stops: a non-root login keeping the lock where that user could forge it (taken as root through become)', async () => {
    await reset(SYSV);
    const r = await apply(SYSV, '-e', 'ssh_user=fleet', '-e', 'become=true');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match((await fleet.exec(SYSV, 'cat /root/lock-seen')).stdout, /^-rw\S+ 2 0 0 /, 'the lock file is root\'s');
    assert.equal((await fleet.exec(SYSV, 'stat -c "%U %a" /var/run/fleetplan; test -e /var/run/fleetplan/lock && echo left')).stdout, 'root 700\n');
  });

  it('stops: a login without root rights running unlocked (or locking where it could forge the lock)', async () => {
    await reset(SYSV);
    await fleet.exec(SYSV, 'id nosudo >/dev/null 2>&1 || { useradd -m -s /bin/sh nosudo && mkdir -p /home/nosudo/.ssh && cp /home/fleet/.ssh/authorized_keys /home/nosudo/.ssh/ && chown -R nosudo: /home/nosudo/.ssh; }');
    const r = await apply(SYSV, '-e', 'ssh_user=nosudo');
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(failure(r, SYSV), /the run lock needs root on the host and become failed: .*(password is required|not in the sudoers|not allowed)/);
    assert.equal((await fleet.exec(SYSV, 'test -e /root/lock-seen && echo ran; ls -A /var/run/fleetplan 2>/dev/null')).stdout, '', 'no task ran, no lock was made');
  });

  it('stops: a second operator\'s run taking a held lock; --break-lock still takes it', async () => {
    await reset(BSD);
    await fleet.exec(BSD, "mkdir -m 700 /var/run/fleetplan && printf 'v1 0123456789abcdef carol@ops-3 pid 88\\n' > /var/run/fleetplan/lock");
    const held = await apply(BSD);
    assert.notEqual(held.code, 0);
    assert.match(failure(held, BSD), /another fleetplan run holds this host \(carol@ops-3 pid 88, since \d+ s ago; lock \/var\/run\/fleetplan\/lock\); if that run is gone, re-run with --break-lock/);
    const broken = await apply(BSD, '--break-lock');
    assert.equal(broken.code, 0, broken.stderr + broken.stdout);
    assert.equal((await fleet.exec(BSD, 'ls -A /var/run/fleetplan')).stdout, '', 'released, no mutex left');
  });
});
