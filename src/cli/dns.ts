// `fleetplan dns`: per domain, the DNS records the operator must publish — DKIM keys read from each
// host (one exec per host), SPF authorising the smarthost, DMARC — in zone-file form.
import type { Command } from 'commander';
import pLimit from 'p-limit';
import { zoneFor, parseGenkeyTxt, spfForRelay, type DkimKeyOnHost, type DomainPolicy } from '../dns/records.js';
import { connectHost } from '../engine/connect-host.js';
import { targets } from '../engine/run.js';
import { ExitCode, FleetplanError } from '../core/errors.js';
import { gatherFacts } from '../facts/gather.js';
import type { Play, RoleRef, Vars } from '../load/model.js';
import { resolveVars } from '../load/resolve-vars.js';
import { evaluateWhen } from '../load/when.js';
import { secretVarNames, varsFor } from '../load/vars.js';
import { readState, uniqueQueries } from '../state/batch.js';
import { fileQuery } from '../state/file-state.js';
import { addInventoryOptions, addPlanOptions, connectOptions, guard, type PlanOpts } from './common.js';
import { loadInputs } from './inputs.js';
import { visible } from '../report/visible.js';

interface DkimEntry {
  domain: string;
  selector: string;
}

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

export function registerDns(program: Command): void {
  addInventoryOptions(
    addPlanOptions(program
      .command('dns')
      .description('print the DNS records to publish per domain: DKIM keys read from the hosts, SPF for the smarthost, DMARC')
      .argument('<plan>', 'the relay plan (its opendkim and postfix_relay roles give domains, selectors and the smarthost)')),
  ).action((planFile: string, opts: PlanOpts) =>
    guard(async () => {
      const inputs = loadInputs(planFile, opts);
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
                const scope = (play: Play, ref?: RoleRef): Vars =>
                  resolveVars(varsFor({ inventory: inputs.inventory, host, play, roleRef: ref, extraVars: inputs.extraVars, facts }), secretVarNames(play));
                // Every play's keys are read in one exec.
                const wanted: Array<{ entry: DkimEntry; query: ReturnType<typeof fileQuery> }> = [];
                let become = false;
                for (const play of plays) {
                  if (play.when !== undefined && !evaluateWhen(play.when, scope(play))) continue;
                  const roleScope = (name: string) => {
                    const ref = play.roles.find((r) => r.role.name === name);
                    return ref ? scope(play, ref) : undefined;
                  };
                  const relay = roleScope('postfix_relay') ?? scope(play);
                  const dkim = roleScope('opendkim');
                  const entries = dkim && dkim.dkim_enabled !== false ? ((dkim.dkim_keys ?? []) as DkimEntry[]) : [];
                  for (const entry of entries) {
                    wanted.push({ entry, query: fileQuery(`${str(dkim!.opendkim_key_dir)}/${entry.domain}/${entry.selector}.txt`, { withContent: true }) });
                  }
                  if (entries.length) become ||= Boolean(play.become);
                  for (const domain of new Set([str(relay.mail_domain), ...entries.map((e) => e.domain)].filter(Boolean))) {
                    const p = policies.get(domain) ?? { domain, spf: [], dmarc: '' };
                    if (relay.relay_host) p.spf.push(...spfForRelay(str(relay.relay_host), str(relay.spf_include) || undefined));
                    const rua = str(relay.dmarc_rua) || `mailto:postmaster@${domain}`;
                    p.dmarc = `v=DMARC1; p=${str(relay.dmarc_policy) || 'none'}; rua=${rua}`;
                    policies.set(domain, p);
                  }
                }
                const view = await readState(conn, uniqueQueries(wanted.map((w) => w.query)), { become, label: 'read DKIM keys' });
                for (const { entry: e, query } of wanted) {
                  const st = view.get(query);
                  keys.push({ host, domain: e.domain, selector: e.selector, txt: st.exists && st.content ? parseGenkeyTxt(st.content.toString()) : null });
                }
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
