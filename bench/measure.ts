// Runs one command and measures what it costs the controller: wall time, CPU of its whole process
// tree, and memory. The tree is put in a fresh cgroup (cgroup v1 cpuacct, or v2), so every process
// it starts is counted — including ones that daemonize away from it (OpenSSH ControlPersist
// masters, which no wait4()-based tool like GNU time ever sees). Memory is sampled from /proc every
// 50 ms as the SUM of the RSS of every process in the cgroup ("tree peak"); GNU time's %M (the
// largest single process, exact) is reported beside it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Measurement {
  code: number;
  wallS: number;
  /** CPU of every process in the tree (user+system), seconds. */
  cpuS: number;
  cpuUserS: number;
  cpuSysS: number;
  /** Peak of the sampled sum of RSS over the tree, MB. */
  rssTreeMB: number;
  /** GNU time's maximum RSS of the largest single process (exact), MB. */
  rssMaxProcMB: number;
  /** Busy CPU of the whole machine during the run (every process: the tool, the test hosts' sshd
   *  and commands, and anything else running), seconds. */
  machineCpuS: number;
  /** Most processes seen at once in the tree. */
  procsPeak: number;
  /** Where the CPU figure came from. */
  cpuSource: 'cgroup-v1-cpuacct' | 'cgroup-v2' | 'gnu-time';
}

const PAGE = 4096;
const USER_HZ = 100;

interface Cg { kind: 'v1' | 'v2'; dir: string }

function makeCgroup(name: string): Cg | undefined {
  const v1 = '/sys/fs/cgroup/cpuacct';
  if (existsSync(join(v1, 'cpuacct.usage'))) {
    const dir = join(v1, 'fleetplan-bench', name);
    mkdirSync(dir, { recursive: true });
    return { kind: 'v1', dir };
  }
  for (const root of ['/sys/fs/cgroup/unified', '/sys/fs/cgroup']) {
    if (existsSync(join(root, 'cgroup.procs')) && !existsSync(join(root, 'cpuacct.usage'))) {
      try {
        const dir = join(root, 'fleetplan-bench', name);
        mkdirSync(dir, { recursive: true });
        if (existsSync(join(dir, 'cpu.stat'))) return { kind: 'v2', dir };
        rmdirSync(dir);
      } catch { /* not usable */ }
    }
  }
  return undefined;
}

function cgProcs(cg: Cg): number[] {
  try { return readFileSync(join(cg.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number); } catch { return []; }
}

function cgCpu(cg: Cg): { total: number; user: number; sys: number } {
  if (cg.kind === 'v1') {
    const total = Number(readFileSync(join(cg.dir, 'cpuacct.usage'), 'utf8')) / 1e9;
    const st = readFileSync(join(cg.dir, 'cpuacct.stat'), 'utf8');
    const user = Number(/user (\d+)/.exec(st)?.[1] ?? 0) / USER_HZ;
    const sys = Number(/system (\d+)/.exec(st)?.[1] ?? 0) / USER_HZ;
    return { total, user, sys };
  }
  const st = readFileSync(join(cg.dir, 'cpu.stat'), 'utf8');
  const get = (k: string) => Number(new RegExp(`^${k} (\\d+)`, 'm').exec(st)?.[1] ?? 0) / 1e6;
  return { total: get('usage_usec'), user: get('user_usec'), sys: get('system_usec') };
}

function rssOf(pid: number): number {
  try { return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE; } catch { return 0; }
}

/** The machine's CPU time so far, in ticks: busy (user, nice, system, irq, softirq), steal, and all. */
function machineTicks(): { busy: number; steal: number; all: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, all: busy + idle + iowait + steal };
}

function machineBusy(): number {
  const t = machineTicks();
  return (t.busy + t.steal) / USER_HZ;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Kills every process left in the cgroup (e.g. ControlPersist masters), by pid. */
async function emptyCgroup(cg: Cg): Promise<void> {
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    const pids = cgProcs(cg);
    if (!pids.length) return;
    for (const p of pids) { try { process.kill(p, sig); } catch { /* gone */ } }
    for (let i = 0; i < 40 && cgProcs(cg).length; i++) await sleep(50);
  }
}

/** The process (group) currently measured, so Ctrl-C can stop it. */
export const running = new Set<{ pid: number; cg?: Cg }>();

export async function stopRunning(): Promise<void> {
  for (const r of running) {
    try { process.kill(-r.pid, 'SIGKILL'); } catch { /* gone */ }
    if (r.cg) await emptyCgroup(r.cg);
  }
}

let seq = 0;

