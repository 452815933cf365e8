// Test fleet: N throw-away Debian "hosts" on this machine, each reachable by real SSH at
// 127.0.10.N:22. A host = overlayfs over the cached rootfs + its own mount/UTS/PID/IPC/net
// namespaces, booted either by systemd-nspawn (systemd as PID 1) or by a tiny shell init (SysV).
// sshd is not a daemon inside the host: a per-host socat listener on the controller loopback
// nsenter()s into the host's namespaces and runs `sshd -i` per connection, so hosts can keep
// --private-network (no route anywhere) and still be reachable.
//
// All state lives in <out>/fleet.json so `down` can tear a fleet down from another process.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync, closeSync, existsSync, rmdirSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync,
  unlinkSync, writeFileSync, chownSync, chmodSync,
} from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { ensureRootfs } from './rootfs.js';
import { PERSONALITY_DEFS, personality } from './personality.js';
import { lightenMail } from './light-mail.js';

/** A personality name from PERSONALITY_DEFS (debian-systemd, debian-sysv, …). */
export type Personality = string;
export const PERSONALITIES: readonly Personality[] = PERSONALITY_DEFS.map((d) => d.name);

export interface FleetHost {
  name: string;
  os: Personality;
  address: string;
  port: number;
  /** The host's merged root as seen from the controller (overlay mount point). */
  rootDir: string;
  /** Controller-side pid of the host's PID 1 (target for nsenter). */
  pid: number;
}

export interface ExecResult { stdout: string; stderr: string; code: number }

export interface Fleet {
  out: string;
  hosts: FleetHost[];
  inventoryPath: string;
  keyPath: string;
  knownHostsPath: string;
  /** Run `sh -c shellCmd` as root INSIDE the host (via nsenter, not SSH) to check real state. */
  exec(hostName: string, shellCmd: string, opts?: { timeoutMs?: number }): Promise<ExecResult>;
  /** SIGKILL every sshd inside the host (simulates dropped connections). */
  killSshd(hostName: string): Promise<void>;
  down(): Promise<void>;
}

export interface UpOptions {
  /** One personality, or several: `count` hosts are created for EACH personality. */
  os: Personality | Personality[];
  count: number;
  out: string;
  /** Per-host boot timeout (PID 1 + sshd + systemd boot finished). Default 90 s. */
  bootTimeoutMs?: number;
  /**
   * 'light': sshd without PAM (no PAM account/session modules loaded per login), for scale runs where
   * 200 simulated hosts share this machine's CPU with the controller. Default 'full': the distribution's
   * sshd setup, PAM included, as on a real host.
   */
  sshd?: SshdFlavour;
  /**
   * 'light': Postfix's idle pickup and qmgr start on first use instead of with the master
   * (light-mail.ts), for scale runs of the relay plan. Default 'full': the image's master.cf as is.
   */
  mail?: MailFlavour;
  log?: (msg: string) => void;
}

export type SshdFlavour = 'full' | 'light';
export type MailFlavour = 'full' | 'light';

// ---- persisted state ---------------------------------------------------------------------------

interface ProcRef { pid: number; start: string } // start time guards against pid reuse

interface HostState {
  name: string; os: Personality; address: string; port: number;
  dir: string; upper: string; work: string; merged: string;
  /** overlay lowerdir: the personality's layer (if any) above the base rootfs. */
  lower?: string;
  mounted?: boolean;
  launcher?: ProcRef; // systemd-nspawn / unshare
  init?: ProcRef;     // the host's PID 1
  socat?: ProcRef;    // listener; its own process group
  cgroups?: string[]; // per-host cgroup dirs the nspawn container lives under
}

interface FleetState { version: 1; out: string; rootfs: string; sshd?: SshdFlavour; mail?: MailFlavour; addresses: string[]; hosts: HostState[] }

const REGISTRY = '/run/fleetplan-fleet';
const SSH_PORT = 22;
const CLEAN_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

function statePath(out: string) { return join(out, 'fleet.json'); }
function saveState(s: FleetState) { writeFileSync(statePath(s.out), JSON.stringify(s, null, 2) + '\n'); }
function loadState(out: string): FleetState | undefined {
  try { return JSON.parse(readFileSync(statePath(out), 'utf8')) as FleetState; } catch { return undefined; }
}

