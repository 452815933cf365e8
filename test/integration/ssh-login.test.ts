// A login to a real OpenSSH host: the host keys sshd announces after the login are acknowledged and
// not proven (no hostkeys-prove request: no signing on the host, no verifying on the controller), and
// the connection goes on working; a key loaded from a file logs in with one signed request, without
// asking first whether the host would take it (src/connectors/ssh-signed-login.ts). Fails if an ssh2
// upgrade moves the message handlers or the protocol method these rely on.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
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
  assert.deepEqual(logins(lines), ['publickey', 'SUCCESS'], 'one signed request, no query first');
});

/** The login's requests and answers, in order, from ssh2's protocol log. */
const logins = (lines: string[]) =>
  lines.flatMap((l) => /USERAUTH_REQUEST \((publickey[^)]*)\)|Received USERAUTH_(PK_OK|SUCCESS|FAILURE)/.exec(l)?.slice(1).filter(Boolean) ?? []);

test('signed at once: a refused key, then an RSA key signing with SHA-2, each in one request; a host refusing them all is an auth error', { skip }, async () => {
  const host = fleet.hosts[0]!.name;
  const keygen = (name: string, type: string) => {
    const file = path.join(out, name);
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', file]);
    return file;
  };
  const refused = keygen('refused', 'ed25519');
  const rsa = keygen('rsa', 'rsa');
  await fleet.exec(host, `echo '${readFileSync(`${rsa}.pub`, 'utf8').trim()}' >> /root/.ssh/authorized_keys`);
  const inventory = loadInventory(fleet.inventoryPath, new SecretRegistry());
  const lines: string[] = [];
  const conn = await connectHost(inventory, host, { ssh_private_key_file: [refused, rsa] }, { sshDebug: (_h, line) => lines.push(line) });
  try {
    assert.equal(String((await conn.run('echo in')).stdout), 'in\n');
  } finally {
    await conn.close();
  }
  assert.deepEqual(logins(lines), ['publickey', 'FAILURE', 'publickey', 'SUCCESS'], lines.filter((l) => /USERAUTH/.test(l)).join('\n'));
  // OpenSSH 9.2 takes no SHA-1 RSA signature: the login shows that the signature's hash is the one
  // ssh2 named for the algorithm (rsa-sha2-256 from the host's server-sig-algs).
  await assert.rejects(connectHost(inventory, host, { ssh_private_key_file: [refused] }, {}), /authentication failed for user root \(tried key .*refused \(ssh-ed25519\)\)/);
});
