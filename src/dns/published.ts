// What a zone's primary serves now, read by DNS queries to that server (node:dns, c-ares): the
// zone's SOA (it is served there at all, and its serial) and the TXT records under the names
// fleetplan owns. Reading needs no key: a primary answers queries for its zones.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import type { UpdateTarget } from './dns-update.js';

/** A DNS server could not be asked, or refused: the message names the server, the zone and the cause. */
export class DnsServerError extends Error {
  constructor(message: string, readonly unreachable: boolean) {
    super(message);
  }
}

/** One TXT record as served: its character-strings (kept, so a removal names the exact record). */
export type TxtRecord = string[];

export interface ZoneReader {
  serial(): Promise<number>;
  /** The TXT records at `name`; none when the name or its TXT set does not exist. */
  txt(name: string): Promise<TxtRecord[]>;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ETIMEOUT', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH']);
const CAUSES: Record<string, string> = {
  EREFUSED: 'the server refused the query (REFUSED)',
  ESERVFAIL: 'the server failed (SERVFAIL)',
  ETIMEOUT: 'no answer (timed out)',
  ECONNREFUSED: 'connection refused',
};

/** The server's address: an IP address as given, a host name looked up once. */
export async function serverAddress(t: UpdateTarget): Promise<string> {
  if (isIP(t.server)) return t.server;
  try {
    return (await dns.lookup(t.server)).address;
  } catch (err) {
    throw new DnsServerError(`DNS server ${t.server} for zone ${t.zone}: cannot resolve its name (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, true);
  }
}

export function zoneReader(t: UpdateTarget, address: string): ZoneReader {
  // A resolver of its own per publish: c-ares caches answers, and the records change under it.
  const resolver = new dns.Resolver({ timeout: 3000, tries: 2 });
  resolver.setServers([isIP(address) === 6 ? `[${address}]:${t.port}` : `${address}:${t.port}`]);
  const where = `DNS server ${t.server}#${t.port}, zone ${t.zone}`;
  const failed = (err: unknown, what: string): never => {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new DnsServerError(`${where}: ${what}: ${CAUSES[code] ?? `${code || (err as Error).message}`}`, UNREACHABLE.has(code));
  };
  return {
    async serial() {
      try {
        return (await resolver.resolveSoa(t.zone)).serial;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EREFUSED' || code === 'ENOTFOUND' || code === 'ENODATA') {
          throw new DnsServerError(`${where}: the server does not serve this zone (its SOA query: ${code === 'EREFUSED' ? 'REFUSED' : 'no such zone'})`, false);
        }
        return failed(err, 'reading the SOA');
      }
    },
    async txt(name) {
      try {
        return await resolver.resolveTxt(name);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
        return failed(err, `reading TXT ${name}`);
      }
    },
  };
}
