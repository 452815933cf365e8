// `npm run demo`: a mixed-OS test fleet on this machine (one host per personality), the dry-run diff
// of the relay plan, the real run, a re-run that changes nothing, the DNS records published to the
// fleet's BIND9 (RFC 2136 + TSIG), `fleetplan verify` (a probe through each relay: TLS, SASL, DKIM, SPF
// and DMARC against the published records, queue) — then teardown.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeRelayInventory } from '../integration/relay-inventory.js';
import { startDnsServer, type DnsServer } from './dns-server.js';
import { PERSONALITIES, up, type Fleet } from './fleet.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(repo, 'dist/fleetplan.js');
const plan = process.env.DEMO_PLAN ?? 'plans/relay.yml';

const bold = (s: string) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s);

function step(title: string, args: string[], capture = false): { code: number; stdout: string } {
  process.stdout.write(`\n${bold(`━━ ${title}`)}\n$ fleetplan ${args.join(' ')}\n\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: repo, stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8' });
  if (capture) process.stdout.write(r.stdout);
  return { code: r.status ?? 1, stdout: r.stdout ?? '' };
}

async function main(): Promise<number> {
  const out = mkdtempSync('/tmp/fleetplan-demo-');
  let fleet: Fleet | undefined;
  let dnsServer: DnsServer | undefined;
  const cleanup = async () => {
    await dnsServer?.stop();
    await fleet?.down().catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    process.stdout.write(`Bringing up one test host per OS personality (${PERSONALITIES.join(', ')}) …\n`);
    fleet = await up({ os: [...PERSONALITIES], count: 1, out: path.join(out, 'fleet') });
    // Each host relays to a smarthost at 127.0.0.1:2525 in its own network namespace: `fleetplan
    // verify`'s sink stands in for it there (step 6).
    const password = randomBytes(12).toString('base64url');
    // The zone's primary: a BIND9 on 127.0.53.N, updates allowed with a key generated for this demo.
    dnsServer = await startDnsServer({ out, zones: ['example.org'] });
    const { address, port, tsig } = dnsServer;
    const dnsUpdate = `{ server: ${address}, port: ${port}, key_name: ${tsig.name}, key_secret: !secret ${JSON.stringify(tsig.secret)} }`;
    const inv = writeRelayInventory(fleet, path.join(out, 'inventory.yml'), { relayPassword: password, extraVars: { dns_update: dnsUpdate } });
    process.stdout.write(`Inventory: ${inv} (relay password generated for this demo, never printed)\n`);

    if (step('1. Facts: each host is recognised as its OS', ['facts', '-i', inv]).code !== 0) return 1;
    if (step('2. Dry run: what would change, with diffs (nothing is touched)', ['apply', plan, '-i', inv, '--check', '--diff']).code !== 0) return 1;
    if (step('3. Apply', ['apply', plan, '-i', inv]).code !== 0) return 1;
    if (step('4. Apply again: nothing left to change', ['apply', plan, '-i', inv]).code !== 0) return 1;
    if (step('5. DNS records: what publishing would change (nothing is sent)', ['dns', plan, '-i', inv, '--publish', '--check']).code !== 0) return 1;
    if (step(`5b. Publish them to the zone's primary (BIND9 at ${address}#${port})`, ['dns', plan, '-i', inv, '--publish']).code !== 0) return 1;

    const verified = step('6. Verify: a probe through each relay to a sink standing in for its smarthost', ['verify', plan, '-i', inv, '--dns-server', `${address}:${port}`]);
    if (verified.code !== 0) return verified.code;
    const drift = step('7. Drift check (exit 5 would mean changes pending)', ['apply', plan, '-i', inv, '--check', '--detailed-exitcode']).code;
    process.stdout.write(drift === 0 ? '\nDemo finished: the re-run changed nothing and every relay is verified.\n' : `\nDemo FAILED: changes still pending (exit ${drift}).\n`);
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
