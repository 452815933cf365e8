// Seed 004's certificate for the relay's smtpd TLS, from a real ACME server: plans/relay-acme.yml
// has certbot (Debian's, on the controller) issue each relay's certificate from pebble with the
// DNS-01 challenge, which certbot publishes by RFC 2136 + TSIG to the fleet's BIND9 and pebble
// checks through it; the relay gets the chain and the key (0600) and smtpd_tls_chain_files. Checked
// on a Debian and a FreeBSD host: the dry run changes nothing, the apply serves STARTTLS with a chain
// that verifies against pebble's root, a re-run changes nothing (certbot not even started), renewal
// (fewer than acme_renew_days left) installs a new certificate and reloads Postfix, and neither the
// private key nor the TSIG secret appears in anything fleetplan printed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startAcmeServer, type AcmeServer } from '../fleet/acme-server.js';
import { startDnsServer, type DnsServer } from '../fleet/dns-server.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, repoRoot, tasksWith, type CliResult } from './cli.js';
import { writeRelayInventory } from './relay-inventory.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-acme-');
const plan = path.join(repoRoot, 'plans', 'relay-acme.yml');
const ISSUE = 'certificate issued or renewed (certbot, DNS-01)';

let fleet: Fleet;
let dns: DnsServer;
let acme: AcmeServer;
let inventory: string;
const printed: CliResult[] = [];

async function run(args: string[]): Promise<CliResult> {
  const r = await fleetplan(['apply', plan, '-i', inventory, '--json', ...args]);
  printed.push(r);
  return r;
}

const failures = (json: any) =>
  Object.entries(json?.hosts ?? {}).flatMap(([h, v]: [string, any]) => v.tasks.filter((t: any) => t.status === 'failed').map((t: any) => `${h}: ${t.name}: ${t.error}`));

/**
 * STARTTLS to the relay's own port 25, from inside the host, verified against pebble's root. After
 * `postfix reload`, smtpd processes that were idle finish on their own time, so a connection in the
 * first moments may still meet one started before the new certificate: asked again for up to 10 s,
 * until the certificate served is not `before`'s.
 */
async function starttls(host: string, before?: string): Promise<{ verified: boolean; subject: string; serial: string }> {
  let got = await starttlsOnce(host);
  for (let i = 0; i < 20 && (!got.verified || got.serial === before); i++) {
    await new Promise((r) => setTimeout(r, 500));
    got = await starttlsOnce(host);
  }
  return got;
}

async function starttlsOnce(host: string): Promise<{ verified: boolean; subject: string; serial: string }> {
  const r = await fleet.exec(
    host,
    'openssl s_client -starttls smtp -connect 127.0.0.1:25 -CAfile /root/pebble-root.pem -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -subject -serial',
  );
  const subject = /subject=\s*CN\s*=\s*(\S+)/.exec(r.stdout)?.[1] ?? '';
  const serial = /serial=(\S+)/.exec(r.stdout)?.[1] ?? '';
  return { verified: r.code === 0 && serial !== '', subject, serial };
}

before(async () => {
  if (skip) return;
  fleet = await up({ os: ['debian-sysv', 'freebsd'], count: 1, out: path.join(out, 'fleet') });
  dns = await startDnsServer({ out, zones: ['fleet.test'] });
  acme = await startAcmeServer({ out, dns });
  const root = await acme.issuingRoot();
  for (const h of fleet.hosts) {
    writeFileSync(path.join(h.rootDir, 'root/pebble-root.pem'), root);
  }
  const update = `{ server: ${dns.address}, port: ${dns.port}, zone: fleet.test, key_name: ${dns.tsig.name}, key_algorithm: ${dns.tsig.algorithm}, key_secret: !secret "${dns.tsig.secret}" }`;
  inventory = writeRelayInventory(fleet, path.join(out, 'inventory.yml'), {
    relayPassword: 'Acme-relay-Pa55word',
    extraVars: {
      acme_directory_url: acme.directoryUrl,
      acme_ca_bundle: acme.caBundle,
      acme_dir: path.join(out, 'certbot'),
      acme_propagation_seconds: '1',
      dns_update: update,
    },
  });
});

