// `fleetplan verify` and `apply --verify` on the fleet: two Debian SysV relays, their DKIM, SPF and
// DMARC records published to a real BIND9 (test/fleet/dns-server.ts) by a TSIG-signed update, and
// verify's sink standing in for their smarthost (the relays send to [127.0.0.1]:2525 in their own
// namespaces; verify's SSH connection listens there). Then what verify must catch: a dead DKIM milter
// (hidden by milter_default_action=accept), a wrong published DKIM record, a stopped Postfix, an
// unreachable host — each with its exit code, and the healthy host still passing beside it; and
// --smtpd-ca failing a relay whose smtpd serves a certificate the CA did not issue.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startDnsServer, type DnsServer } from '../fleet/dns-server.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan, repoRoot } from './cli.js';
import { publishTxt } from './publish-records.js';
import { writeRelayInventory } from './relay-inventory.js';
import { startSmarthost } from './smarthost.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-verify-');
const plan = path.join(repoRoot, 'plans', 'relay.yml');
const PW = 'Verify-relay-Pa55word';
const [H1, H2] = ['deb-sysv-1', 'deb-sysv-2'];

let fleet: Fleet;
let dns: DnsServer;
let inventory: string;

const verify = (...extra: string[]) => fleetplan(['verify', plan, '-i', inventory, '--dns-server', `${dns.address}:${dns.port}`, '--probe-timeout', '15', '--json', ...extra]);

