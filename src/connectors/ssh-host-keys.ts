// The host's identity: which key-exchange and host-key algorithms a handshake offers, the known_hosts
// files (read once per change), the verdict on a presented key in words, and trust on first use.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Client as ClientType, ConnectConfig } from 'ssh2';
import type { HostAddress } from './connection.js';
import { hostString, judgeHostKey, parseKnownHosts, type HostKeyVerdict, type HostKnowledge, type KnownHostEntry } from './known-hosts.js';
import { Client } from './ssh2-parts.js';

/**
 * curve25519 first; never diffie-hellman-group-exchange: ssh2 asks for huge groups there and the
 * handshake has taken 3–30 s (ssh2 #1031, #1386). Fixed-group DH stays as a last resort for old sshd.
 */
export const KEX = [
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group14-sha256',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512',
];

const HOST_KEY_ALGOS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** What every handshake with `addr` shares: where, as whom, how long to wait, the algorithms offered and the key check. */
export function handshakeConfig(addr: HostAddress, sock: Duplex | undefined, serverHostKey: string[], hostVerifier: (blob: Buffer) => boolean): ConnectConfig {
  return {
    host: addr.host,
    port: addr.port,
    username: addr.user,
    sock: sock as ConnectConfig['sock'],
    readyTimeout: addr.connectTimeoutMs,
    algorithms: { kex: KEX as never, serverHostKey: serverHostKey as never },
    hostVerifier: hostVerifier as ConnectConfig['hostVerifier'],
  };
}

/** Parsed known_hosts files, re-read only when they change (mtime, size): a run over N hosts parses each once, not N times. */
const knownHostsCache = new Map<string, { stamp: string; entries: KnownHostEntry[] }>();

export async function readKnownHosts(files: string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = [];
  for (const f of files) {
    try {
      const st = await stat(f);
      const stamp = `${st.mtimeMs}:${st.size}`;
      let cached = knownHostsCache.get(f);
      if (cached?.stamp !== stamp) knownHostsCache.set(f, (cached = { stamp, entries: parseKnownHosts(await readFile(f, 'utf8'), f) }));
      all.push(...cached.entries);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return all;
}

/** ssh2's error when the host offers none of the host-key algorithms we allowed. */
export const NO_HOST_KEY_TYPE = /no matching host key format/;

/**
 * The host-key algorithms to offer: for a host with known_hosts entries only those of the key types
 * on file (strongest first, RSA keys signing with SHA-2 first), so the host has to prove the identity
 * we know; for a new host, all of them. OpenSSH prefers the known types; offering only them means a
 * man in the middle cannot even get another key type onto the table.
 */
export function hostKeyAlgorithms(knownTypes: string[]): string[] {
  if (knownTypes.length === 0) return [...HOST_KEY_ALGOS];
  return HOST_KEY_ALGOS.filter((a) => knownTypes.includes(a.startsWith('rsa-sha2-') ? 'ssh-rsa' : a));
}

const MAX_KEYS_SHOWN = 3;

/** Why a presented key is refused, naming host, the known key(s) and the presented one. */
export function hostKeyMessage(addr: HostAddress, v: Exclude<HostKeyVerdict, { kind: 'match' }>): string {
  switch (v.kind) {
    case 'revoked':
      return `host key of ${addr.host}:${addr.port} is REVOKED (${v.entry.file}:${v.entry.line})`;
    case 'changed': {
      const known = v.known
        .slice(0, MAX_KEYS_SHOWN)
        .map((k) => `${k.entry.keyType} ${k.fingerprint} (${k.entry.file}:${k.entry.line})`)
        .join(', ');
      const more = v.known.length > MAX_KEYS_SHOWN ? ` and ${v.known.length - MAX_KEYS_SHOWN} more` : '';
      const other = v.known.some((k) => k.entry.keyType === v.presentedType) ? '' : ` (no ${v.presentedType} key is known for it)`;
      const name = v.entry.hosts.startsWith('|') ? hostString(addr.host, addr.port) : v.entry.hosts.split(',')[0];
      return (
        `HOST KEY CHANGED for ${addr.host}:${addr.port} — possible man-in-the-middle attack. ` +
        `Known: ${known}${more}; the host presented ${v.presentedType} ${v.presentedFingerprint}${other}. ` +
        `--accept-new-hostkeys never records a key for a known host. If the change is expected, ` +
        `remove the old line(s) (ssh-keygen -R ${name} -f ${v.entry.file}).`
      );
    }
    case 'unknown':
      return (
        `host key not known (${v.presentedFingerprint}). ` +
        `Verify it, then add this line to ${addr.knownHostsFiles[0] ?? '~/.ssh/known_hosts'}:\n  ${v.line}\n` +
        `or run with --accept-new-hostkeys`
      );
  }
}

/**
 * The host refused every key type known for it. Only on this failure path: one more handshake that
 * allows any type, to name the key it does present (refused before any credential is sent).
 */
export async function refusedKnownTypes(addr: HostAddress, knowledge: HostKnowledge, reopen: () => Promise<Duplex | undefined>): Promise<string> {
  const types = [...new Set(knowledge.entries.map((e) => e.keyType))].join(', ');
  const blob = await reopen().then((sock) => presentedKey(addr, sock), () => undefined);
  const v = blob && judgeHostKey(knowledge, addr.host, addr.port, blob);
  if (v && v.kind !== 'match' && v.kind !== 'unknown') return hostKeyMessage(addr, v);
  const e = knowledge.entries[0]!;
  return (
    `HOST KEY CHANGED for ${addr.host}:${addr.port} — possible man-in-the-middle attack. ` +
    `It offers no ${types} host key, the type(s) known for it (${e.file}:${e.line}). ` +
    `--accept-new-hostkeys never records a key for a known host.`
  );
}

/** The key the host presents when any type is allowed; the handshake stops there. */
function presentedKey(addr: HostAddress, sock?: Duplex): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const client = new Client();
    let key: Buffer | undefined;
    const done = () => {
      client.end();
      resolve(key);
    };
    client.on('error', done);
    client.on('close', done);
    try {
      client.connect(
        handshakeConfig(addr, sock, HOST_KEY_ALGOS, (blob) => {
          key = blob;
          return false;
        }),
      );
    } catch {
      done();
    }
  });
}

