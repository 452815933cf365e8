// Soak run: one controller process applies the relay plan to a fleet, then runs it again N times
// (default 20) with nothing to change. Every run must report zero changes and zero failures, and
// the controller's memory must stay flat: after a forced GC, heap and RSS of the last runs may not
// exceed the first no-change run's by more than a small margin (a leak grows with every run).
//
//   npm run build && node --expose-gc dist/bench/soak.js --hosts 50 --runs 20
import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunEvent } from '../src/engine/events.js';
import { runPlan } from '../src/engine/run.js';
import { loadInventory } from '../src/load/inventory.js';
import { loadPlan } from '../src/load/plan.js';
import { up } from '../test/fleet/fleet.js';
import { writeRelayInventory } from '../test/integration/relay-inventory.js';
import { SecretRegistry } from '../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const opts = new Command()
  .option('--hosts <n>', 'fleet size', (v) => Number(v), 50)
  .option('--runs <n>', 'consecutive no-change runs', (v) => Number(v), 20)
  .option('--personality <name>', 'test host personality', 'debian-sysv')
  .option('--forks <n>', 'parallel hosts', (v) => Number(v), 50)
  .parse()
  .opts<{ hosts: number; runs: number; personality: string; forks: number }>();

const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;

async function main(): Promise<number> {
  if (!gc) throw new Error('run with node --expose-gc (memory is compared after forced collections)');
  const out = mkdtempSync('/tmp/fleetplan-soak-');
  const fleet = await up({ os: opts.personality, count: opts.hosts, out: path.join(out, 'fleet') });
  try {
    const inv = loadInventory(writeRelayInventory(fleet, path.join(out, 'inventory.yml'), { relayPassword: 'soak-relay-password' }), testSecrets);
    const plan = loadPlan(path.join(repo, 'plans/relay.yml'), { rolesPath: [], secrets: testSecrets });
    const run = async () => {
      let changed = 0;
      let failed = 0;
      const t0 = Date.now();
      const summary = await runPlan(plan, inv, { check: false, forks: opts.forks, tags: [], skipTags: [], secrets: testSecrets, extraVars: {} }, (e: RunEvent) => {
        if (e.type === 'task-result' && e.result.status === 'changed') changed++;
        if ((e.type === 'task-result' && e.result.status === 'failed' && !e.result.ignored) || e.type === 'host-failed' || e.type === 'host-unreachable') failed++;
      });
      gc!();
      const mem = process.memoryUsage();
      return { ms: Date.now() - t0, changed, failed, hosts: Object.keys(summary.hosts).length, heapMB: mem.heapUsed / MB, rssMB: mem.rss / MB };
    };
    const first = await run();
    process.stdout.write(`first apply: ${first.hosts} hosts, ${first.changed} changes, ${first.failed} failures, ${(first.ms / 1000).toFixed(1)} s\n`);
    if (first.failed) return 1;
    process.stdout.write(`run  wall(s)  changes  failures  heap(MB)  rss(MB)\n`);
    const rows = [];
    for (let i = 1; i <= opts.runs; i++) {
      const r = await run();
      rows.push(r);
      process.stdout.write(`${String(i).padStart(3)}  ${(r.ms / 1000).toFixed(2).padStart(7)}  ${String(r.changed).padStart(7)}  ${String(r.failed).padStart(8)}  ${r.heapMB.toFixed(1).padStart(8)}  ${r.rssMB.toFixed(1).padStart(7)}\n`);
    }
    const bad = rows.filter((r) => r.changed || r.failed);
    // Flat: the mean of the last 5 runs within 10% (heap) / 15% (RSS) of the mean of runs 2–6
    // (run 1 warms caches: compiled templates, parsed known_hosts).
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const early = rows.slice(1, 6);
    const late = rows.slice(-5);
    const heapGrowth = mean(late.map((r) => r.heapMB)) / mean(early.map((r) => r.heapMB)) - 1;
    const rssGrowth = mean(late.map((r) => r.rssMB)) / mean(early.map((r) => r.rssMB)) - 1;
    const flat = heapGrowth < 0.1 && rssGrowth < 0.15;
    process.stdout.write(
      `\n${opts.runs} no-change runs on ${opts.hosts} hosts: ${bad.length ? `${bad.length} run(s) reported changes or failures` : 'zero changes, zero failures'}; ` +
        `memory ${flat ? 'flat' : 'GROWING'} (heap ${(heapGrowth * 100).toFixed(1)}%, rss ${(rssGrowth * 100).toFixed(1)}% from early to late runs)\n`,
    );
    return bad.length || !flat ? 1 : 0;
  } finally {
    await fleet.down().catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`soak failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
