// What a receiving server would conclude of a probe: DKIM against the *published* key, SPF of the
// envelope sender for the address the message leaves from (the smarthost's), DMARC from both — by
// mailauth (a maintained implementation of the RFCs), its DNS queries sent to the resolver the
// operator names (`--dns-server`), else the system's.
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DNSResolver } from 'mailauth';

export interface Verdict {
  result: string;
  comment?: string;
}

export interface DkimVerdict extends Verdict {
  domain?: string;
  selector?: string;
}

export interface AuthVerdicts {
  dkim: DkimVerdict;
  spf: Verdict;
  dmarc: Verdict;
}

/** `addr`, `addr:port` or `[v6]:port` → a Resolver asking that server only; undefined: the system's. */
export function dnsResolver(server: string | undefined): Resolver {
  const r = new Resolver({ timeout: 3000, tries: 2 });
  if (server) r.setServers([server]);
  return r;
}

function resolverFor(r: Resolver): DNSResolver {
  return (name, rrtype) => r.resolve(name, rrtype) as Promise<string[][] | string[]>;
}

/** The address SPF is evaluated for: the smarthost's, as an IP (a name is looked up through the resolver). */
export async function senderIp(smarthost: string, r: Resolver): Promise<string | undefined> {
  if (isIP(smarthost)) return smarthost;
  if (smarthost === 'localhost') return '127.0.0.1';
  try {
    return (await r.resolve4(smarthost))[0];
  } catch {
    return undefined;
  }
}

export async function authVerdicts(raw: Buffer, opts: { sender: string; ip?: string; helo: string; resolver: Resolver }): Promise<AuthVerdicts> {
  // Loaded when a probe is judged (an external of the bundle): never at fleetplan's startup.
  const { authenticate } = await import('mailauth');
  const res = await authenticate(raw, {
    sender: opts.sender,
    ip: opts.ip,
    helo: opts.helo,
    mta: 'fleetplan-verify.invalid',
    resolver: resolverFor(opts.resolver),
    disableArc: true,
    disableBimi: true,
  });
  const sigs = res.dkim.results ?? [];
  const shown = sigs.find((s) => s.status.result === 'pass') ?? sigs[0];
  const dkim: DkimVerdict = shown
    ? { result: shown.status.result, comment: shown.status.comment, domain: shown.signingDomain || undefined, selector: shown.selector || undefined }
    : { result: 'none', comment: 'no DKIM-Signature header' };
  if (dkim.result === 'none' && !dkim.domain) dkim.comment = 'no DKIM-Signature header: the message was not signed';
  const spf: Verdict = res.spf
    ? { result: res.spf.status.result, comment: res.spf.rr ? `${res.spf.status.comment ?? ''} (${res.spf.rr})`.trim() : res.spf.status.comment }
    : { result: 'none', comment: opts.ip ? 'no SPF result' : 'the smarthost address did not resolve' };
  const dmarc: Verdict = res.dmarc ? { result: res.dmarc.status.result, comment: res.dmarc.rr ? `policy ${res.dmarc.policy} (${res.dmarc.rr})` : res.dmarc.status.comment } : { result: 'none', comment: 'no From domain' };
  return { dkim, spf, dmarc };
}