export async function measure(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }): Promise<Measurement> {
  const cg = makeCgroup(`${process.pid}-${++seq}`);
  const timeFile = `${opts.logFile}.time`;
  const hasTime = existsSync('/usr/bin/time');
  const fd = openSync(opts.logFile, 'w');
  const script = [
    cg ? 'echo $$ > "$BENCH_CG/cgroup.procs" || exit 97' : ':',
    hasTime ? 'exec /usr/bin/time -f "%e %U %S %M" -o "$BENCH_TIMEF" "$@"' : 'exec "$@"',
  ].join('; ');
  const t0 = process.hrtime.bigint();
  const busy0 = machineBusy();
  const child = spawn('/bin/sh', ['-c', script, 'sh', cmd, ...args], {
    cwd: opts.cwd, detached: true, stdio: ['ignore', fd, fd],
    env: { ...opts.env, BENCH_CG: cg?.dir ?? '', BENCH_TIMEF: timeFile },
  });
  closeSync(fd);
  const entry = { pid: child.pid!, cg };
  running.add(entry);
  let rssPeak = 0; let procsPeak = 0;
  const comm = new Map<number, string>();
  const sample = () => {
    const pids = cg ? cgProcs(cg) : [child.pid!];
    let sum = 0; let n = 0;
    for (const p of pids) {
      let c = comm.get(p);
      if (c === undefined) { try { c = readFileSync(`/proc/${p}/comm`, 'utf8').trim(); } catch { c = ''; } comm.set(p, c); }
      if (c === 'time' || c === 'sh' && p === child.pid) continue; // the measuring wrapper itself
      sum += rssOf(p); n++;
    }
    if (sum > rssPeak) rssPeak = sum;
    if (n > procsPeak) procsPeak = n;
  };
  const timer = setInterval(sample, 50);
  const code: number = await new Promise((res) => child.on('exit', (c, s) => res(c ?? (s ? 128 : 1))));
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const machineCpuS = machineBusy() - busy0;
  clearInterval(timer);
  running.delete(entry);
  let cpu = { total: 0, user: 0, sys: 0 };
  let cpuSource: Measurement['cpuSource'] = 'gnu-time';
  let rssMaxProcMB = 0;
  let timeUser = 0; let timeSys = 0;
  if (hasTime) {
    try {
      const [, u, s, m] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      timeUser = u ?? 0; timeSys = s ?? 0; rssMaxProcMB = (m ?? 0) / 1024;
    } catch { /* time failed */ }
  }
  if (cg) {
    await emptyCgroup(cg); // leftovers (ControlPersist masters) are part of the cost
    cpu = cgCpu(cg);
    cpuSource = cg.kind === 'v1' ? 'cgroup-v1-cpuacct' : 'cgroup-v2';
    try { rmdirSync(cg.dir); } catch { /* still busy: leave it */ }
  } else {
    cpu = { total: timeUser + timeSys, user: timeUser, sys: timeSys };
  }
  return {
    code, wallS, machineCpuS, cpuS: cpu.total, cpuUserS: cpu.user, cpuSysS: cpu.sys,
    rssTreeMB: Math.max(rssPeak / 2 ** 20, rssMaxProcMB), rssMaxProcMB, procsPeak, cpuSource,
  };
}

/** Removes empty bench cgroups left by a crashed run. */
export function cleanStaleCgroups(): void {
  for (const root of ['/sys/fs/cgroup/cpuacct/fleetplan-bench', '/sys/fs/cgroup/unified/fleetplan-bench', '/sys/fs/cgroup/fleetplan-bench']) {
    if (!existsSync(root)) continue;
    for (const e of readdirSync(root)) {
      const pid = Number(e.split('-')[0]);
      try { process.kill(pid, 0); continue; } catch { /* owner gone */ }
      try { rmdirSync(join(root, e)); } catch { /* busy */ }
    }
  }
}

/**
 * Waits until the machine is quiet: two consecutive 1-s windows under `maxBusy` of its CPUs, or
 * `timeoutS`. Hosts go on working after a phase (daemons just started, their first queue scans), and
 * a phase started then would be charged for it. Returns the wait and the last window's busy share.
 */
export async function settle(maxBusy = 0.12, timeoutS = 90): Promise<{ waitedS: number; busy: number }> {
  const t0 = Date.now();
  let quiet = 0; let busy = 1;
  while ((Date.now() - t0) / 1000 < timeoutS && quiet < 2) {
    const a = machineTicks();
    await sleep(1000);
    const b = machineTicks();
    busy = (b.busy - a.busy) / Math.max(1, b.all - a.all);
    quiet = busy < maxBusy ? quiet + 1 : 0;
  }
  return { waitedS: (Date.now() - t0) / 1000, busy };
}
