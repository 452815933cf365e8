// `fleetplan facts`: what each host is (OS family and version, init system, package manager), read in
// one round trip per host.
import type { Command } from 'commander';
import pLimit from 'p-limit';
import { connectHost } from '../engine/connect-host.js';
import { ExitCode, FleetplanError } from '../core/errors.js';
import { gatherFacts } from '../facts/gather.js';
import { selectHosts } from '../load/inventory.js';
import { runSecrets } from './run-secrets.js';
import { addInventoryOptions, connectOptions, guard, readInventory, type CommonOpts } from './common.js';
import { limitSelectsNothing } from './inputs.js';
import { visible } from '../report/visible.js';

export function registerFacts(program: Command): void {
  addInventoryOptions(
    program
      .command('facts')
      .description('print the facts of every host (or of --limit): OS family and version, init system, package manager')
      .option('--json', 'one JSON document keyed by host', false),
  ).action((opts: CommonOpts & { json: boolean }) =>
    guard(async () => {
      const inventory = readInventory(opts.inventory, runSecrets);
      const hosts = selectHosts(inventory, 'all', opts.limit);
      if (opts.limit && hosts.length === 0) throw limitSelectsNothing(opts.limit, [...inventory.hosts.keys()], 'in the inventory');
      const limit = pLimit(opts.forks);
      const out: Record<string, unknown> = {};
      let failed = 0;
      await Promise.all(
        hosts.map((host) =>
          limit(async () => {
            try {
              const conn = await connectHost(inventory, host, {}, connectOptions(opts));
              try {
                out[host] = (await gatherFacts(conn, host)).facts;
              } finally {
                await conn.close();
              }
            } catch (err) {
              failed++;
              out[host] = { error: runSecrets.redact(err instanceof FleetplanError ? err.describe() : (err as Error).message) };
            }
          }),
        ),
      );
      // --json has every fact (addresses, local facts...); the line per host the ones people look for.
      if (opts.json) {
        process.stdout.write(JSON.stringify(Object.fromEntries(hosts.map((h) => [h, out[h]])), null, 2) + '\n');
      } else {
        for (const h of hosts) {
          const f = out[h] as Record<string, unknown>;
          if ('error' in f) {
            process.stdout.write(`${h}: UNREACHABLE ${visible(String(f.error))}\n`);
            continue;
          }
          process.stdout.write(visible(
            `${h}: ${f.distribution} ${f.distribution_version} (family ${f.os_family}), init ${f.init}, packages ${f.pkg_mgr}, hostname ${f.hostname}, ${f.system} ${f.kernel} ${f.arch}` +
              `, fqdn ${f.fqdn}, default ipv4 ${(f.default_ipv4 as { address?: string }).address ?? 'none'}, virtualization ${f.virtualization_type}`,
          ) + '\n');
        }
      }
      return failed ? ExitCode.unreachable : ExitCode.ok;
    }),
  );
}
