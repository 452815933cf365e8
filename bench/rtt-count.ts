// Round trips of any fleetplan command against a running test fleet, through the bench's delaying
// proxies (bench/rtt.ts): for looking at one change's effect without a whole bench run.
//   node dist/bench/rtt-count.js <fleet dir> <rtt ms> [--trace] [--relay] -- <fleetplan args…, {inventory} for the proxied inventory>
// Prints the command's output, then per host: connections, round trips, and with --trace every chunk.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from '../test/fleet/fleet.js';
import { writeRelayInventory } from '../test/integration/relay-inventory.js';
import { proxyFleet } from './rtt.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
if (sep < 2) {
  process.stderr.write('usage: rtt-count.js <fleet dir> <rtt ms> [--trace] [--relay] -- <fleetplan args, {inventory}>\n');
  process.exit(2);
}
const [dir, rtt] = argv;
const trace = argv.slice(2, sep).includes('--trace');
// --relay: {inventory} is the bench's relay inventory (plans/relay.yml's variables) over the proxies.
const relay = argv.slice(2, sep).includes('--relay');
const fleet = load(path.resolve(dir!));
const lines: string[] = [];
const px = await proxyFleet(fleet, Number(rtt), path.resolve(dir!), trace ? (host, conn, d, bytes, at) => lines.push(`${host}#${conn} ${at.toFixed(1).padStart(8)} ms ${d === 'up' ? '→' : '←'} ${bytes || 'end'}`) : undefined);
const mark = px.mark();
const inventory = relay ? writeRelayInventory(px.fleet, path.join(path.resolve(dir!), 'relay.proxied.yml'), { relayPassword: 'Bench-relay-Pa55word' }) : px.fleet.inventoryPath;
const args = argv.slice(sep + 1).map((a) => a.replace('{inventory}', inventory));
const t0 = Date.now();
const code = await new Promise<number>((resolve) => {
  const c = spawn(process.execPath, [path.join(repo, 'dist/fleetplan.js'), ...args], { stdio: 'inherit', env: { ...process.env, NO_COLOR: '1' } });
  c.on('exit', (n) => resolve(n ?? 1));
});
const wall = Date.now() - t0;
await new Promise((r) => setTimeout(r, 50 + 2 * Number(rtt)));
if (trace) process.stdout.write(`${lines.join('\n')}\n`);
for (const [host, x] of px.since(mark)) process.stdout.write(`${host}: ${x.conns} connection(s), ${x.roundTrips} round trips\n`);
process.stdout.write(`exit ${code}, ${wall} ms\n`);
await px.close();
process.exit(code);
