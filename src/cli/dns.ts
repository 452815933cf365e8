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
import { ExitCode, FleetplanError, InputError } from '../core/errors.js';
import { publishRecords, type HostSetting } from './dns-publish.js';
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
      .argument('<plan>', 'the relay plan (its roles that declare dns_records: in meta.yml, e.g. opendkim and postfix_relay, give domains, selectors and the smarthost)')
      .option('--publish', "send the records to each domain's primary by RFC 2136 dynamic update with TSIG (dns_update variable), removing stale ones fleetplan owns")
      .option('-C, --check', 'with --publish: show the record diff against what the server serves now, send nothing')),
  ).action((planFile: string, opts: PlanOpts & { publish?: boolean; check?: boolean }) =>
    guard(async () => {
      if (opts.check && !opts.publish) throw new InputError('--check goes with --publish (without it, dns prints the records and changes nothing)');
      // A host left out would look like a host whose selector is gone: its key would be removed.
      if (opts.publish && opts.limit) throw new InputError('--publish reads every host of the plan (a host left out by --limit would have its DKIM record removed): drop --limit')
      const inputs = loadInputs(planFile, opts, runSecrets);
      const byHost = targets(inputs.plan, inputs.inventory, opts.limit);
      const keys: DkimKeyOnHost[] = [];
      const policies = new Map<string, DomainPolicy>();
      const failures: string[] = [];
      const inputErrors: InputError[] = [];
      const settings: HostSetting[] = [];
      const limit = pLimit(opts.forks);
      await Promise.all(
        [...byHost].map(([host, plays]) =>
          limit(async () => {
            try {
              const conn = await connectHost(inputs.inventory, host, inputs.extraVars, connectOptions(opts));
              try {
                const { facts } = await gatherFacts(conn, host);
                const wanted = hostRecords(plays, hostScope(inputs, host, facts), policies, inputs.secrets);
                settings.push(...wanted.publish.map((p) => ({ ...p, host })));
                // Every play's keys are read in one exec.
                const queries = wanted.keys.map((k) => fileQuery(k.txtPath, { withContent: true }));
                const view = await readState(conn, uniqueQueries(queries), { become: wanted.become, label: 'read DKIM keys' });
                wanted.keys.forEach(({ entry: e, rotation }, i) => {
                  const st = view.get(queries[i]!);
                  const txt = st.exists && st.content ? parseGenkeyTxt(st.content.toString()) : null;
                  // A previous key the host retired (removed from disk) is not published any more: its record goes as stale.
                  if (txt !== null || rotation !== 'previous') keys.push({ host, domain: e.domain, selector: e.selector, txt });
                });
              } finally {
                await conn.close();
              }
            } catch (err) {
              if (err instanceof InputError) inputErrors.push(err.host ? err : new InputError(err.message, { pos: err.pos, host }));
              else failures.push(`${host}: ${err instanceof FleetplanError ? err.describe() : (err as Error).message}`);
            }
          }),
        ),
      );
      if (inputErrors.length) {
        for (const e of inputErrors) process.stderr.write(`error: ${visible(inputs.secrets.redact(e.describe()))}\n`);
        process.stderr.write(`fleetplan: invalid input${opts.publish ? '; nothing was sent to a DNS server' : ''}\n`);
        return ExitCode.invalidInput;
      }
      keys.sort((a, b) => a.host.localeCompare(b.host));
      const zone = zoneFor(keys, [...policies.values()]);
      if (opts.publish) {
        for (const p of [...failures, ...zone.problems]) process.stderr.write(`error: ${visible(p)}\n`);
        if (failures.length || zone.problems.length) {
          process.stderr.write('fleetplan: nothing published: every host must be read and every key present first\n');
          return failures.length ? ExitCode.unreachable : ExitCode.hostFailed;
        }
        return publishRecords(keys, [...policies.values()], settings, Boolean(opts.check), inputs.secrets);
      }
      process.stdout.write(`; DNS records for ${planFile} (${byHost.size} host(s)); publish them in each domain's zone.\n${visible(zone.text)}`);
      for (const p of [...failures, ...zone.problems]) process.stderr.write(`warning: ${visible(p)}\n`);
      return failures.length ? ExitCode.unreachable : zone.problems.length ? ExitCode.hostFailed : ExitCode.ok;
    }),
  );
}
