// A login to a real OpenSSH host: the host keys sshd announces after the login are acknowledged and
// not proven (no hostkeys-prove request: no signing on the host, no verifying on the controller), and
// the connection goes on working. Fails if an ssh2 upgrade moves the message handlers it relies on.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { SecretRegistry } from '../../src/core/secret.js';
import { connectHost } from '../../src/engine/connect-host.js';
import { loadInventory } from '../../src/load/inventory.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-ssh-login-');
let fleet: Fleet;

before(async () => {
  if (!skip) fleet = await up({ os: ['debian-sysv'], count: 1, out, sshd: 'light' });
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

test('the host keys announced after login are acknowledged, never proven; the connection keeps working', { skip }, async () => {
  const host = fleet.hosts[0]!.name;
  const lines: string[] = [];
  const conn = await connectHost(loadInventory(fleet.inventoryPath, new SecretRegistry()), host, {}, { sshDebug: (_h, line) => lines.push(line) });
  try {
    const first = await conn.run('echo one');
    // sshd sends its announcement right after the login; give it a moment to arrive and be answered.
    await new Promise((r) => setTimeout(r, 300));
    const second = await conn.run('echo two');
    assert.deepEqual([first.stdout, second.stdout].map(String), ['one\n', 'two\n']);
  } finally {
    await conn.close();
  }
  assert.ok(lines.some((l) => l.includes('Inbound: GLOBAL_REQUEST (hostkeys-00@openssh.com)')), 'sshd announced its host keys');
  assert.deepEqual(lines.filter((l) => /hostkeys-prove/.test(l)), [], 'no proof asked for');
});
