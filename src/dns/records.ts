// The DNS records a relay fleet's operators must publish, in zone-file form: each host's DKIM public
// key (read from the .txt opendkim-genkey wrote), an SPF record authorising the smarthost (seed 004:
// mail leaves through the relay, so SPF must include the relay's domain), and a DMARC record.
import { isIP } from 'node:net';

export interface DkimKeyOnHost {
  host: string;
  domain: string;
  selector: string;
  /** The TXT value, e.g. "v=DKIM1; h=sha256; k=rsa; p=MIIB…", or null when the key is missing. */
  txt: string | null;
}

export interface DomainPolicy {
  domain: string;
  /** SPF mechanisms for the smarthost, e.g. "include:example.net" or "ip4:192.0.2.1". */
  spf: string[];
  dmarc: string;
}

/** The TXT value of an opendkim-genkey `<selector>.txt` file: every quoted string inside ( ), joined. */
export function parseGenkeyTxt(text: string): string {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const body = open >= 0 && close > open ? text.slice(open + 1, close) : text;
  const parts = [...body.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
  if (parts.length === 0) throw new Error('no quoted TXT strings found');
  return parts.join('');
}

/** SPF mechanism authorising the smarthost: an explicit include, the relay's IP, or its parent domain. */
export function spfForRelay(relayHost: string, explicit?: string): string[] {
  if (explicit) return explicit.split(/\s+/).filter(Boolean).map((m) => (/^[a-z0-9]+:/i.test(m) || m.startsWith('+') ? m : `include:${m}`));
  const host = relayHost.replace(/^\[|\]$/g, '');
  if (isIP(host) === 4) return [`ip4:${host}`];
  if (isIP(host) === 6) return [`ip6:${host}`];
  const labels = host.split('.');
  return [`include:${labels.length > 2 ? labels.slice(1).join('.') : host}`];
}

/** A TXT record, long values split into quoted chunks of at most 255 characters (RFC 1035 strings). */
export function txtRecord(name: string, value: string, comment?: string): string {
  const chunks = value.match(/.{1,255}/g) ?? [''];
  const rdata = chunks.length === 1 ? `"${chunks[0]}"` : `( ${chunks.map((c) => `"${c}"`).join('\n    ')} )`;
  return `${name.padEnd(40)} IN TXT ${rdata}${comment ? `  ; ${comment}` : ''}`;
}

export interface Zone {
  text: string;
  /** Conflicts and missing keys: the operator must act before publishing. */
  problems: string[];
}

export function zoneFor(keys: DkimKeyOnHost[], policies: DomainPolicy[]): Zone {
  const problems: string[] = [];
  const lines: string[] = [];
  const domains = [...new Set([...policies.map((p) => p.domain), ...keys.map((k) => k.domain)])].sort();
  for (const domain of domains) {
    lines.push(`; ${domain}`);
    const bySelector = new Map<string, DkimKeyOnHost[]>();
    for (const k of keys.filter((k) => k.domain === domain)) bySelector.set(k.selector, [...(bySelector.get(k.selector) ?? []), k]);
    for (const [selector, onHosts] of [...bySelector].sort(([a], [b]) => a.localeCompare(b))) {
      const missing = onHosts.filter((k) => k.txt === null).map((k) => k.host);
      if (missing.length) problems.push(`${selector}._domainkey.${domain}: no key yet on ${missing.join(', ')} (apply the plan first)`);
      const distinct = [...new Set(onHosts.flatMap((k) => (k.txt === null ? [] : [k.txt])))];
      if (distinct.length > 1) {
        problems.push(
          `${selector}._domainkey.${domain}: ${onHosts.length} hosts have different keys under one selector (${onHosts.map((k) => k.host).join(', ')}); ` +
            'give each host its own selector (e.g. dkim_selector: "{{inventory_hostname}}-2026") or share one key',
        );
      }
      for (const txt of distinct) {
        const hosts = onHosts.filter((k) => k.txt === txt).map((k) => k.host);
        lines.push(txtRecord(`${selector}._domainkey.${domain}.`, txt, `key of ${hosts.join(', ')}`));
      }
    }
    const policy = policies.find((p) => p.domain === domain);
    if (policy) {
      lines.push(txtRecord(`${domain}.`, `v=spf1 ${[...new Set(policy.spf)].join(' ')} ~all`));
      lines.push(txtRecord(`_dmarc.${domain}.`, policy.dmarc));
    }
    lines.push('');
  }
  return { text: lines.join('\n'), problems };
}
