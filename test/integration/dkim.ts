// DKIM verification for tests: mailauth's verifier with a resolver that answers from a DNS server the
// test runs (the fleet's BIND9, test/fleet/dns-server.ts, where `fleetplan dns --publish` put the
// records) or only from the given TXT records — never the machine's resolver: test hosts' domains
// don't exist, and the machine has no DNS — plus a parser for the zone-file TXT records
// opendkim-genkey and `fleetplan dns` print.
import { promises as dns } from 'node:dns';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';

export interface DkimVerdict {
  /** At least one signature verified. */
  pass: boolean;
  /** Signing domain (d=) and selector (s=) of the reported signature. */
  domain?: string;
  selector?: string;
  /** mailauth's status: pass, fail, neutral (e.g. "body hash did not verify"), none (unsigned), … */
  result: string;
  /** mailauth's reason for a non-pass, e.g. "body hash did not verify", "no key", "bad signature". */
  comment?: string;
  /** mailauth's full result: every signature with its status and comment. */
  details: unknown;
}

const norm = (name: string) => name.trim().replace(/\.$/, '').toLowerCase();

function dnsError(code: string, name: string, rrtype: string): Error {
  // Same shape as node:dns errors; mailauth maps ENOTFOUND/ENODATA to "no key".
  return Object.assign(new Error(`query${rrtype === 'TXT' ? 'Txt' : rrtype} ${code} ${name}`), { code, hostname: name, syscall: `query${rrtype}` });
}

/** A DNS server the test runs, e.g. the fleet's BIND9. */
export interface DnsServerAddress {
  address: string;
  port: number;
}

type Resolver = (name: string, rrtype: string) => Promise<string[][]>;

/** mailauth's resolver asking only `server` (TXT queries; errors keep node:dns's codes, which mailauth maps). */
function serverResolver(server: DnsServerAddress): Resolver {
  return async (name, rrtype) => {
    if (rrtype !== 'TXT') throw dnsError('ENODATA', name, rrtype);
    const r = new dns.Resolver({ timeout: 2000, tries: 2 });
    r.setServers([`${server.address}:${server.port}`]);
    return r.resolveTxt(name);
  };
}

/**
 * @param records a DNS server to ask (the fleet's BIND9), or a table: full DNS name (trailing dot
 * optional) -> TXT value, e.g. `v=DKIM1; k=rsa; p=MIIB…`
 */
export async function verifyDkim(rawMessage: Buffer, records: Record<string, string> | DnsServerAddress): Promise<DkimVerdict> {
  let resolver: Resolver;
  if (typeof records.address === 'string' && typeof records.port === 'number') resolver = serverResolver(records as DnsServerAddress);
  else {
    const table = new Map(Object.entries(records as Record<string, string>).map(([k, v]) => [norm(k), v]));
    resolver = async (name, rrtype) => {
      const v = table.get(norm(name));
      if (v === undefined) throw dnsError('ENOTFOUND', name, rrtype);
      if (rrtype !== 'TXT') throw dnsError('ENODATA', name, rrtype);
      return [[v]];
    };
  }
  const res = await dkimVerify(rawMessage, { resolver });
  const results = res.results ?? [];
  const shown = results.find((r) => r.status?.result === 'pass') ?? results[0];
  // mailauth reports an unsigned message as one result with status "none".
  return {
    pass: shown?.status?.result === 'pass',
    domain: shown?.signingDomain || undefined,
    selector: shown?.selector || undefined,
    result: shown?.status?.result ?? 'none',
    comment: (shown?.status as { comment?: string } | undefined)?.comment,
    details: res,
  };
}

// ---- zone-file TXT parser ------------------------------------------------------------------------
// The subset needed: `owner [ttl] [class] TXT "a" "b"` with ( ) line continuation, ; comments,
// quoted strings (\" and \DDD escapes), blank owner = previous owner, @ and $ORIGIN.

type Tok = { s: string; quoted: boolean };

/** Logical records: tokens per line, parentheses joining lines; `blankOwner` when the line was indented. */
function logicalLines(text: string): { toks: Tok[]; blankOwner: boolean }[] {
  const lines: { toks: Tok[]; blankOwner: boolean }[] = [];
  let cur: { toks: Tok[]; blankOwner: boolean } | undefined;
  let depth = 0;
  let i = 0;
  const flush = () => { if (cur?.toks.length) lines.push(cur); cur = undefined; };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') { if (depth === 0) flush(); i++; continue; }
    if (!cur) cur = { toks: [], blankOwner: c === ' ' || c === '\t' };
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === ';') { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (c === '(') { depth++; i++; continue; }
    if (c === ')') { if (depth === 0) throw new Error(`zone: unbalanced ")" at offset ${i}`); depth--; i++; continue; }
    if (c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('zone: unterminated quoted string');
        const d = text[i]!;
        if (d === '"') { i++; break; }
        if (d === '\\') {
          const m = /^\d{3}/.exec(text.slice(i + 1, i + 4));
          if (m) { s += String.fromCharCode(Number(m[0])); i += 4; } else { s += text[i + 1] ?? ''; i += 2; }
          continue;
        }
        s += d; i++;
      }
      cur.toks.push({ s, quoted: true });
      continue;
    }
    let w = '';
    while (i < text.length && !/[\s;()"]/.test(text[i]!)) w += text[i++];
    cur.toks.push({ s: w, quoted: false });
  }
  if (depth !== 0) throw new Error('zone: unbalanced "("');
  flush();
  return lines;
}

const CLASSES = new Set(['IN', 'CH', 'HS', 'CS']);
const isTtl = (w: string) => /^\d+[smhdw]?(\d+[smhdw])*$/i.test(w);

/**
 * TXT records of a zone-file snippet, keyed by full name without the trailing dot (lowercase).
 * Relative owners (`t1._domainkey`, `@`) get `origin` appended (or `$ORIGIN` from the text);
 * without either they are returned as written. Character-strings are concatenated.
 */
export function parseZoneTxt(zoneText: string, origin?: string): Record<string, string> {
  let org = origin ? norm(origin) : undefined;
  const out: Record<string, string> = {};
  let owner: string | undefined;
  for (const { toks, blankOwner } of logicalLines(zoneText)) {
    let k = 0;
    const first = toks[0]!;
    if (!first.quoted && first.s.toUpperCase() === '$ORIGIN') { org = toks[1] ? norm(toks[1].s) : org; continue; }
    if (!first.quoted && first.s.startsWith('$')) continue; // $TTL, $INCLUDE: irrelevant here
    if (!blankOwner) {
      const n = toks[k++]!.s;
      owner = n === '@' ? org : n.endsWith('.') ? norm(n) : org ? `${n.toLowerCase()}.${org}` : n.toLowerCase();
    }
    while (k < toks.length && !toks[k]!.quoted && (isTtl(toks[k]!.s) || CLASSES.has(toks[k]!.s.toUpperCase()))) k++;
    const type = toks[k++];
    if (!type || type.quoted || type.s.toUpperCase() !== 'TXT' || owner === undefined) continue;
    const value = toks.slice(k).map((t) => t.s).join('');
    // A name with several TXT records keeps the first (a DKIM key name should have exactly one).
    if (!(owner in out)) out[owner] = value;
  }
  return out;
}