after(async () => {
  if (!out) return;
  await acme?.stop().catch(() => undefined);
  await dns?.stop().catch(() => undefined);
  await down(path.join(out, 'fleet')).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

let check: CliResult;

test('dry run on fresh hosts: certbot and the install would run, nothing changes', { skip }, async () => {
  check = await run(['--check']);
  assert.equal(check.code, 0, check.stderr + failures(check.json).join('\n'));
  for (const h of fleet.hosts) {
    assert.ok(tasksWith(check.json, h.name, 'changed').includes(ISSUE), h.name);
    const st = await fleet.exec(h.name, 'ls -d /etc/postfix/tls /usr/local/etc/postfix/tls 2>/dev/null; true');
    assert.equal(st.stdout, '', `${h.name}: the dry run created nothing`);
  }
});

let first: Map<string, string>;

test('apply: each relay serves STARTTLS with its ACME certificate, verified against the ACME root', { skip }, async () => {
  const r = await run([]);
  assert.equal(r.code, 0, r.stderr + failures(r.json).join('\n'));
  first = new Map();
  for (const h of fleet.hosts) {
    assertPredicted(check.json, r.json, h.name);
    const tls = await starttls(h.name);
    assert.equal(tls.verified, true, `${h.name}: chain verifies against pebble's root`);
    assert.equal(tls.subject, `${h.name}.fleet.test`, h.name);
    first.set(h.name, tls.serial);
    const dir = h.os === 'freebsd' ? '/usr/local/etc/postfix/tls' : '/etc/postfix/tls';
    const st = await fleet.exec(h.name, `stat -c '%a %U' ${dir}/${h.name}.fleet.test.key; postconf -h smtpd_tls_chain_files`);
    assert.equal(st.stdout, `600 root\n${dir}/${h.name}.fleet.test.key, ${dir}/${h.name}.fleet.test.fullchain.pem\n`, h.name);
  }
});

test('re-run: nothing changes, certbot is not started, Postfix is not reloaded', { skip }, async () => {
  const r = await run([]);
  assert.equal(r.code, 0, r.stderr + failures(r.json).join('\n'));
  for (const h of fleet.hosts) {
    assert.deepEqual(tasksWith(r.json, h.name, 'changed'), [], h.name);
    const issue = r.json.hosts[h.name].tasks.find((t: any) => t.name === ISSUE);
    assert.match(issue.reason, new RegExp(`^${h.name} → localhost: not run: .*openssl x509 -checkend .*succeeded \\(unless\\)`), h.name);
  }
});

test('renewal: fewer than acme_renew_days left → a new certificate is installed and Postfix reloads', { skip }, async () => {
  // pebble's certificates are valid for five years: 4000 days asks for renewal now.
  const r = await run(['-e', '{"acme_renew_days": 4000}']);
  assert.equal(r.code, 0, r.stderr + failures(r.json).join('\n'));
  for (const h of fleet.hosts) {
    const changed = tasksWith(r.json, h.name, 'changed');
    for (const t of [ISSUE, 'certificate chain for smtpd', 'private key for smtpd', 'handler:reload postfix']) assert.ok(changed.includes(t), `${h.name}: ${t} in ${JSON.stringify(changed)}`);
    const tls = await starttls(h.name, first.get(h.name));
    assert.equal(tls.verified, true, h.name);
    assert.notEqual(tls.serial, first.get(h.name), `${h.name}: Postfix serves the renewed certificate`);
  }
  const again = await run([]);
  for (const h of fleet.hosts) assert.deepEqual(tasksWith(again.json, h.name, 'changed'), [], `${h.name} after renewal`);
});

test('a name that is not a DNS name (as a hostile host could report its fqdn) fails the host before certbot or a copy', { skip }, async () => {
  const r = await run(['-e', '{"acme_domain": "../../../root/.ssh"}']);
  assert.equal(r.code, 2, r.stderr);
  for (const h of fleet.hosts) {
    const tasks = r.json.hosts[h.name].tasks;
    assert.equal(tasks.find((t: any) => t.name === 'ACME inputs')?.status, 'failed', h.name);
    assert.ok(!tasks.some((t: any) => t.name === ISSUE || t.name === 'private key for smtpd'), `${h.name}: nothing after the check ran`);
  }
});

test('neither a private key nor the TSIG secret in anything fleetplan printed', { skip }, () => {
  assert.ok(printed.length >= 5);
  for (const r of printed) {
    const text = r.stdout + r.stderr;
    assert.doesNotMatch(text, /PRIVATE KEY/);
    assert.equal(text.includes(dns.tsig.secret), false, 'TSIG secret printed');
  }
});
