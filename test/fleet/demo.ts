// `npm run demo`: a mixed-OS test fleet on this machine (one host per personality), the dry-run diff
// of the relay plan, the real run, a re-run that changes nothing, the DNS records published to the
// fleet's BIND9 (RFC 2136 + TSIG), a message relayed by each host through a smarthost (TLS + SASL,
// DKIM-signed, verified against the published key) — then teardown.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyDkim } from '../integration/dkim.js';
import { writeRelayInventory } from '../integration/relay-inventory.js';
import { startSmarthost, type Smarthost } from '../integration/smarthost.js';
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
  const smarthosts: Smarthost[] = [];
  let dnsServer: DnsServer | undefined;
  const cleanup = async () => {
    await dnsServer?.stop();
    for (const s of smarthosts) await s.stop().catch(() => undefined);
    await fleet?.down().catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    process.stdout.write(`Bringing up one test host per OS personality (${PERSONALITIES.join(', ')}) …\n`);
    fleet = await up({ os: [...PERSONALITIES], count: 1, out: path.join(out, 'fleet') });
    // Each host relays to a smarthost in its own network namespace (127.0.0.1:2525 there).
    const password = randomBytes(12).toString('base64url');
    for (const h of fleet.hosts) {
      smarthosts.push(await startSmarthost({ netnsPid: h.pid, users: { relayuser: password }, dir: path.join(out, 'smarthost', h.name) }));
    }
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

    process.stdout.write(`\n${bold('━━ 6. A message from each host, through its smarthost')}\n\n`);
    for (const [i, h] of fleet.hosts.entries()) {
      await fleet.exec(h.name, `printf 'Subject: hello from ${h.name}\\n\\nrelayed\\n' | sendmail -f ops@example.org someone@example.net`);
      const [m] = await smarthosts[i]!.waitForMessages(1, 60_000);
      const dkim = await verifyDkim(Buffer.from(m!.raw, 'base64'), dnsServer);
      process.stdout.write(`${h.name.padEnd(15)} delivered over ${m!.tlsProtocol} as ${m!.user}, DKIM ${dkim.pass ? 'pass' : `FAIL (${dkim.result})`} (s=${dkim.selector})\n`);
    }
    const drift = step('7. Drift check (exit 5 would mean changes pending)', ['apply', plan, '-i', inv, '--check', '--detailed-exitcode']).code;
    process.stdout.write(drift === 0 ? '\nDemo finished: the re-run changed nothing and every host relays signed mail.\n' : `\nDemo FAILED: changes still pending (exit ${drift}).\n`);
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
