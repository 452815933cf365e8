// The bench's first-apply floor (bench/apply-floor.ts) must reach the state fleetplan converges a
// host to, or "Ansible / floor" would be a ceiling for less work than the plan's. A host converged by
// fleetplan gives the floor its files; a fresh host of the same name and address then gets only the
// floor's one exec, and fleetplan's dry run of the relay plan on it finds nothing to do but its own
// backup copy of main.cf (which only fleetplan keeps).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { bareScript } from '../../bench/apply-floor.js';
import { down, up } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { runProcess } from '../run-process.js';
import { fleetplan, repoRoot, tasksWith } from './cli.js';
import { writeRelayInventory } from './relay-inventory.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-apply-floor-');
const HOST = 'deb-sysv-1';
const plan = path.join(repoRoot, 'plans/relay.yml');

after(async () => {
  if (!out) return;
  for (const f of ['converged', 'bare']) await down(path.join(out, f)).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

/** One fresh debian-sysv host and its relay inventory. */
async function oneHost(name: string) {
  const fleet = await up({ os: 'debian-sysv', count: 1, out: path.join(out, name), sshd: 'light' });
  const inv = writeRelayInventory(fleet, path.join(out, `${name}.yml`), { relayPassword: 'Floor-relay-Pa55word' });
  return { fleet, inv, env: { FLEETPLAN_HISTORY_DIR: path.join(out, `history-${name}`) } };
}

test('the apply floor takes a fresh host to the state fleetplan converged its twin to', { skip }, async () => {
  const a = await oneHost('converged');
  const applied = await fleetplan(['apply', plan, '-i', a.inv, '-e', 'postfix_mode=template'], { env: a.env });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  const scripts = path.join(out, 'scripts');
  mkdirSync(scripts);
  writeFileSync(path.join(scripts, `${HOST}.sh`), bareScript(a.fleet.hosts[0]!.rootDir, 'debian-sysv'));
  const address = a.fleet.hosts[0]!.address;
  await down(path.join(out, 'converged'));

  // The bench brings the floor's fleet up after fleetplan's is down, so the hosts are the same by
  // name and address (OpenDKIM's TrustedHosts lists the relays' addresses).
  const b = await oneHost('bare');
  assert.equal(b.fleet.hosts[0]!.address, address, 'the fresh host took its twin\'s address');
  const floor = await runProcess(process.execPath, [path.join(repoRoot, 'dist/bench/apply-floor.js'), b.inv, scripts, '1'], { cwd: repoRoot, timeoutMs: 120_000 });
  assert.equal(floor.code, 0, floor.stdout + floor.stderr);
  assert.match(floor.stdout, /every host converged/);

  const check = await fleetplan(['apply', plan, '-i', b.inv, '-e', 'postfix_mode=template', '--check', '--json'], { env: b.env });
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.deepEqual(tasksWith(check.json, HOST, 'changed'), ['main.cf before this run (put back if Postfix refuses the new one)']);
  assert.deepEqual(tasksWith(check.json, HOST, 'failed'), []);
});

test('the apply floor has no script for a personality it was not written for', () => {
  assert.throws(() => bareScript('/nonexistent', 'freebsd'), /no script for freebsd/);
});
