// Round trips per host, counted by a delaying proxy in front of one fleet host (bench/rtt.ts,
// test/fleet/delay-proxy.ts; listens on 127.0.51.3): what a fleet 100 ms away pays for a run, against
// the RTT floor (a minimal ssh2 client: TCP + SSH handshake + one exec). Each figure is the median
// of a few runs: one turn of the SSH handshake may vary (whether OpenSSH's host key announcement and
// the channel's confirmation come together), less so the longer the RTT. These fail when a round
// trip comes back: the facts sent after the shell started, the state read sent after the facts (it
// rides with them once the host's facts are known from a previous run, src/engine/first-read.ts),
// the lock release sent on its own, one more exchange per change.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { proxyFleet, rttFloor, type ProxiedFleet } from '../../bench/rtt.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-rtt-');
let fleet: Fleet;
let px: ProxiedFleet;
const plan = path.join(out, 'plan.yml');
const HOST = 'deb-sysv-1';

before(async () => {
  if (skip) return;
  fleet = await up({ os: 'debian-sysv', count: 1, out: path.join(out, 'fleet'), sshd: 'light' });
  px = await proxyFleet(fleet, 100, out, undefined, '127.0.51.3');
  // Two independent changes and nothing that probes the host: facts, lock, state read, changes, release.
  writeFileSync(plan, [
    'name: round trips', 'hosts: all', 'tasks:',
    '  - name: a file', '    file: { path: /etc/rtt-test.txt, content: "hello\\n", mode: "0644" }',
    '  - name: a directory', '    directory: { path: /etc/rtt-test.d, mode: "0750" }', '',
  ].join('\n'));
});
after(async () => {
  if (!out) return;
  await px?.close();
  await down(path.join(out, 'fleet')).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The host's round trips over one fleetplan run (its exit code must be `want`). */
async function counted(args: string[], want = 0): Promise<number> {
  const mark = px.mark();
  // A history (and facts cache) of this test's own: another fleet's host of the same name is not this one.
  const r = await fleetplan(['apply', plan, '-i', px.fleet.inventoryPath, ...args], { env: { FLEETPLAN_HISTORY_DIR: path.join(out, 'history') } });
  assert.equal(r.code, want, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
  await new Promise((res) => setTimeout(res, 100)); // the host's end of the TCP connection
  return px.since(mark).get(HOST)!.roundTrips;
}

test('round trips per host: no-change = floor + the release with the close (the state read rides with the facts); one per change', { skip }, async (t) => {
  const floor: number[] = [];
  for (let i = 0; i < 3; i++) floor.push((await rttFloor(px, 1)).roundTrips.max);
  const first: number[] = [];
  for (let i = 0; i < 3; i++) {
    await fleet.exec(HOST, 'rm -rf /etc/rtt-test.txt /etc/rtt-test.d');
    first.push(await counted([], 0));
  }
  const check: number[] = [];
  const noChange: number[] = [];
  for (let i = 0; i < 3; i++) {
    check.push(await counted(['--check', '--diff']));
    noChange.push(await counted([]));
  }
  const figures = `floor ${floor}, first apply ${first}, check ${check}, no-change ${noChange}`;
  t.diagnostic(`round trips per host at RTT 100 ms: ${figures}`);
  // The release of the run lock goes out with the end of the connection: a real run costs what a dry run (no lock) does.
  assert.ok(median(noChange) <= median(check), `the lock release costs a round trip of its own: ${figures}`);
  // Above the floor: the release with the end of the shell. The facts, the lock and the state read
  // (the host's facts are known from the runs before) ride in the exec request that starts the
  // shell, as the floor's one command does.
  assert.ok(median(noChange) <= median(floor) + 1, `no-change run above floor + 1: ${figures}`);
  // Each change is one exchange (its commands and the re-read of what it changed), no more.
  assert.ok(median(first) <= median(noChange) + 2, `more than one round trip per change: ${figures}`);
});
