// `fleetplan dns`: per domain, the DNS records the operator must publish — DKIM keys read from each
// host (one exec per host), SPF authorising the smarthost, DMARC — in zone-file form. Hosts are reached
// and their variables computed as the engine does (connect-host.ts, host-scope.ts); which variables hold
// the records, the roles declare (meta.yml `dns_records:`, src/dns/plan-records.ts).
import type { Command } from 'commander';
import pLimit from 'p-limit';
import { hostRecords } from '../dns/plan-records.js';
import { zoneFor, parseGenkeyTxt, type DkimKeyOnHost, type DomainPolicy } from '../dns/records.js';
import { connectHost } from '../engine/connect-host.js';
import { hostScope } from '../engine/host-scope.js';
import { targets } from '../engine/run.js';
import { ExitCode, FleetplanError } from '../core/errors.js';
import { runSecrets } from './run-secrets.js';
import { gatherFacts } from '../facts/gather.js';
import { readState, uniqueQueries } from '../state/batch.js';
import { fileQuery } from '../state/file-state.js';
import { addInventoryOptions, addPlanOptions, connectOptions, guard, type PlanOpts } from './common.js';
import { loadInputs } from './inputs.js';
import { visible } from '../report/visible.js';

export function registerDns(program: Command): void {
  addInventoryOptions(
    addPlanOptions(program
      .command('dns')
      .description('print the DNS records to publish per domain: DKIM keys read from the hosts, SPF for the smarthost, DMARC')
      .argument('<plan>', 'the relay plan (its roles that declare dns_records: in meta.yml, e.g. opendkim and postfix_relay, give domains, selectors and the smarthost)')),
  ).action((planFile: string, opts: PlanOpts) =>
    guard(async () => {
      const inputs = loadInputs(planFile, opts, runSecrets);
      const byHost = targets(inputs.plan, inputs.inventory, opts.limit);
      const keys: DkimKeyOnHost[] = [];
      const policies = new Map<string, DomainPolicy>();
      const failures: string[] = [];
      const limit = pLimit(opts.forks);
      await Promise.all(
        [...byHost].map(([host, plays]) =>
          limit(async () => {
            try {
              const conn = await connectHost(inputs.inventory, host, inputs.extraVars, connectOptions(opts));
              try {
                const { facts } = await gatherFacts(conn, host);
                const wanted = hostRecords(plays, hostScope(inputs, host, facts), policies, inputs.secrets);
                // Every play's keys are read in one exec.
                const queries = wanted.keys.map((k) => fileQuery(k.txtPath, { withContent: true }));
                const view = await readState(conn, uniqueQueries(queries), { become: wanted.become, label: 'read DKIM keys' });
                wanted.keys.forEach(({ entry: e }, i) => {
                  const st = view.get(queries[i]!);
                  keys.push({ host, domain: e.domain, selector: e.selector, txt: st.exists && st.content ? parseGenkeyTxt(st.content.toString()) : null });
                });
              } finally {
                await conn.close();
              }
            } catch (err) {
              failures.push(`${host}: ${err instanceof FleetplanError ? err.describe() : (err as Error).message}`);
            }
          }),
        ),
      );
      keys.sort((a, b) => a.host.localeCompare(b.host));
      const zone = zoneFor(keys, [...policies.values()]);
      process.stdout.write(`; DNS records for ${planFile} (${byHost.size} host(s)); publish them in each domain's zone.\n${visible(zone.text)}`);
      for (const p of [...failures, ...zone.problems]) process.stderr.write(`warning: ${visible(p)}\n`);
      return failures.length ? ExitCode.unreachable : zone.problems.length ? ExitCode.hostFailed : ExitCode.ok;
    }),
  );
}
