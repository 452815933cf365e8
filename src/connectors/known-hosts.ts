// known_hosts parsing and matching as pure functions: what OpenSSH would decide for a host key,
// without touching the network, so every rule is unit-tested.
import { createHash, createHmac, randomBytes } from 'node:crypto';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number, for messages ("offending key in ~/.ssh/known_hosts:12"). */
  line: number;
  /**
   * `@revoked` is honoured (a revoked key is refused). `@cert-authority` lines are kept but never
   * match: ssh2 does not verify host certificates, so a CA line cannot vouch for a plain key.
   */
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written: a comma list of patterns, or one hashed `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  keyBase64: string;
}

export function parseKnownHosts(text: string, file = 'known_hosts'): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue; // unknown marker: OpenSSH ignores the line too
    }
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64) continue; // malformed: skipped like OpenSSH does
    entries.push({ file, line: i + 1, marker, hosts, keyType, keyBase64 });
  }
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostString(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

/** A hashed host field as `ssh-keygen -H` writes it: |1|base64(salt)|base64(HMAC-SHA1(salt, host)). */
export function hashHostString(host: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac('sha1', salt).update(host).digest();
  return `|1|${salt.toString('base64')}|${mac.toString('base64')}`;
}

const wildcards = new Map<string, RegExp>();

/** OpenSSH wildcard match: `*` any run, `?` one character, case-insensitive. */
export function matchWildcard(pattern: string, s: string): boolean {
  // Most patterns are plain names: every connection checks every line of known_hosts.
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === s.toLowerCase();
  let re = wildcards.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
    wildcards.set(pattern, re);
  }
  return re.test(s);
}

/** Does an entry's host field name this host string? A matching `!pattern` vetoes the line. */
export function hostFieldMatches(hosts: string, host: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    return hashHostString(host, Buffer.from(salt, 'base64')) === hosts;
  }
  let matched = false;
  for (const p of hosts.split(',')) {
    if (p.startsWith('!')) {
      if (matchWildcard(p.slice(1), host)) return false;
    } else if (matchWildcard(p, host)) matched = true;
  }
  return matched;
}

/** The algorithm name at the start of a public key blob (uint32 length + string). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** "SHA256:…" exactly as `ssh-keygen -lf` prints it (unpadded base64). */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The line to append to known_hosts for this host and key. */
export function knownHostLine(host: string, port: number, blob: Buffer): string {
  return `${hostString(host, port)} ${keyTypeOfBlob(blob)} ${blob.toString('base64')}`;
}

export type HostKeyVerdict =
  | { kind: 'match'; entry: KnownHostEntry }
  | { kind: 'revoked'; entry: KnownHostEntry }
  | { kind: 'changed'; entry: KnownHostEntry; knownFingerprint: string; presentedFingerprint: string }
  | { kind: 'unknown'; presentedFingerprint: string; line: string; otherTypes: string[] };

/** OpenSSH's decision for a presented key: revoked beats everything, then a match, then a same-type mismatch. */
export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const name = hostString(host, port);
  const b64 = blob.toString('base64');
  const type = keyTypeOfBlob(blob);
  const revoked = entries.find((e) => e.marker === 'revoked' && e.keyBase64 === b64);
  if (revoked) return { kind: 'revoked', entry: revoked };
  const forHost = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name));
  const match = forHost.find((e) => e.keyBase64 === b64);
  if (match) return { kind: 'match', entry: match };
  const changed = forHost.find((e) => e.keyType === type);
  if (changed) {
    return {
      kind: 'changed',
      entry: changed,
      knownFingerprint: fingerprint(Buffer.from(changed.keyBase64, 'base64')),
      presentedFingerprint: fingerprint(blob),
    };
  }
  return {
    kind: 'unknown',
    presentedFingerprint: fingerprint(blob),
    line: knownHostLine(host, port, blob),
    otherTypes: [...new Set(forHost.map((e) => e.keyType))],
  };
}

/** Key types already recorded for a host: offered first in negotiation so we get a key we can verify. */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  const name = hostString(host, port);
  return [...new Set(entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name)).map((e) => e.keyType))];
}
