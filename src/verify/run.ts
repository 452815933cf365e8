// `fleetplan verify` over the fleet: the plan's hosts (the same selection, --limit, forks, connection
// and become settings as apply), each reached as apply reaches it (engine/connect-host.ts) with its
// variables computed as apply computes them (engine/host-scope.ts), which give the probe's domain and
// the DKIM selectors the host should sign with (the roles' meta.yml `dns_records:`, as `fleetplan dns`).
import pLimit from 'p-limit';
import { FleetplanError } from '../core/errors.js';
import type { SecretRegistry } from '../core/secret.js';
import { hostRecords } from '../dns/plan-records.js';
import type { DomainPolicy } from '../dns/records.js';
import { connectHost, type ConnectOptions } from '../engine/connect-host.js';
import { hostScope } from '../engine/host-scope.js';
import { targets } from '../engine/run.js';
import { gatherFacts } from '../facts/gather.js';
import type { Inventory, Plan, Vars } from '../load/model.js';
import { dnsResolver } from './evaluate.js';
import { verifyHost } from './host.js';
import type { HostOutcome, VerifySummary } from './outcome.js';
import { startSink } from './sink.js';

export interface VerifyInputs {
  plan: Plan;
  inventory: Inventory;
  extraVars: Vars;
  secrets: SecretRegistry;
}

export interface VerifyOptions extends ConnectOptions {
  limit?: string;
  forks: number;
  /** How long to wait for each probe at the sink. */
  timeoutMs: number;
  /** `addr[:port]` of the DNS server DKIM, SPF and DMARC are looked up at; undefined: the system's. */
  dnsServer?: string;
  /** Send through each relay's real smarthost to this recipient, instead of to the sink (--smarthost). */
  smarthostTo?: string;
  /** CA bundle (PEM text) each relay's own smtpd certificate is checked against (--smtpd-ca). */
  smtpdCa?: string;
}

export async function runVerify(inputs: VerifyInputs, opts: VerifyOptions, onHost: (o: HostOutcome) => void = () => undefined): Promise<VerifySummary> {
  const start = Date.now();
  const byHost = targets(inputs.plan, inputs.inventory, opts.limit);
  const resolver = dnsResolver(opts.dnsServer);
  const sink = opts.smarthostTo === undefined ? await startSink() : undefined;
  const limit = pLimit(opts.forks);
  try {
    const hosts = await Promise.all(
      [...byHost].map(([host, plays]) =>
        limit(async (): Promise<HostOutcome> => {
          let connected = false;
          try {
            const conn = await connectHost(inputs.inventory, host, inputs.extraVars, opts);
            connected = true;
            try {
              const { facts } = await gatherFacts(conn, host);
              const policies = new Map<string, DomainPolicy>();
              const wanted = hostRecords(plays, hostScope(inputs, host, facts), policies, inputs.secrets);
              const domain = wanted.keys[0]?.entry.domain ?? [...policies.keys()][0];
              if (!domain) return { host, unreachable: false, error: 'the plan gives this host no mail domain (mail_domain) or DKIM key: nothing to send a probe as' };
              const selectors = wanted.keys.filter((k) => k.entry.domain === domain && !k.rotation).map((k) => k.entry.selector);
              const become = plays.some((p) => p.become);
              const mode = opts.smarthostTo === undefined ? 'sink' : 'smarthost';
              const out = await verifyHost(conn, { host, domain, selectors, become, sink, resolver, timeoutMs: opts.timeoutMs, mode, probeTo: opts.smarthostTo, smtpdCa: opts.smtpdCa });
              onHost(out);
              return out;
            } finally {
              await conn.close();
            }
          } catch (err) {
            const error = inputs.secrets.redact(err instanceof FleetplanError ? err.describe() : (err as Error).message);
            const out = { host, unreachable: !connected, error };
            onHost(out);
            return out;
          }
        }),
      ),
    );
    return { hosts, ms: Date.now() - start };
  } finally {
    await sink?.stop();
  }
}