before(async () => {
  if (skip) return;
  fleet = await up({ os: ['debian-sysv'], count: 2, out: path.join(out, 'fleet') });
  dns = await startDnsServer({ out, zones: ['example.org'] });
  const dnsUpdate = `{ server: ${dns.address}, port: ${dns.port}, key_name: ${dns.tsig.name}, key_secret: !secret ${JSON.stringify(dns.tsig.secret)} }`;
  inventory = writeRelayInventory(fleet, path.join(out, 'inventory.yml'), { relayPassword: PW, extraVars: { dns_update: dnsUpdate } });
  const applied = await fleetplan(['apply', plan, '-i', inventory]);
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  const published = await fleetplan(['dns', plan, '-i', inventory, '--publish']);
  assert.equal(published.code, 0, published.stdout + published.stderr);
});
after(async () => {
  if (!out) return;
  await dns?.stop().catch(() => undefined);
  await down(path.join(out, 'fleet')).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

test('verify: every relay delivers over TLS as its SASL user, DKIM/SPF/DMARC pass against the published records, queue empty', { skip }, async () => {
  const r = await verify();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.summary, { hosts: 2, passed: 2, failed: 0, unreachable: 0, ms: r.json.summary.ms });
  for (const h of [H1, H2]) {
    const v = r.json.hosts[h];
    assert.deepEqual(v.problems, [], h);
    assert.equal(v.delivered, true);
    assert.equal(v.tls.version, 'TLSv1.3');
    assert.match(v.tls.certificate, /not verified by the relay \(smtp_tls_security_level=encrypt\)/);
    assert.equal(v.sasl, 'relayuser');
    // Each host's probe came back with that host's own signature: probes of hosts never mix.
    assert.deepEqual([v.auth.dkim.result, v.auth.dkim.selector, v.auth.dkim.domain], ['pass', h, 'example.org'], h);
    assert.equal(v.auth.spf.result, 'pass');
    assert.equal(v.auth.dmarc.result, 'pass');
    assert.equal(v.queue.empty, true);
  }
  assert.notEqual(r.json.hosts[H1].probe, r.json.hosts[H2].probe);
  // The console: one line per host with its checks.
  assert.match(r.stderr, new RegExp(`${H1} +ok +delivered in [0-9.]+ s · TLSv1\\.3, certificate not verified .* · SASL relayuser · DKIM pass \\(s=${H1}, d=example\\.org\\) · SPF pass · DMARC pass · queue empty\\n`));
});

test('verify catches a dead DKIM milter that milter_default_action=accept hides', { skip }, async () => {
  assert.equal((await fleet.exec(H1, 'service opendkim stop')).code, 0);
  try {
    const r = await verify();
    assert.equal(r.code, 2, r.stderr);
    const v = r.json.hosts[H1];
    assert.equal(v.delivered, true, 'the message still leaves: the milter failure is hidden');
    assert.equal(v.auth.dkim.result, 'none');
    assert.match(v.problems.join('; '), /DKIM none: .*not signed \(milter_default_action=accept: is the DKIM milter running\?\)/);
    assert.equal(r.json.hosts[H2].passed, true);
    assert.match(r.stderr, new RegExp(`${H1} +FAIL .* — DKIM none`));
  } finally {
    await fleet.exec(H1, 'service opendkim start');
  }
});

test('postfix_milter_default_action=tempfail: a dead milter holds the probe, verify reports it undelivered and queued', { skip }, async () => {
  const tempfail = await fleetplan(['apply', plan, '-i', inventory, '--limit', H1, '-e', 'postfix_milter_default_action=tempfail']);
  assert.equal(tempfail.code, 0, tempfail.stdout + tempfail.stderr);
  assert.equal((await fleet.exec(H1, 'postconf -h milter_default_action')).stdout, 'tempfail\n');
  assert.equal((await fleet.exec(H1, 'service opendkim stop')).code, 0);
  try {
    const r = await verify('--limit', H1, '--probe-timeout', '5');
    assert.equal(r.code, 2, r.stderr);
    const v = r.json.hosts[H1];
    assert.deepEqual([v.delivered, v.queue.empty, v.auth], [false, false, null]);
    assert.match(v.problems[0], /^not delivered: no probe reached the sink within 5 s/);
    assert.match(v.problems[1], /^queue not empty/);
  } finally {
    await fleet.exec(H1, 'service opendkim start; postsuper -d ALL');
    const back = await fleetplan(['apply', plan, '-i', inventory, '--limit', H1]);
    assert.equal(back.code, 0, back.stdout + back.stderr);
  }
});

test('verify catches a wrong published DKIM record', { skip }, async () => {
  const name = `${H2}._domainkey.example.org`;
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  await publishTxt(dns, 'example.org', { [name]: `v=DKIM1; h=sha256; k=rsa; p=${other}` });
  try {
    const r = await verify('--limit', H2);
    assert.equal(r.code, 2, r.stderr);
    const v = r.json.hosts[H2];
    assert.equal(v.auth.dkim.result, 'fail', JSON.stringify(v.auth.dkim));
    assert.match(v.problems.join('; '), /^DKIM fail/);
    // DMARC still passes on SPF alone (the envelope sender's domain is the From domain, and SPF
    // authorises the smarthost): exactly why verify checks DKIM on its own.
    assert.equal(v.auth.dmarc.result, 'pass');
    assert.deepEqual(Object.keys(r.json.hosts), [H2], '--limit selects the hosts');
  } finally {
    // fleetplan dns --publish puts the host's own key back.
    const back = await fleetplan(['dns', plan, '-i', inventory, '--publish']);
    assert.equal(back.code, 0, back.stdout + back.stderr);
  }
  assert.equal((await verify('--limit', H2)).code, 0);
});

test('verify catches a stopped Postfix and sends it no probe', { skip }, async () => {
  assert.equal((await fleet.exec(H1, 'postfix stop')).code, 0);
  try {
    const r = await verify();
    assert.equal(r.code, 2, r.stderr);
    const v = r.json.hosts[H1];
    assert.deepEqual([v.postfix, v.delivered], ['stopped', false]);
    assert.match(v.problems[0], /^Postfix is not running/);
    const maildrop = await fleet.exec(H1, 'find /var/spool/postfix/maildrop -type f | wc -l');
    assert.equal(maildrop.stdout.trim(), '0', 'no probe left behind to leave later');
    assert.equal(r.json.hosts[H2].passed, true);
  } finally {
    await fleet.exec(H1, 'postfix start');
  }
});

test('verify: an unreachable host is exit 3; bad --dns-server is a usage error', { skip }, async () => {
  const inv = path.join(out, 'inventory-ghost.yml');
  const text = (await import('node:fs')).readFileSync(inventory, 'utf8').replace(/(\n\s+deb-sysv-2: \{[^}]*\})/, '$1\n        ghost-1: { ssh_host: 127.0.0.1, ssh_port: 1 }');
  writeFileSync(inv, text);
  const r = await fleetplan(['verify', plan, '-i', inv, '--dns-server', `${dns.address}:${dns.port}`, '--limit', `${H1},ghost-1`, '--json', '--connect-timeout', '3']);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.json.hosts['ghost-1'].unreachable, true);
  assert.equal(r.json.hosts[H1].passed, true);
  const bad = await fleetplan(['verify', plan, '-i', inventory, '--dns-server', 'not-an-address']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--dns-server.*Expected an IP address/);
});

