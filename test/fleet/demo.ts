// `npm run demo`: a mixed-OS test fleet on this machine (one host per personality), a real BIND9 as
// the zone's primary and a real ACME CA (pebble): the dry-run diff of plans/relay-acme.yml, the real
// run (certbot on the controller issues each relay's smtpd certificate from pebble by DNS-01 through
// the BIND9, then the relays are configured and get their certificate), a re-run that changes
// nothing, the DKIM/SPF/DMARC records published to the BIND9 (RFC 2136 + TSIG), `fleetplan verify`
// (a probe through each relay: TLS, the relay's own certificate against pebble's root, SASL, DKIM, SPF
// and DMARC against the published records, queue) with a table per host — then teardown.
//
// DEMO_RESULT=<file>: the verify JSON is also written there (test/integration/demo.test.ts reads it).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeRelayInventory } from '../integration/relay-inventory.js';
import { startAcmeServer, type AcmeServer } from './acme-server.js';
import { startDnsServer, type DnsServer } from './dns-server.js';
import { PERSONALITIES, up, type Fleet } from './fleet.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(repo, 'dist/fleetplan.js');
const plan = process.env.DEMO_PLAN ?? 'plans/relay-acme.yml';

const bold = (s: string) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s);

function step(title: string, args: string[], capture = false): { code: number; stdout: string } {
  process.stdout.write(`\n${bold(`━━ ${title}`)}\n$ fleetplan ${args.join(' ')}\n\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: repo, stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? 1, stdout: r.stdout ?? '' };
}

/** The verify document's per-host checks, one row each: what the demo promises to show. */
function verifyTable(json: any): string {
  const head = ['host', 'result', 'TLS to smarthost', 'relay certificate (smtpd)', 'SASL identity', 'DKIM', 'SPF', 'DMARC', 'queue'];
  const rows = Object.entries<any>(json.hosts).map(([host, v]) => {
    if (v.error) return [host, v.unreachable ? 'UNREACHABLE' : 'FAIL', v.error];
    const cert = v.smtpdCertificate;
    return [
      host,
      v.passed ? 'ok' : 'FAIL',
      v.tls?.version ?? 'none',
      cert ? (cert.ok ? `OK ${cert.subject}, ${cert.daysLeft} d` : `NOT OK: ${cert.error}`) : 'not checked',
      v.sasl ?? 'none',
      v.auth?.dkim.result ?? '-',
      v.auth?.spf.result ?? '-',
      v.auth?.dmarc.result ?? '-',
      v.queue.empty ? 'empty' : 'NOT empty',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [head, ...rows].map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

interface Servers {
  dns: DnsServer;
  acme: AcmeServer;
  /** pebble's issuing root: what the relays' certificates chain to (verify --smtpd-ca). */
  root: string;
}

async function startServers(out: string): Promise<Servers> {
  // The zone's primary: a BIND9 on 127.0.53.N, updates allowed with a key generated for this demo.
  const dns = await startDnsServer({ out, zones: ['example.org'] });
  // The ACME CA: pebble on 127.0.54.1, checking the DNS-01 challenge through that BIND9.
  const acme = await startAcmeServer({ out, dns }).catch(async (e: Error) => {
    await dns.stop();
    throw e;
  });
  const root = path.join(out, 'pebble-root.pem');
  writeFileSync(root, await acme.issuingRoot());
  return { dns, acme, root };
}

function inventoryFor(fleet: Fleet, s: Servers, out: string): string {
  const { address, port, tsig } = s.dns;
  const dnsUpdate = `{ server: ${address}, port: ${port}, zone: example.org, key_name: ${tsig.name}, key_algorithm: ${tsig.algorithm}, key_secret: !secret ${JSON.stringify(tsig.secret)} }`;
  // Each host relays to a smarthost at 127.0.0.1:2525 in its own network namespace: `fleetplan
  // verify`'s sink stands in for it there (step 6). Each relay's certificate names what its smtpd
  // announces (postfix_myhostname: <host>.<mail_domain>), in the zone the BIND9 serves.
  return writeRelayInventory(fleet, path.join(out, 'inventory.yml'), {
    relayPassword: randomBytes(12).toString('base64url'),
    extraVars: {
      dns_update: dnsUpdate,
      acme_directory_url: s.acme.directoryUrl,
      acme_ca_bundle: s.acme.caBundle,
      acme_dir: path.join(out, 'certbot'),
      acme_propagation_seconds: '1',
      acme_domain: '"{{inventory_hostname}}.{{mail_domain}}"',
    },
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const out = mkdtempSync('/tmp/fleetplan-demo-');
  let fleet: Fleet | undefined;
  let servers: Servers | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await servers?.acme.stop();
      await servers?.dns.stop();
      await fleet?.down().catch(() => undefined);
      rmSync(out, { recursive: true, force: true });
    })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void cleanup().then(() => process.exit(130)));
  try {
    process.stdout.write(`Bringing up one test host per OS personality (${PERSONALITIES.join(', ')}) …\n`);
    fleet = await up({ os: [...PERSONALITIES], count: 1, out: path.join(out, 'fleet') });
    servers = await startServers(out);
    const inv = inventoryFor(fleet, servers, out);
    const { address, port } = servers.dns;
    process.stdout.write(`Inventory: ${inv} (relay password generated for this demo, never printed)\n`);
    process.stdout.write(`DNS: BIND9 at ${address}#${port} (zone example.org); ACME: pebble at ${servers.acme.directoryUrl}\n`);

    if (step('1. Facts: each host is recognised as its OS', ['facts', '-i', inv]).code !== 0) return 1;
    if (step('2. Dry run: what would change, with diffs (nothing is touched, no certificate requested)', ['apply', plan, '-i', inv, '--check', '--diff']).code !== 0) return 1;
    if (step('3. Apply: certbot issues each relay\'s certificate from the ACME CA (DNS-01 via the BIND9), then the relays', ['apply', plan, '-i', inv]).code !== 0) return 1;
    if (step('4. Apply again: nothing left to change (certbot not even started)', ['apply', plan, '-i', inv]).code !== 0) return 1;
    if (step('5. DNS records: what publishing would change (nothing is sent)', ['dns', plan, '-i', inv, '--publish', '--check']).code !== 0) return 1;
    if (step(`5b. Publish them to the zone's primary (BIND9 at ${address}#${port})`, ['dns', plan, '-i', inv, '--publish']).code !== 0) return 1;

    const verifyArgs = ['verify', plan, '-i', inv, '--dns-server', `${address}:${port}`, '--smtpd-ca', servers.root, '--json'];
    const verified = step("6. Verify: a probe through each relay to a sink standing in for its smarthost; each relay's own certificate against the ACME CA's root", verifyArgs, true);
    const json = JSON.parse(verified.stdout || '{"hosts":{}}');
    if (process.env.DEMO_RESULT) writeFileSync(process.env.DEMO_RESULT, verified.stdout);
    process.stdout.write(`\n${bold('Per host')} (TLS to smarthost: the relay does not verify the sink's certificate, smtp_tls_security_level=encrypt; relay certificate: its smtpd's STARTTLS chain verified against pebble's root and its myhostname)\n\n${verifyTable(json)}\n`);
    if (verified.code !== 0) return verified.code;
    const drift = step('7. Drift check (exit 5 would mean changes pending)', ['apply', plan, '-i', inv, '--check', '--detailed-exitcode']).code;
    const took = ((Date.now() - started) / 1000).toFixed(0);
    process.stdout.write(drift === 0 ? `\nDemo finished in ${took} s: the re-run changed nothing and every relay is verified.\n` : `\nDemo FAILED: changes still pending (exit ${drift}).\n`);
    return drift;
  } finally {
    process.stdout.write('Tearing the fleet down …\n');
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`demo failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
