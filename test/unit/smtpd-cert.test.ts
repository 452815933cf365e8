// verify --smtpd-ca's check of a relay's own certificate (src/verify/smtpd-cert.ts), against a real
// SMTP server with STARTTLS (smtp-server) on the loopback, reached through a stand-in for the SSH
// connection's `connectOnHost`: a certificate its CA issued for the relay's name is OK with its
// subject, issuer and days left; another name, another CA, nothing listening, a transport that
// cannot forward — each NOT OK with the reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import type { Connection } from '../../src/connectors/connection.js';
import { checkSmtpdCertificate } from '../../src/verify/smtpd-cert.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-smtpd-cert-'));
const f = (n: string) => path.join(dir, n);
let server: SMTPServer;
let port: number;

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args[0]}: ${r.stderr}`);
}

function makeCa(name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30', '-subj', `/CN=${name}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.pem`)]);
}

/** A stand-in for the SSH connection: the "host" is this machine, its smtpd the test server. */
const via = (target: () => number): Connection => ({ connectOnHost: async (_a: string, _p: number) => connect(target(), '127.0.0.1') }) as unknown as Connection;

before(async () => {
  makeCa('relay-ca');
  makeCa('other-ca');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=relay1.example.org', '-keyout', f('relay.key'), '-out', f('relay.csr')]);
  writeFileSync(f('san.ext'), 'subjectAltName=DNS:relay1.example.org\n');
  openssl(['x509', '-req', '-in', f('relay.csr'), '-CA', f('relay-ca.pem'), '-CAkey', f('relay-ca.key'), '-CAcreateserial', '-days', '20', '-extfile', f('san.ext'), '-out', f('relay.pem')]);
  server = new SMTPServer({ key: readFileSync(f('relay.key')), cert: readFileSync(f('relay.pem')), authOptional: true, logger: false });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  port = (server.server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
  rmSync(dir, { recursive: true, force: true });
});

test('a certificate the CA issued for the relay\'s name: OK, with subject, issuer and days left', async () => {
  const c = await checkSmtpdCertificate(via(() => port), 'relay1.example.org', readFileSync(f('relay-ca.pem'), 'utf8'));
  assert.deepEqual(c, { ok: true, name: 'relay1.example.org', subject: 'CN=relay1.example.org', issuer: 'CN=relay-ca', daysLeft: 19 });
});

test('another name, another CA: NOT OK with the TLS reason', async () => {
  const wrongName = await checkSmtpdCertificate(via(() => port), 'relay2.example.org', readFileSync(f('relay-ca.pem'), 'utf8'));
  assert.equal(wrongName.ok, false);
  assert.match(wrongName.error!, /Hostname\/IP does not match certificate's altnames: Host: relay2\.example\.org/);
  const wrongCa = await checkSmtpdCertificate(via(() => port), 'relay1.example.org', readFileSync(f('other-ca.pem'), 'utf8'));
  assert.equal(wrongCa.ok, false);
  assert.match(wrongCa.error!, /unable to (get local issuer|verify the first) certificate/);
});

test('nothing listening, no forwarding, no myhostname: NOT OK with why', async () => {
  const refused: Connection = { connectOnHost: async () => Promise.reject(new Error('relay1 could not connect to 127.0.0.1:25 for us (nothing listening, or sshd forbids forwarding): Connection refused')) } as unknown as Connection;
  const down = await checkSmtpdCertificate(refused, 'relay1.example.org', readFileSync(f('relay-ca.pem'), 'utf8'));
  assert.deepEqual([down.ok, down.error], [false, 'relay1 could not connect to 127.0.0.1:25 for us (nothing listening, or sshd forbids forwarding): Connection refused']);
  const local = await checkSmtpdCertificate({} as Connection, 'relay1.example.org', '');
  assert.match(local.error!, /this connection type cannot reach the relay's smtpd/);
  const nameless = await checkSmtpdCertificate(via(() => port), '', readFileSync(f('relay-ca.pem'), 'utf8'));
  assert.match(nameless.error!, /postconf gave no myhostname/);
});