// ---- small process helpers ---------------------------------------------------------------------

function sh(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
  return new Promise((res) => {
    const p = execFile(cmd, args, { env: CLEAN_ENV, maxBuffer: 64 << 20, timeout: opts.timeoutMs ?? 0, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
        res({ stdout: String(stdout), stderr: String(stderr) + (err && typeof (err as any).code !== 'number' ? String(err.message) : ''), code });
      });
    if (opts.input !== undefined) p.stdin?.end(opts.input);
  });
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // field 22
  } catch { return undefined; }
}
function ref(pid: number): ProcRef { return { pid, start: startTime(pid) ?? '' }; }
function sameProc(r: ProcRef | undefined): r is ProcRef { return !!r && startTime(r.pid) === r.start; }

/** pid -> ppid for every process on the controller. */
function processTable(): Map<number, number> {
  const m = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      m.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* exited */ }
  }
  return m;
}
function descendants(root: number, table = processTable()): number[] {
  const out: number[] = []; const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [pid, ppid] of table) if (ppid === p) { out.push(pid); queue.push(pid); }
  }
  return out;
}
function nsInitOf(launcher: number): number | undefined {
  for (const pid of descendants(launcher)) {
    try {
      const nspid = /^NSpid:\s*(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim().split(/\s+/);
      if (nspid && nspid.length >= 2 && nspid[nspid.length - 1] === '1') return pid;
    } catch { /* raced with exit */ }
  }
  return undefined;
}
function alive(pid: number) { try { process.kill(pid, 0); return true; } catch { return false; } }
function kill(pid: number, sig: NodeJS.Signals = 'SIGKILL') { try { process.kill(pid, sig); } catch { /* gone */ } }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>, why?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why ? `: ${why()}` : ''}`);
    await sleep(delay); delay = Math.min(delay * 2, 500);
  }
}

function tail(path: string, n = 15): string {
  try { return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).join('\n'); } catch { return ''; }
}

// ---- address registry --------------------------------------------------------------------------
// /run/fleetplan-fleet/<address> records which out dir owns an address, so fleets in different out
// dirs (or parallel test files) never collide. An entry is stale when its creator is dead and its
// fleet.json no longer lists the address (e.g. after a crash without `down`).

/**
 * The fleet's addresses, in the order they are handed out: 127.0.10.1–254 first (where fleets have
 * always been), then 127.10.X.1–254 for X = 0..255 — beyond one /24, for fleets of 1000 hosts and
 * more. Both ranges are on the controller's loopback (all of 127.0.0.0/8 is); no other test uses
 * 127.10.0.0/16 (test/fleet/README.md lists who uses what).
 */
export const MAX_FLEET_ADDRESSES = 254 + 256 * 254;
export function fleetAddress(i: number): string {
  if (!Number.isInteger(i) || i < 0 || i >= MAX_FLEET_ADDRESSES) throw new Error(`no fleet address #${i} (0 to ${MAX_FLEET_ADDRESSES - 1})`);
  if (i < 254) return `127.0.10.${i + 1}`;
  const j = i - 254;
  return `127.10.${Math.floor(j / 254)}.${(j % 254) + 1}`;
}

function allocateAddresses(out: string, n: number): string[] {
  mkdirSync(REGISTRY, { recursive: true });
  const got: string[] = [];
  for (let i = 0; i < MAX_FLEET_ADDRESSES && got.length < n; i++) {
    const addr = fleetAddress(i);
    const f = join(REGISTRY, addr);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(f, 'wx');
        writeFileSync(fd, JSON.stringify({ out, pid: process.pid }) + '\n'); closeSync(fd);
        got.push(addr); break;
      } catch (e: any) {
        if (e.code !== 'EEXIST') throw e;
        let owner: { out?: string; pid?: number } = {};
        try { owner = JSON.parse(readFileSync(f, 'utf8')); } catch { /* being written or garbage */ continue; }
        const ownerState = owner.out ? loadState(owner.out) : undefined;
        const inUse = (owner.pid && alive(owner.pid)) || ownerState?.addresses.includes(addr);
        if (inUse) break;
        try { unlinkSync(f); } catch { /* someone else reclaimed it */ }
      }
    }
  }
  if (got.length < n) { releaseAddresses(out); throw new Error(`no free fleet addresses (need ${n}; 127.0.10.x and 127.10.x.y are taken)`); }
  return got;
}

