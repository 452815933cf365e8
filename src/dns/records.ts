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
  /** SPF terms, e.g. "include:example.net", "ip4:192.0.2.1", "mx", "redirect=_spf.example.net". */
  spf: string[];
  /** The closing all term with its qualifier ("~all" when no host sets one). */
  spfAll?: string;
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

// An SPF term as RFC 7208 writes it: a mechanism with its optional qualifier, or a modifier.
const SPF_TERM = /^[+\-~?]?(?:all|include:\S+|exists:\S+|ip4:\S+|ip6:\S+|a(?::[^/\s]+)?(?:\/\d+){0,2}|mx(?::[^/\s]+)?(?:\/\d+){0,2}|ptr(?::\S+)?)$|^[a-z][a-z0-9_.-]*=\S*$/i;
export const SPF_ALL = /^[+\-~?]?all$/i;

/**
 * SPF terms authorising the smarthost: the operator's terms passed through unchanged (mx, a, ip4:,
 * include:, redirect=, ...), a bare domain made an include:; else the relay's address, or its parent domain.
 */
export function spfForRelay(relayHost: string, explicit?: string): string[] {
  if (explicit) return explicit.split(/\s+/).filter(Boolean).map((m) => (SPF_TERM.test(m) ? m : `include:${m}`));
  const host = relayHost.replace(/^\[|\]$/g, '');
  if (isIP(host) === 4) return [`ip4:${host}`];
  if (isIP(host) === 6) return [`ip6:${host}`];
  const labels = host.split('.');
  return [`include:${labels.length > 2 ? labels.slice(1).join('.') : host}`];
}

/** The SPF term authorising a host that sends directly: its address, or a: for a host name. */
export function spfForHost(address: string): string {
  return isIP(address) === 4 ? `ip4:${address}` : isIP(address) === 6 ? `ip6:${address}` : `a:${address}`;
}

/**
 * A domain's SPF value: its terms once each, in order, then `redirect=` or the all term last. An
 * `all` among the terms wins over spfAll; with a `redirect=` no all term is added (RFC 7208 6.1: a
 * record with `all` never reaches its redirect).
 */
export function spfValue(policy: DomainPolicy): string {
  const terms = [...new Set(policy.spf)];
  const all = terms.filter((t) => SPF_ALL.test(t)).pop() ?? policy.spfAll ?? '~all';
  const redirect = terms.find((t) => /^redirect=/i.test(t));
  const mechanisms = terms.filter((t) => !SPF_ALL.test(t) && !/^redirect=/i.test(t));
  return ['v=spf1', ...mechanisms, redirect ?? all].join(' ');
}

/**
 * A TXT value as the character-strings of its record (RFC 1035 3.3.14, RFC 7208 3.3): at most 255
 * bytes each, never splitting a UTF-8 character; receivers join them without a separator.
 */
export function txtStrings(value: string): Buffer[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + 255, bytes.length);
    while (end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--; // not inside a UTF-8 sequence
    out.push(bytes.subarray(start, end));
    start = end;
  }
  return out.length ? out : [Buffer.alloc(0)];
}

/** A character-string in zone-file (and nsupdate) syntax: quoted, `"` and `\` escaped, other bytes outside printable ASCII as \DDD. */
export function quoteTxt(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) s += b === 0x22 || b === 0x5c ? `\\${String.fromCharCode(b)}` : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  return `"${s}"`;
}

/** A TXT record, long values split into quoted strings of at most 255 bytes. */
export function txtRecord(name: string, value: string, comment?: string): string {
  const chunks = txtStrings(value).map(quoteTxt);
  const rdata = chunks.length === 1 ? chunks[0] : `( ${chunks.join('\n    ')} )`;
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
      lines.push(txtRecord(`${domain}.`, spfValue(policy)));
      lines.push(txtRecord(`_dmarc.${domain}.`, policy.dmarc));
    }
    lines.push('');
  }
  return { text: lines.join('\n'), problems };
}
