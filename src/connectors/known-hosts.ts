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

/** A known key as an error message shows it: type, fingerprint and where it is recorded. */
export interface KnownKey {
  entry: KnownHostEntry;
  fingerprint: string;
}

export type HostKeyVerdict =
  | { kind: 'match'; entry: KnownHostEntry }
  | { kind: 'revoked'; entry: KnownHostEntry }
  | {
      kind: 'changed';
      /** The known key of the presented key's type, else the first known key. */
      entry: KnownHostEntry;
      knownFingerprint: string;
      /** Every key known for the host (all of them fail to match). */
      known: KnownKey[];
      presentedType: string;
      presentedFingerprint: string;
    }
  | { kind: 'unknown'; presentedFingerprint: string; line: string };

/** What known_hosts says about one host: its plain entries (hashed, wildcard and [host]:port forms resolved) and the revoked keys. */
export interface HostKnowledge {
  entries: KnownHostEntry[];
  revoked: KnownHostEntry[];
}

/** Matches every line against the host once (hashed lines cost an HMAC each): the handshake reuses the result. */
export function knowledgeOf(entries: KnownHostEntry[], host: string, port: number): HostKnowledge {
  const name = hostString(host, port);
  return {
    entries: entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name)),
    revoked: entries.filter((e) => e.marker === 'revoked'),
  };
}

/**
 * The decision for a presented key. Revoked beats everything, then an exact match. A host with any
 * known key is KNOWN: any other key — of the same type or of another one — is a changed key, never a
 * new one, so --accept-new-hostkeys cannot be talked into recording a man in the middle's key by
 * presenting a type not yet on file (OpenSSH would also refuse to negotiate it: see ssh-host-keys.ts).
 */
export function judgeHostKey(k: HostKnowledge, host: string, port: number, blob: Buffer): HostKeyVerdict {
  const b64 = blob.toString('base64');
  const type = keyTypeOfBlob(blob);
  const revoked = k.revoked.find((e) => e.keyBase64 === b64);
  if (revoked) return { kind: 'revoked', entry: revoked };
  const match = k.entries.find((e) => e.keyBase64 === b64);
  if (match) return { kind: 'match', entry: match };
  if (k.entries.length > 0) {
    const known = k.entries.map((entry) => ({ entry, fingerprint: fingerprint(Buffer.from(entry.keyBase64, 'base64')) }));
    const first = known.find((x) => x.entry.keyType === type) ?? known[0]!;
    return {
      kind: 'changed',
      entry: first.entry,
      knownFingerprint: first.fingerprint,
      known,
      presentedType: type,
      presentedFingerprint: fingerprint(blob),
    };
  }
  return { kind: 'unknown', presentedFingerprint: fingerprint(blob), line: knownHostLine(host, port, blob) };
}

/** OpenSSH's decision for a presented key (see judgeHostKey). */
export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  return judgeHostKey(knowledgeOf(entries, host, port), host, port, blob);
}

/** Key types already recorded for a host, in file order. */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  return [...new Set(knowledgeOf(entries, host, port).entries.map((e) => e.keyType))];
}
