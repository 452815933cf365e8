// `npm run demo`: a small test fleet on this machine, the dry-run diff of a plan, the real run, a
// re-run that changes nothing, and teardown — the whole promise of fleetplan in one command.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PERSONALITIES, up, type Fleet } from './fleet.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(repo, 'dist/src/cli/main.js');
const plan = process.env.DEMO_PLAN ?? 'plans/sample.yml';

function step(title: string, args: string[]): number {
  process.stdout.write(`\n\x1b[1m━━ ${title}\x1b[0m\n$ fleetplan ${args.join(' ')}\n\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: repo, stdio: 'inherit' });
  return r.status ?? 1;
}

async function main(): Promise<number> {
  const out = mkdtempSync('/tmp/fleetplan-demo-');
  let fleet: Fleet | undefined;
  const cleanup = async () => {
    await fleet?.down().catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    process.stdout.write(`Bringing up one test host per personality (${PERSONALITIES.join(', ')}) in ${out} …\n`);
    fleet = await up({ os: [...PERSONALITIES], count: 1, out });
    const inv = fleet.inventoryPath;
    if (step('1. Facts', ['facts', '-i', inv]) !== 0) return 1;
    if (step('2. Dry run: what would change, with diffs (nothing is touched)', ['apply', plan, '-i', inv, '--check', '--diff']) !== 0) return 1;
    if (step('3. Apply', ['apply', plan, '-i', inv]) !== 0) return 1;
    if (step('4. Apply again: nothing left to change', ['apply', plan, '-i', inv]) !== 0) return 1;
    const drift = step('5. Drift check (exit 5 would mean changes pending)', ['apply', plan, '-i', inv, '--check', '--detailed-exitcode']);
    process.stdout.write(drift === 0 ? '\nDemo finished: the re-run changed nothing.\n' : `\nDemo FAILED: changes still pending (exit ${drift}).\n`);
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