function releaseAddresses(out: string) {
  if (!existsSync(REGISTRY)) return;
  for (const e of readdirSync(REGISTRY)) {
    try { if (JSON.parse(readFileSync(join(REGISTRY, e), 'utf8')).out === out) unlinkSync(join(REGISTRY, e)); } catch { /* ignore */ }
  }
}

// ---- host boot ---------------------------------------------------------------------------------

// PID 1 of a debian-sysv host, run by the controller's /bin/sh inside fresh namespaces from
// `unshare`. It builds a minimal /proc,/sys,/dev,/run like a container runtime would, pivots into
// the overlay (so the host sees only its own filesystem), then becomes a reaping idle loop.
// /run is a fresh tmpfs, so /run/systemd/system never exists and `service`/invoke-rc.d/lsb
// init-functions pick the SysV code paths.
const SYSV_INIT = String.raw`#!/bin/sh
set -eu
root=$1; name=$2
mount --make-rprivate /
cd "$root"
mount -t proc -o nosuid,nodev,noexec proc proc
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs sys
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs run
mkdir -p run/lock && chmod 1777 run/lock
mount -t tmpfs -o mode=755,nosuid tmpfs dev
for d in null zero full random urandom tty; do touch "dev/$d"; mount --bind "/dev/$d" "dev/$d"; done
mkdir dev/pts dev/shm dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts dev/pts
ln -s pts/ptmx dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs dev/shm
ln -s /proc/self/fd dev/fd; ln -s /proc/self/fd/0 dev/stdin; ln -s /proc/self/fd/1 dev/stdout; ln -s /proc/self/fd/2 dev/stderr
hostname "$name"
ip link set lo up
# pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves only the host.
pivot_root . .
umount -l .
cd /
# Idle loop as PID 1: dash waits with wait3(-1), so daemons' orphans re-parented to it are reaped
# while it sits in "wait". (Inline: the host's files are gone after the pivot.)
# A personality's boot step (e.g. FreeBSD's rc) runs as PID 1's child before the host counts as ready.
# SIGUSR1 (sent by the shutdown -r stand-in, see REBOOT_STANDIN) emulates a reboot without leaving the
# namespaces: every other process killed, a fresh /run, a new boot_id (bound over the kernel's, as
# lxcfs does for containers), the boot step again. The overlay (the "disk") is kept.
exec /bin/sh -c 'boot() { [ -x /etc/fleet-boot ] && /etc/fleet-boot; touch /run/fleet-ready; }; reboot() { kill -TERM -1 2>/dev/null; sleep 1; kill -KILL -1 2>/dev/null; umount /proc/sys/kernel/random/boot_id 2>/dev/null; umount -l /run; mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run; mkdir -p -m 1777 /run/lock; mkdir -p -m 0755 /run/sshd; cat /proc/sys/kernel/random/uuid > /run/fleet-boot-id; mount --bind /run/fleet-boot-id /proc/sys/kernel/random/boot_id; boot; }; boot; trap "exit 0" TERM INT; trap reboot USR1; while :; do sleep 3600 & wait $! || true; done'
`;

/** shutdown(8) on the hosts PID 1 of which is SYSV_INIT: only `-r`, which asks PID 1 to emulate a reboot. */
const REBOOT_STANDIN = `#!/bin/sh
# test fleet stand-in for shutdown(8): only -r (reboot), emulated by PID 1 (test/fleet/fleet.ts)
[ "$1" = -r ] || { echo "shutdown: only -r is emulated on this test host" >&2; exit 1; }
echo "$(date) shutdown $*" >> /var/log/fleet-shutdown.log
kill -USR1 1
`;

/**
 * What socat execs (nofork) per connection, with the TCP socket on stdin/stdout: nsenter straight into
 * sshd in inetd mode, no shell in between — each process per connection is host CPU a real host's
 * resident sshd would not spend. socat's own environment is the clean one.
 */