test('verify --smarthost-to: through the real smarthost, only the hand-over is observed; a refused login is reported', { skip }, async () => {
  const h2 = fleet.hosts.find((h) => h.name === H2)!;
  const viaSmarthost = (...extra: string[]) => fleetplan(['verify', plan, '-i', inventory, '--limit', H2, '--smarthost-to', 'ops@example.net', '--json', ...extra]);
  let sh = await startSmarthost({ netnsPid: h2.pid, users: { relayuser: 'not-the-password' }, dir: path.join(out, 'smarthost-wrong') });
  try {
    const r = await viaSmarthost('--probe-timeout', '4');
    assert.equal(r.code, 2, r.stderr);
    const v = r.json.hosts[H2];
    assert.deepEqual([v.mode, v.delivered, v.queue.empty], ['smarthost', false, false]);
    assert.match(v.problems[0], /^not handed to the smarthost within 4 s: \(.*authentication failed/i);
    await fleet.exec(H2, 'postsuper -d ALL');
    await sh.stop();
    sh = await startSmarthost({ netnsPid: h2.pid, users: { relayuser: PW }, dir: path.join(out, 'smarthost') });
    const ok = await viaSmarthost();
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual([ok.json.hosts[H2].delivered, ok.json.hosts[H2].auth], [true, null]);
    assert.match(ok.stderr, /handed to the smarthost in [0-9.]+ s · TLS, SASL, DKIM, SPF, DMARC not observed/);
    const [m] = await sh.waitForMessages(1, 5000);
    assert.deepEqual(m!.to, ['ops@example.net']);
    assert.match(Buffer.from(m!.raw, 'base64').toString(), new RegExp(`\nX-Fleetplan-Probe: ${ok.json.hosts[H2].probe}\r?\n`));
  } finally {
    await sh.stop();
  }
  const both = await fleetplan(['verify', plan, '-i', inventory, '--smarthost-to', 'ops@example.net', '--dns-server', '127.0.0.1']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--dns-server does nothing with --smarthost-to/);
});

test('apply --verify: verify runs after a successful apply and its result joins the JSON document', { skip }, async () => {
  const r = await fleetplan(['apply', plan, '-i', inventory, '--verify', '--dns-server', `${dns.address}:${dns.port}`, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.summary.changed, 0);
  assert.deepEqual(r.json.verify.summary.passed, 2);
  const check = await fleetplan(['apply', plan, '-i', inventory, '--check', '--verify']);
  assert.equal(check.code, 0);
  assert.match(check.stdout, /verify: not run \(a dry run sends no probe\)/);
  const idle = await fleetplan(['apply', plan, '-i', inventory, '--probe-timeout', '5']);
  assert.equal(idle.code, 2);
  assert.match(idle.stderr, /--probe-timeout only apply with --verify/);
});

test('verify --smtpd-ca: a relay whose smtpd serves a certificate the CA did not issue fails; unreadable CA file is a usage error', { skip }, async () => {
  // plans/relay.yml leaves Debian's self-signed snakeoil certificate on smtpd: no CA verifies it.
  const ca = path.join(out, 'other-ca.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=not the relay CA', '-keyout', path.join(out, 'other-ca.key'), '-out', ca]);
  assert.equal(made.status, 0, String(made.stderr));
  const r = await verify('--limit', H1, '--smtpd-ca', ca);
  assert.equal(r.code, 2, r.stderr);
  const v = r.json.hosts[H1];
  assert.deepEqual([v.smtpdCertificate.ok, v.smtpdCertificate.name], [false, `${H1}.example.org`]);
  assert.match(v.problems.join('; '), new RegExp(`^smtpd certificate for ${H1}\\.example\\.org: .*(self-signed|unable to (get|verify))`));
  // The probe itself still went through: the relay's own certificate is a check of its own.
  assert.deepEqual([v.delivered, v.auth.dkim.result], [true, 'pass']);
  assert.match(r.stderr, new RegExp(`${H1} +FAIL .* · smtpd certificate NOT OK for ${H1}\\.example\\.org · `));
  const missing = await fleetplan(['verify', plan, '-i', inventory, '--smtpd-ca', path.join(out, 'no-such.pem')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--smtpd-ca.*cannot read .*no-such\.pem: ENOENT/);
  const idle = await fleetplan(['apply', plan, '-i', inventory, '--smtpd-ca', ca]);
  assert.equal(idle.code, 2);
  assert.match(idle.stderr, /--smtpd-ca only apply with --verify/);
});