/** Appends (trust on first use) after making sure the file ends with a newline. */
export function appendKnownHost(file: string, line: string): void {
  let prefix = '';
  try {
    const cur = readFileSync(file, 'utf8');
    if (cur.length && !cur.endsWith('\n')) prefix = '\n';
  } catch {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  }
  appendFileSync(file, `${prefix}${line}\n`, { mode: 0o644 });
}

const HOST_KEYS_ANNOUNCEMENT = 'hostkeys-00@openssh.com';
type GlobalRequestHandler = (proto: { requestSuccess(): void }, name: string, wantReply: boolean, data: unknown) => void;

/**
 * OpenSSH announces all its host keys after every login, and ssh2 answers by asking the server to
 * prove each one: the host signs with every key it has (a real host: ed25519, ECDSA and RSA; the test
 * hosts have one) and the controller checks the signatures, one more exchange and CPU on both sides
 * for every login.
 * fleetplan never records announced keys: known_hosts only gains the key a handshake verified, with
 * --accept-new-hostkeys. So the announcement is acknowledged and not proven, as OpenSSH's own client
 * does with UpdateHostKeys=no. Reaches into ssh2's message handlers (there is no option for it);
 * test/integration/ssh-login.test.ts fails if an ssh2 upgrade moves them.
 */
export function leaveHostKeysUnproven(client: ClientType): void {
  const handlers = (client as unknown as { _protocol?: { _handlers?: { GLOBAL_REQUEST?: GlobalRequestHandler } } })._protocol?._handlers;
  const answer = handlers?.GLOBAL_REQUEST;
  if (!handlers || typeof answer !== 'function') return;
  handlers.GLOBAL_REQUEST = (proto, name, wantReply, data) => {
    if (name !== HOST_KEYS_ANNOUNCEMENT) return answer(proto, name, wantReply, data);
    if (wantReply) proto.requestSuccess();
  };
}