function sshCommand(initPid: number): string {
  return `/usr/bin/nsenter -t ${initPid} -m -u -i -n -p -r -w -- /usr/sbin/sshd -i -E /var/log/sshd.log`;
}

function sshBanner(address: string, port: number): Promise<boolean | undefined> {
  return new Promise((res) => {
    const s = connect({ host: address, port });
    let buf = '';
    const done = (ok: boolean) => { s.destroy(); res(ok || undefined); };
    s.setTimeout(5000, () => done(false));
    s.on('data', (d) => { buf += d.toString(); if (buf.includes('SSH-2.0-')) done(true); });
    s.on('error', () => done(false));
    s.on('close', () => done(false));
  });
}

// The PATH an SSH login on the host gets, so tests find /usr/local/sbin tools (FreeBSD's postconf) too.
const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function nsenterArgs(pid: number, cmd: string): string[] {
  return ['-t', String(pid), '-m', '-u', '-i', '-n', '-p', '-r', '-w', '--', '/usr/bin/env', `PATH=${HOST_PATH}`, '/bin/sh', '-c', cmd];
}

async function bootHost(state: FleetState, h: HostState, pub: string, timeoutMs: number, log: (m: string) => void) {
  const save = () => saveState(state);
  mkdirSync(h.upper, { recursive: true }); mkdirSync(h.work, { recursive: true }); mkdirSync(h.merged, { recursive: true });
  h.mounted = true; save(); // record before mounting: a half-done mount must still be cleaned up
  await must('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${h.lower ?? state.rootfs},upperdir=${h.upper},workdir=${h.work}`, h.merged]);

  // Per-host identity, written through the overlay so it lands in this host's upper dir.
  const m = h.merged;
  writeFileSync(join(m, 'etc/hostname'), `${h.name}\n`);
  writeFileSync(join(m, 'etc/hosts'), `127.0.0.1\tlocalhost\n127.0.1.1\t${h.name}.fleet.test ${h.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  writeFileSync(join(m, 'etc/machine-id'), randomBytes(16).toString('hex') + '\n');
  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${h.name}`, '-f', join(m, 'etc/ssh/ssh_host_ed25519_key')]);
  writeFileSync(join(m, 'root/.ssh/authorized_keys'), pub, { mode: 0o600 });
  const pw = readFileSync(join(m, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith('fleet:'))!.split(':');
  const fleetAk = join(m, 'home/fleet/.ssh/authorized_keys');
  writeFileSync(fleetAk, pub, { mode: 0o600 }); chownSync(fleetAk, Number(pw[2]), Number(pw[3])); chmodSync(fleetAk, 0o600);
  // Drop-ins are read before sshd_config's own `UsePAM yes`, and sshd keeps the first value it reads.
  if (state.sshd === 'light') appendFileSync(join(m, 'etc/ssh/sshd_config.d/fleet.conf'), 'UsePAM no\n');
  if (state.mail === 'light') lightenMail(m);
  const def = personality(h.os);
  await def.prepare?.(m, h.name);
  if (def.boot !== 'systemd') writeFileSync(join(m, 'usr/local/sbin/shutdown'), REBOOT_STANDIN, { mode: 0o755 });

  const consoleLog = join(h.dir, 'console.log');
  const logFd = openSync(consoleLog, 'a');
  let child;
  if (def.boot === 'systemd') {
    h.cgroups = hostCgroups(h.address); save();
    for (const d of h.cgroups) { removeCgroup(d); mkdirSync(d, { recursive: true }); }
    // Join the per-host cgroup(s) before exec'ing nspawn (see hostCgroups).
    child = spawn('/bin/sh', ['-c', 'for d in $FLEET_CGROUPS; do echo $$ > "$d/cgroup.procs"; done; exec systemd-nspawn "$@"', 'sh',
      '--register=no', '--keep-unit', // no systemd/machined on the controller to talk to
      '-b', '--private-network', '-D', m, `--machine=${h.name}`,
      '--console=read-only', '--link-journal=no', '--resolv-conf=off', '--timezone=off',
    ], { detached: true, stdio: ['ignore', logFd, logFd], env: { ...CLEAN_ENV, ...nspawnEnv(), FLEET_CGROUPS: h.cgroups.join(' ') } });
  } else {
    const init = join(state.out, 'sysv-init.sh');
    if (!existsSync(init)) writeFileSync(init, SYSV_INIT, { mode: 0o755 });
    child = spawn('unshare', ['--fork', '--pid', '--mount', '--uts', '--net', '--ipc', '--propagation', 'private', '--kill-child',
      '/bin/sh', init, m, h.name], { detached: true, stdio: ['ignore', logFd, logFd], env: CLEAN_ENV });
  }
  closeSync(logFd);
  child.unref();
  await waitFor(`${h.name} launcher pid`, 5000, () => child.pid);
  h.launcher = ref(child.pid!); save();

  const why = () => `\n--- ${consoleLog} (tail) ---\n${tail(consoleLog)}`;
  const initPid = await waitFor(`${h.name} PID 1`, timeoutMs, () => {
    if (!alive(child.pid!)) throw new Error(`${h.name}: launcher exited early${why()}`);
    const pid = nsInitOf(child.pid!);
    if (pid === undefined) return undefined;
    if (def.boot === 'systemd') {
      try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd' ? pid : undefined; } catch { return undefined; }
    }
    return existsSync(`/proc/${pid}/root/run/fleet-ready`) ? pid : undefined;
  }, why);
  h.init = ref(initPid); save();

  // sshd's privilege separation directory, once: /run is the host's own tmpfs.
  const run = await sh('nsenter', nsenterArgs(initPid, 'mkdir -p -m 0755 /run/sshd'));
  if (run.code !== 0) throw new Error(`${h.name}: cannot create /run/sshd: ${run.stderr}`);
  const socatLog = openSync(join(h.dir, 'socat.log'), 'a');
  const socat = spawn('socat', [`TCP-LISTEN:${h.port},bind=${h.address},fork,reuseaddr,backlog=128`, `EXEC:${sshCommand(initPid)},nofork`],
    { detached: true, stdio: ['ignore', socatLog, socatLog], env: CLEAN_ENV });
  closeSync(socatLog);
  socat.unref();
  await waitFor(`${h.name} socat pid`, 5000, () => socat.pid);
  h.socat = ref(socat.pid!); save();

  await waitFor(`${h.name} sshd banner on ${h.address}:${h.port}`, timeoutMs, async () => {
    if (!alive(socat.pid!)) throw new Error(`${h.name}: socat exited: ${tail(join(h.dir, 'socat.log'))}`);
    return sshBanner(h.address, h.port);
  }, why);

  if (def.boot === 'systemd') {
    // PID 1 being `systemd` doesn't mean its bus is up; `is-system-running --wait` fails outright
    // ("Failed to connect to bus") if asked too early, so wait for the private socket first.
    await waitFor(`${h.name} systemd bus`, timeoutMs, () => existsSync(`/proc/${initPid}/root/run/systemd/private`) || undefined, why);
    // Let boot finish so plans see a settled systemd (jobs accepted, no "starting" state).
    const r = await sh('nsenter', nsenterArgs(initPid, 'systemctl is-system-running --wait'), { timeoutMs });
    const st = r.stdout.trim();
    if (st !== 'running' && st !== 'degraded') throw new Error(`${h.name}: systemd state "${st}" ${r.stderr}${why()}`);
    if (st === 'degraded') {
      const f = await sh('nsenter', nsenterArgs(initPid, 'systemctl --failed --no-legend --plain'));
      log(`${h.name}: systemd degraded; failed units: ${f.stdout.trim().replace(/\n/g, '; ')}`);
    }
  }
}

// With --keep-unit and no systemd on the controller, nspawn puts the container under
// <its own cgroup>/payload. If every nspawn runs in the same cgroup, all containers' systemds
// share (and fight over) one subtree: units randomly fail with 219/CGROUP on parallel boots. So
// each systemd host gets its own cgroup in every hierarchy systemd uses (named v1 "systemd",
// the hybrid "unified" v2 mount, or a pure v2 root), keyed by its unique address.
function hostCgroups(address: string): string[] {
  const roots = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'].filter((r) => existsSync(`${r}/cgroup.procs`));
  if (!roots.length && existsSync('/sys/fs/cgroup/cgroup.controllers')) roots.push('/sys/fs/cgroup');
  return roots.map((r) => join(r, 'fleetplan', address));
}

/** Kill everything in a cgroup tree and rmdir it deepest-first (cgroupfs dirs can't be rm -r'd). */
function cgroupProcs(dir: string): number[] {
  if (!existsSync(dir)) return [];
  const pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) pids.push(...cgroupProcs(join(dir, e.name)));
  return pids;
}
function removeCgroup(dir: string) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroup(join(dir, e.name));
  rmdirSync(dir);
}

