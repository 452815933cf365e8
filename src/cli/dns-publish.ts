// `fleetplan dns --publish [--check]`: per domain, the records fleetplan owns there (record-diff.ts)
// read from the zone's primary, compared with what the hosts and plays want, and the difference
// sent as one RFC 2136 update signed with TSIG (nsupdate.ts); with --check only the diff is shown.
// Domains are published one after the other; one failing does not stop the others.
import { ExitCode, InputError } from '../core/errors.js';
import type { SecretRegistry } from '../core/secret.js';
import type { PublishSetting } from '../dns/plan-records.js';
import { describeTarget, sameTarget, updateTarget, type UpdateTarget } from '../dns/dns-update.js';
import { nsupdate } from '../dns/nsupdate.js';
import { DnsServerError, serverAddress, zoneReader } from '../dns/published.js';
import { diffLines, domainChanges, updateCommands, type WantedDomain } from '../dns/record-diff.js';
import { spfValue, type DkimKeyOnHost, type DomainPolicy } from '../dns/records.js';
import { visible } from '../report/visible.js';

export interface HostSetting extends PublishSetting {
  host: string;
}

/** Each domain's checked target; every domain needs one, and the hosts giving it must agree. */
function targetsByDomain(domains: string[], settings: HostSetting[]): Map<string, UpdateTarget> {
  const out = new Map<string, UpdateTarget>();
  for (const domain of domains) {
    const given = settings.filter((s) => s.domain === domain).map((s) => ({ host: s.host, target: updateTarget(s.value, domain, s.host) }));
    if (given.length === 0) throw new InputError(`${domain}: no dns_update variable says where to publish its records ({server, port, zone, key_name, key_algorithm, key_secret}; docs/relay-fleet.md)`);
    const other = given.find((g) => !sameTarget(g.target, given[0]!.target));
    if (other) throw new InputError(`${domain}: hosts ${given[0]!.host} and ${other.host} give different dns_update settings; a domain is published to one zone with one key`);
    out.set(domain, given[0]!.target);
  }
  return out;
}

function wantedDomains(keys: DkimKeyOnHost[], policies: DomainPolicy[]): WantedDomain[] {
  const domains = [...new Set([...policies.map((p) => p.domain), ...keys.map((k) => k.domain)])].sort();
  return domains.map((domain) => {
    const policy = policies.find((p) => p.domain === domain);
    const dkim = new Map(keys.filter((k) => k.domain === domain && k.txt !== null).map((k) => [k.selector, k.txt!]));
    return { domain, spf: policy && spfValue(policy), dmarc: policy?.dmarc, dkim };
  });
}

interface Outcome {
  code: number;
  lines: string[];
  error?: string;
}

async function publishDomain(w: WantedDomain, t: UpdateTarget, check: boolean, secrets: SecretRegistry): Promise<Outcome> {
  const lines = [`${w.domain}: ${describeTarget(t)}`];
  try {
    const address = await serverAddress(t);
    const read = zoneReader(t, address);
    const before = await read.serial();
    const changes = await domainChanges(w, read);
    lines.push(...diffLines(changes, t.ttl).map((l) => `  ${l}`));
    const n = changes.reduce((sum, c) => sum + c.remove.length + c.add.length, 0);
    if (n === 0) lines.push(`  no change (serial ${before})`);
    else if (check) lines.push(`  would publish ${n} change(s); nothing sent (--check)`);
    else {
      await nsupdate(t, address, updateCommands(changes, t.ttl), secrets);
      lines.push(`  published ${n} change(s) (serial ${before} -> ${await read.serial()})`);
    }
    return { code: ExitCode.ok, lines };
  } catch (err) {
    if (!(err instanceof DnsServerError)) throw err;
    return { code: err.unreachable ? ExitCode.unreachable : ExitCode.hostFailed, lines, error: err.message };
  }
}

/** Publishes (or with `check`, diffs) every domain's records; returns the exit code. */
export async function publishRecords(keys: DkimKeyOnHost[], policies: DomainPolicy[], settings: HostSetting[], check: boolean, secrets: SecretRegistry): Promise<number> {
  const wanted = wantedDomains(keys, policies);
  let targets: Map<string, UpdateTarget>;
  try {
    targets = targetsByDomain(wanted.map((w) => w.domain), settings);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    process.stderr.write(`error: ${visible(secrets.redact(err.describe()))}\nfleetplan: invalid input; nothing was sent to a DNS server\n`);
    return ExitCode.invalidInput;
  }
  let code: number = ExitCode.ok;
  for (const w of wanted) {
    const r = await publishDomain(w, targets.get(w.domain)!, check, secrets);
    process.stdout.write(visible(secrets.redact(r.lines.join('\n'))) + '\n');
    if (r.error) process.stderr.write(`error: ${visible(secrets.redact(r.error))}\n`);
    // Unreachable (3) ranks below a refusal (2), as the exit-code table orders hosts.
    if (r.code === ExitCode.hostFailed || (r.code === ExitCode.unreachable && code === ExitCode.ok)) code = r.code;
  }
  return code;
}
