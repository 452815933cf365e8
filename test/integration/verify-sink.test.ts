// `fleetplan verify`'s sink against a local user of the relay (user `fleet`, no root): the sink is
// reached through a port on the host's loopback (the smarthost's, [127.0.0.1]:2525), which any local
// user may bind first or connect to.
//   - bound first: sshd cannot listen there, verify sends no probe (the user's process would get it
//     and the relay's SASL login) and reports the host failed, not delivered;
//   - connected to: the user reads the probe id from the queue (`mailq` lists the envelope sender
//     verify-<id>@… to everyone) and sends the sink a message for it, TLS and AUTH included. It lacks
//     the token in the real probe's body, so it does not count: not delivered, and reported as forged.
// One Debian SysV relay; a BIND9 on the controller answers verify's DKIM/SPF/DMARC lookups (nothing
// published: no lookup leaves the machine).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startDnsServer, type DnsServer } from '../fleet/dns-server.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan, repoRoot } from './cli.js';
import { writeRelayInventory } from './relay-inventory.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-verify-sink-');
const plan = path.join(repoRoot, 'plans', 'relay.yml');
const H = 'deb-sysv-1';

let fleet: Fleet;
let dns: DnsServer;
let inventory: string;

const verify = () => fleetplan(['verify', plan, '-i', inventory, '--dns-server', `${dns.address}:${dns.port}`, '--probe-timeout', '8', '--json']);

/** Starts a Python script as user `fleet` in the host, detached; its pid (kill it with `stopAsUser`). */
async function startAsUser(script: string, log: string): Promise<string> {
  const r = await fleet.exec(H, `cat > /tmp/fleet-user.py <<'END'\n${script}\nEND\nsetsid runuser -u fleet -- python3 /tmp/fleet-user.py > ${log} 2>&1 < /dev/null & echo $!`);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}
const stopAsUser = (pid: string) => fleet.exec(H, `kill ${pid} 2>/dev/null; true`);

// Binds the smarthost's port before verify does (SO_REUSEADDR and SO_REUSEPORT, the most a user can
// ask for) and logs every connection it gets.
const SQUATTER = `
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(('127.0.0.1', 2525)); s.listen(5)
print('listening', flush=True)
while True:
    c, a = s.accept(); print('connection', a, flush=True); c.sendall(b'220 not the smarthost ESMTP\\r\\n'); c.close()
`;

// Waits for verify's probe in the queue (held there: defer_transports), then sends the sink a
// message for its id through the forwarded port, as the relay would: STARTTLS, AUTH, the same envelope.
const FORGER = `
import re, smtplib, subprocess, time
for _ in range(200):
    m = re.search(r'verify-([0-9a-f]+)@example\\.org', subprocess.run(['mailq'], capture_output=True, text=True).stdout)
    if m: break
    time.sleep(0.05)
pid = m.group(1)
s = smtplib.SMTP('127.0.0.1', 2525, local_hostname='forger', timeout=10)
s.starttls(); s.login('relayuser', 'guessed')
s.sendmail(f'verify-{pid}@example.org', [f'probe-{pid}@verify.fleetplan.invalid'], f'From: verify@example.org\\r\\nSubject: fleetplan verify probe {pid}\\r\\nX-Fleetplan-Probe: {pid}\\r\\n\\r\\nforged\\r\\n')
s.quit()
print('forged', pid, flush=True)
`;

before(async () => {
  if (skip) return;
  fleet = await up({ os: ['debian-sysv'], count: 1, out: path.join(out, 'fleet') });
  dns = await startDnsServer({ out, zones: ['example.org'] });
  inventory = writeRelayInventory(fleet, path.join(out, 'inventory.yml'), { relayPassword: 'Sink-relay-Pa55word' });
  const applied = await fleetplan(['apply', plan, '-i', inventory]);
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
});
after(async () => {
  if (!out) return;
  await dns?.stop().catch(() => undefined);
  await down(path.join(out, 'fleet')).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

test('a local user holding the smarthost port first: no probe sent, not delivered, the host fails', { skip }, async () => {
  const pid = await startAsUser(SQUATTER, '/tmp/squatter.log');
  try {
    for (let i = 0; i < 40 && !(await fleet.exec(H, 'cat /tmp/squatter.log')).stdout.includes('listening'); i++) await new Promise((r) => setTimeout(r, 100));
    const r = await verify();
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const v = r.json.hosts[H];
    assert.equal(v.delivered, false);
    assert.equal(v.passed, false);
    assert.match(v.problems[0], /refused to listen on 127\.0\.0\.1:2525 .*: no probe sent \(whatever listens there would receive it, and the relay's SASL login\)/);
    const st = await fleet.exec(H, 'cat /tmp/squatter.log; mailq');
    assert.equal(st.stdout, 'listening\nMail queue is empty\n', 'the squatter got no connection, and no probe was queued');
  } finally {
    await stopAsUser(pid);
  }
});

test('a local user forging the probe from the id in the queue: not counted, not delivered, reported as forged', { skip }, async () => {
  const hold = await fleet.exec(H, 'postconf -e defer_transports=smtp && postfix reload');
  assert.equal(hold.code, 0, hold.stderr);
  const pid = await startAsUser(FORGER, '/tmp/forger.log');
  try {
    const r = await verify();
    const forged = await fleet.exec(H, 'cat /tmp/forger.log');
    assert.match(forged.stdout, /^forged [0-9a-f]{16}\n$/, forged.stdout + forged.stderr);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const v = r.json.hosts[H];
    assert.equal(forged.stdout.trim().split(' ')[1], v.probe, 'the forger had the probe id');
    assert.equal(v.delivered, false);
    assert.ok(v.problems.includes(`not delivered: no probe reached the sink within 8 s`), v.problems.join('\n'));
    assert.ok(v.problems.some((p: string) => p.startsWith(`1 message(s) for probe ${v.probe} reached the sink without its token`)), v.problems.join('\n'));
  } finally {
    await stopAsUser(pid);
    await fleet.exec(H, 'postconf -X defer_transports; postsuper -d ALL; postfix reload');
  }
});