/** nspawn picks the container's cgroup layout from the host; see README ("Gotchas"). */
function nspawnEnv(): Record<string, string> {
  return process.env.SYSTEMD_NSPAWN_UNIFIED_HIERARCHY !== undefined
    ? { SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: process.env.SYSTEMD_NSPAWN_UNIFIED_HIERARCHY } : {};
}

function raiseInotifyLimit() {
  // Every systemd host holds several inotify instances; the default 128 stops the ~20th host.
  const p = '/proc/sys/fs/inotify/max_user_instances';
  try { if (Number(readFileSync(p, 'utf8')) < 8192) writeFileSync(p, '8192'); } catch { /* not fatal */ }
}

/** Hosts booting at the same time. */
const BOOT_PARALLEL = 48;

/** Like Promise.allSettled over `items.map(fn)`, with at most `limit` running at once; results in order. */
async function settleAll<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try { results[i] = { status: 'fulfilled', value: await fn(items[i]!) }; } catch (reason) { results[i] = { status: 'rejected', reason }; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * What a host costs the machine at rest, and what the kernel allows: each host is ≈ 4 processes
 * (socat on the controller, unshare, the host's PID 1 and its sleep; more with systemd) and a
 * handful of file descriptors of `up`'s process while it boots. Refuses up front, with the limit to
 * raise, instead of failing host 700 of 1000.
 */
const PROCS_PER_HOST = 8;
function checkLimits(hosts: number, log: (m: string) => void): void {
  const num = (file: string) => { try { return Number(readFileSync(file, 'utf8').trim()); } catch { return Infinity; } };
  const limit = (name: string) => {
    try { const m = new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(readFileSync('/proc/self/limits', 'utf8')); return m?.[1] === 'unlimited' ? Infinity : Number(m?.[1]); } catch { return Infinity; }
  };
  const running = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
  const need = hosts * PROCS_PER_HOST;
  const room = Math.min(num('/proc/sys/kernel/pid_max'), num('/proc/sys/kernel/threads-max'), limit('Max processes')) - running;
  if (need > room) throw new Error(`${hosts} hosts need about ${need} processes, the kernel allows ${room} more (kernel.pid_max, kernel.threads-max, ulimit -u): raise them first`);
  const files = limit('Max open files');
  if (files < BOOT_PARALLEL * 16) throw new Error(`ulimit -n is ${files}: booting ${BOOT_PARALLEL} hosts at a time needs ${BOOT_PARALLEL * 16}`);
  if (hosts > 254) log(`${hosts} hosts: addresses beyond 127.0.10.x (127.10.X.Y); about ${need} processes of ${room} the kernel allows`);
}

// ---- public API --------------------------------------------------------------------------------

export async function up(opts: UpOptions): Promise<Fleet> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[fleet] ${m}\n`));
  const oses = Array.isArray(opts.os) ? opts.os : [opts.os];
  for (const os of oses) personality(os); // throws naming the known ones
  if (!Number.isInteger(opts.count) || opts.count < 1) throw new Error(`count must be a positive integer`);
  const out = resolve(opts.out);
  // The path ends up in overlay mount options and socat's address syntax, which both split on these.
  if (/[\s,:'"\\!]/.test(out)) throw new Error(`out dir "${out}" must not contain whitespace, quotes or , : ! \\`);
  if (process.getuid?.() !== 0) throw new Error('the test fleet needs root (namespaces, overlay mounts)');

  checkLimits(oses.length * opts.count, log);
  await down(out); // leftovers of an earlier fleet in the same out dir
  mkdirSync(out, { recursive: true });
  const t0 = Date.now();
  const rootfs = await ensureRootfs({ log });
  raiseInotifyLimit();

  const layers = new Map<string, string | undefined>();
  for (const os of oses) layers.set(os, await personality(os).layer?.(rootfs, log));
  const total = oses.length * opts.count;
  const state: FleetState = { version: 1, out, rootfs, sshd: opts.sshd ?? 'full', mail: opts.mail ?? 'full', addresses: [], hosts: [] };
  saveState(state);
  try {
    state.addresses = allocateAddresses(out, total);
    let i = 0;
    for (const os of oses) for (let k = 1; k <= opts.count; k++) {
      const name = `${personality(os).prefix}-${k}`;
      const dir = join(out, 'hosts', name);
      const layer = layers.get(os);
      state.hosts.push({ name, os, address: state.addresses[i++]!, port: SSH_PORT, dir, lower: layer ? `${layer}:${rootfs}` : undefined,
        upper: join(dir, 'upper'), work: join(dir, 'work'), merged: join(dir, 'root') });
    }
    saveState(state);

    const keyPath = join(out, 'id_ed25519');
    await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fleetplan-test-fleet', '-f', keyPath]);
    const pub = readFileSync(`${keyPath}.pub`, 'utf8');

    const timeout = opts.bootTimeoutMs ?? Number(process.env.FLEET_BOOT_TIMEOUT_MS ?? 90_000);
    // Boot in parallel (at most BOOT_PARALLEL at a time: 1000 hosts at once would fork 1000
    // ssh-keygens and time out each other's boots); every failure is reported, not just the first.
    const results = await settleAll(state.hosts, BOOT_PARALLEL, (h) => bootHost(state, h, pub, timeout, log));
    const failed = results.flatMap((r, j) => r.status === 'rejected' ? [`${state.hosts[j]!.name}: ${(r.reason as Error).message}`] : []);
    if (failed.length) throw new Error(`fleet up failed:\n${failed.join('\n')}`);

    writeFileSync(join(out, 'known_hosts'), state.hosts.map((h) => {
      const [type, key] = readFileSync(join(h.merged, 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/);
      return `${h.port === 22 ? h.address : `[${h.address}]:${h.port}`} ${type} ${key}\n`;
    }).join(''));
    writeFileSync(join(out, 'inventory.yml'), inventoryYaml(state));
    writeFileSync(join(out, 'hosts.ini'), inventoryIni(state));
    log(`up: ${total} host(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s; inventory ${join(out, 'inventory.yml')}`);
    return fleetFromState(state);
  } catch (e) {
    await down(out).catch((e2) => log(`cleanup after failed up also failed: ${(e2 as Error).message}`));
    throw e;
  }
}

function inventoryYaml(s: FleetState): string {
  const lines = [
    '# Generated by test/fleet (fleet.ts). Paths are relative to this file\'s directory.',
    'all:', '  vars:', '    ssh_user: root', '    ssh_private_key_file: id_ed25519', '    ssh_known_hosts_file: known_hosts',
    '  children:',
  ];
  for (const os of PERSONALITIES) {
    const hs = s.hosts.filter((h) => h.os === os);
    if (!hs.length) continue;
    lines.push(`    ${os.replace(/-/g, '_')}:`, '      hosts:');
    for (const h of hs) lines.push(`        ${h.name}: { ssh_host: ${h.address}, ssh_port: ${h.port} }`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The same fleet as an Ansible INI inventory, as an Ansible user's would be (Ansible's variables only,
 * absolute key path): host keys come from ~/.ssh/known_hosts, or the fleet's known_hosts given apart.
 */
function inventoryIni(s: FleetState): string {
  const lines = ['# Generated by test/fleet (fleet.ts): the fleet as an Ansible INI inventory.', '[all:vars]', 'ansible_user=root', `ansible_ssh_private_key_file=${join(resolve(s.out), 'id_ed25519')}`];
  for (const os of PERSONALITIES) {
    const hs = s.hosts.filter((h) => h.os === os);
    if (!hs.length) continue;
    lines.push('', `[${os.replace(/-/g, '_')}]`, ...hs.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}`));
  }
  return lines.join('\n') + '\n';
}

