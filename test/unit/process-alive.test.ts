// One answer to "is the holder of this lock alive?" for the run lock's takeover (engine/host-lock.ts)
// and the pull's lock (pull/workdir.ts), which once differed: for an error other than ESRCH/EPERM the
// host lock said alive and the pull said gone. Now: ESRCH and a pid no process can have (beyond
// pid_t, where Node refuses to signal) are gone; EPERM and any other error are alive (a lock is
// taken over only from a holder provably gone).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { processAlive } from '../../src/core/process-alive.js';
import { processAlive as hostLockAlive } from '../../src/engine/host-lock.js';
import { takeLock } from '../../src/pull/workdir.js';

const failing = (code: string) => () => {
  throw Object.assign(new Error(code), { code });
};
const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-process-alive-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('this process is alive; an exited one is gone', () => {
  assert.equal(processAlive(process.pid), true);
  const child = spawnSync(process.execPath, ['-e', '0']);
  assert.equal(processAlive(child.pid!), false);
  assert.equal(hostLockAlive, processAlive, 'the host lock uses the same function');
});

test('EPERM: alive; ESRCH: gone; any other error (the case that once differed): alive', () => {
  assert.equal(processAlive(4242, failing('EPERM')), true);
  assert.equal(processAlive(4242, failing('ESRCH')), false);
  assert.equal(processAlive(4242, failing('EINVAL')), true);
  assert.equal(processAlive(4242, failing('ERR_SOMETHING_NEW')), true);
});

test('a pid no process can have (beyond pid_t, 0, negative, not an integer) is gone, and no signal is sent', () => {
  let sent = 0;
  const kill = () => void sent++;
  for (const pid of [2 ** 31, 9999999999, 0, -1, 1.5, Number.NaN]) assert.equal(processAlive(pid, kill), false, String(pid));
  assert.equal(sent, 0);
  // Node itself refuses such a pid with an error that is not ESRCH: unguarded, it counted as alive.
  assert.throws(() => process.kill(2 ** 31, 0), (e: NodeJS.ErrnoException) => e.code !== 'ESRCH');
});

test("the pull's lock: a live holder refuses, an impossible pid is taken over", () => {
  const file = path.join(dir, 'pull.lock');
  writeFileSync(file, `${process.pid}\n`);
  assert.throws(() => takeLock(dir), new RegExp(`another pull \\(pid ${process.pid}\\) holds`));
  writeFileSync(file, `${2 ** 31}\n`);
  const release = takeLock(dir);
  assert.equal(readFileSync(file, 'utf8'), `${process.pid}\n`);
  release();
});
