// Is a process (of this machine) alive? Asked by whoever left a lock with its pid: the run lock's
// takeover on a host (engine/host-lock.ts: a record left by a dead run of this controller) and the
// pull's lock file (pull/workdir.ts). One answer for both: a lock is taken over only when its holder
// is provably gone.

/** pid_t is a signed 32-bit integer: no process has a larger pid (Linux's pid_max is at most 2^22). */
const MAX_PID = 2 ** 31 - 1;

/**
 * kill(pid, 0) succeeds for our own processes; EPERM means it exists but belongs to another user —
 * alive. Only ESRCH says it is gone, and a pid no process can have (Node refuses to send it a signal:
 * a lock record holding one would otherwise block for ever). Any other error leaves the holder
 * possibly alive.
 */
export function processAlive(pid: number, kill: (pid: number, sig: 0) => void = (p, s) => void process.kill(p, s)): boolean {
  if (!Number.isInteger(pid) || pid < 1 || pid > MAX_PID) return false;
  try {
    kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