function fleetFromState(s: FleetState): Fleet {
  const host = (name: string) => {
    const h = s.hosts.find((x) => x.name === name);
    if (!h?.init) throw new Error(`no running host "${name}" in ${s.out}`);
    return h;
  };
  return {
    out: s.out,
    hosts: s.hosts.map((h) => ({ name: h.name, os: h.os, address: h.address, port: h.port, rootDir: h.merged, pid: h.init?.pid ?? 0 })),
    inventoryPath: join(s.out, 'inventory.yml'),
    keyPath: join(s.out, 'id_ed25519'),
    knownHostsPath: join(s.out, 'known_hosts'),
    exec: (name, cmd, o) => sh('nsenter', nsenterArgs(host(name).init!.pid, cmd), { timeoutMs: o?.timeoutMs ?? 120_000 }),
    killSshd: async (name) => {
      const h = host(name);
      const ns = readlinkSync(`/proc/${h.init!.pid}/ns/pid`);
      for (const pid of processTable().keys()) {
        try {
          if (readlinkSync(`/proc/${pid}/ns/pid`) === ns && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sshd') kill(pid);
        } catch { /* exited */ }
      }
    },
    down: () => down(s.out),
  };
}

/** Attach to a fleet brought up by another process (e.g. `npm run fleet -- up`). */
export function load(out: string): Fleet {
  const s = loadState(resolve(out));
  if (!s) throw new Error(`no fleet.json in ${out}`);
  return fleetFromState(s);
}

function mountsUnder(dir: string): string[] {
  const unescape = (p: string) => p.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => unescape(l.split(' ')[4] ?? ''))
    .filter((mp) => mp === dir || mp.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length); // deepest first
}

