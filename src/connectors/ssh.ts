// The SSH transport: one TCP connection per host (through its jump hosts), host keys verified against
// known_hosts before any credential is sent (src/connectors/ssh-host-keys.ts); the connection then runs
// one exec channel per command and one long-lived channel for the scripts (src/connectors/ssh-connection.ts).
import type { Duplex } from 'node:stream';
import type { Client as ClientType, ConnectConfig } from 'ssh2';
import { ConnectError } from '../core/errors.js';
import { addressLabel, type Connection, type HostAddress } from './connection.js';
import { loginMethods } from './identity-keys.js';
import { judgeHostKey, knowledgeOf } from './known-hosts.js';
import { SshConnection } from './ssh-connection.js';
import { Client } from './ssh2-parts.js';
import { signLoginAtOnce } from './ssh-signed-login.js';
import {
  appendKnownHost,
  handshakeConfig,
  hostKeyAlgorithms,
  hostKeyMessage,
  leaveHostKeysUnproven,
  NO_HOST_KEY_TYPE,
  readKnownHosts,
  refusedKnownTypes,
} from './ssh-host-keys.js';

export async function connectSsh(addr: HostAddress): Promise<Connection> {
  const chain = await openClient(addr);
  return new SshConnection(addr, chain);
}

/** Opens the client for `addr`, through its jump hosts first. Returns [target, ...jumps]. */
async function openClient(addr: HostAddress, depth = 0): Promise<ClientType[]> {
  const label = addressLabel(addr);
  if (depth > 8) throw new ConnectError(`cannot connect to ${label}: ProxyJump chain too long (loop?)`, { host: addr.name });
  let sock: Duplex | undefined;
  let jumps: ClientType[] = [];
  if (addr.proxyJump) {
    jumps = await openClient(addr.proxyJump, depth + 1);
    try {
      sock = await forward(jumps[0]!, addr.host, addr.port);
    } catch (e) {
      for (const j of jumps) j.end();
      throw new ConnectError(
        `cannot connect to ${label} via ${addressLabel(addr.proxyJump)}: jump host refused forwarding (${(e as Error).message})`,
        { host: addr.name, cause: e },
      );
    }
  }
  try {
    const reopen = async () => (jumps.length ? forward(jumps[0]!, addr.host, addr.port) : undefined);
    return [await handshake(addr, sock, reopen), ...jumps];
  } catch (e) {
    for (const j of jumps) j.end();
    throw e;
  }
}

function forward(jump: ClientType, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) =>
    jump.forwardOut('127.0.0.1', 0, host, port, (err, stream) => (err ? reject(err) : resolve(stream))),
  );
}

function describeNetError(e: NodeJS.ErrnoException & { level?: string }, addr: HostAddress): string {
  switch (e.code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ENOTFOUND': case 'EAI_AGAIN': return `host name ${addr.host} not found`;
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'host unreachable';
    case 'ETIMEDOUT': return 'connection timed out';
    case 'ECONNRESET': return 'connection reset by peer';
  }
  if (e.level === 'client-timeout') return `no SSH handshake within ${addr.connectTimeoutMs} ms`;
  return e.message;
}

async function handshake(addr: HostAddress, sock?: Duplex, reopen: () => Promise<Duplex | undefined> = async () => undefined): Promise<ClientType> {
  const label = addressLabel(addr);
  const fail = (why: string, cause?: unknown) => new ConnectError(`cannot connect to ${label}: ${why}`, { host: addr.name, cause });
  const known = await readKnownHosts(addr.knownHostsFiles);
  const { auths, tried, notes } = loginMethods(addr);
  if (auths.length === 0) {
    throw fail(`no authentication method available${notes.length ? ` (${notes.join('; ')})` : ''}`);
  }

  const knowledge = knowledgeOf(known, addr.host, addr.port);
  const serverHostKey = hostKeyAlgorithms(knowledge.entries.map((e) => e.keyType));
  if (serverHostKey.length === 0) {
    throw fail(
      `known_hosts lists only ${[...new Set(knowledge.entries.map((e) => e.keyType))].join(', ')} key(s) for ${addr.host}, ` +
        `which fleetplan cannot verify; add its ed25519, ECDSA or RSA host key (${knowledge.entries[0]!.file}:${knowledge.entries[0]!.line})`,
    );
  }

  let hostKeyProblem: string | undefined;
  const hostVerifier = (blob: Buffer): boolean => {
    const v = judgeHostKey(knowledge, addr.host, addr.port, blob);
    if (v.kind === 'match') return true;
    if (v.kind === 'unknown' && addr.acceptNewHostKeys && addr.knownHostsFiles.length > 0) {
      appendKnownHost(addr.knownHostsFiles[0]!, v.line);
      return true;
    }
    hostKeyProblem = hostKeyMessage(addr, v);
    return false;
  };

  const client = new Client();
  const config: ConnectConfig = { ...handshakeConfig(addr, sock, serverHostKey, hostVerifier), authHandler: auths, keepaliveInterval: 15_000, ...(addr.debug ? { debug: addr.debug } : {}) };
  return new Promise<ClientType>((resolve, rejectNow) => {
    // While the refused host is probed, the errors and close that follow must not settle first.
    let probing = false;
    const reject = (e: Error) => void (probing || rejectNow(e));
    const onError = (e: NodeJS.ErrnoException & { level?: string }) => {
      client.end();
      if (hostKeyProblem) return reject(fail(hostKeyProblem, e));
      if (NO_HOST_KEY_TYPE.test(e.message) && knowledge.entries.length > 0 && !probing) {
        // It offers none of the known types: a changed key. Say which one it does present.
        probing = true;
        return void refusedKnownTypes(addr, knowledge, reopen).then((why) => rejectNow(fail(why, e)));
      }
      if (e.level === 'client-authentication') {
        return reject(
          fail(`authentication failed for user ${addr.user} (tried ${tried.join(', ')})${notes.length ? `; ${notes.join('; ')}` : ''}`, e),
        );
      }
      reject(fail(describeNetError(e, addr), e));
    };
    // `on`, not `once`: after a timeout ssh2 can emit a second error ("Connection lost before
    // handshake") once we have ended the client; an unhandled one would crash the whole run.
    client.on('error', onError);
    client.once('close', () => reject(fail(hostKeyProblem ?? 'connection closed during the handshake')));
    client.once('ready', () => {
      client.removeListener('error', onError);
      resolve(client);
    });
    try {
      client.connect(config);
      leaveHostKeysUnproven(client);
      signLoginAtOnce(client);
      // Every command is a few small request/reply packets; Nagle + delayed ACK would add ~40 ms to
      // each of them (measured on loopback: 44 ms → ~2 ms per no-op exec).
      client.setNoDelay(true);
    } catch (e) {
      reject(fail((e as Error).message, e));
    }
  });
}