/** Tear down whatever exists of a fleet in `out`. Idempotent; works after a half-finished up and
 *  from a different process than the one that ran up. Removes out's contents (not out itself). */
export async function down(outDir: string): Promise<void> {
  const out = resolve(outDir);
  const s = loadState(out);
  if (s) {
    // SIGKILL from outside is the only signal a namespace's PID 1 cannot ignore; killing it kills
    // every process in the host. Descendants are collected first (re-parenting loses them).
    const victims = new Set<number>();
    const table = processTable();
    for (const h of s.hosts) {
      for (const r of [h.init, h.launcher, h.socat]) {
        if (!sameProc(r)) continue;
        victims.add(r.pid);
        for (const d of descendants(r.pid, table)) victims.add(d);
      }
      if (sameProc(h.socat)) kill(-h.socat.pid); // its process group: per-connection children
      for (const d of h.cgroups ?? []) for (const pid of cgroupProcs(d)) victims.add(pid);
    }
    for (const pid of victims) kill(pid);
    await waitFor('fleet processes to exit', 15_000, () => [...victims].every((p) => !alive(p) || isZombie(p)) || undefined)
      .catch(() => { /* reported below by the mount check if it matters */ });
    for (const h of s.hosts) for (const d of h.cgroups ?? []) {
      await waitFor(`cgroup ${d} to empty`, 10_000, () => { try { removeCgroup(d); return true; } catch { return undefined; } })
        .catch((e) => { throw new Error(`fleet down: ${(e as Error).message}`); });
      try { rmdirSync(join(d, '..')); } catch { /* other fleets still use fleetplan/ */ }
    }
  }
  if (existsSync(out)) {
    for (const mp of mountsUnder(out)) {
      if ((await sh('umount', [mp])).code !== 0) await sh('umount', ['-l', mp]);
    }
    const left = mountsUnder(out);
    // Never rm -rf through a live mount (it would delete inside the host's/our filesystems).
    if (left.length) throw new Error(`fleet down: still mounted under ${out}: ${left.join(', ')}`);
    for (const e of readdirSync(out)) rmSync(join(out, e), { recursive: true, force: true });
  }
  releaseAddresses(out);
}

function isZombie(pid: number): boolean {
  try { const st = readFileSync(`/proc/${pid}/stat`, 'utf8'); return st.slice(st.lastIndexOf(')') + 2).startsWith('Z'); } catch { return true; }
}
