// The SSH transport: one TCP connection per host, host keys verified against known_hosts before any
// credential is sent; one exec channel per command, and one long-lived channel for the scripts
// (src/connectors/shell-session.ts).
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AgentAuthMethod, Client as ClientType, ConnectConfig, PasswordAuthMethod, PublicKeyAuthMethod } from 'ssh2';
import { ConnectError } from '../core/errors.js';
import { attachIo, wrapBecome, type WrappedCommand } from './become.js';
import {
  addressLabel,
  CommandTimeoutError,
  type CommandResult,
  type Connection,
  type HostAddress,
  type ExecOptions,
  type ScriptOptions,
} from './connection.js';
import { ScriptShells, type ShellProcess } from './shell-session.js';
import { hostString, judgeHostKey, knowledgeOf, parseKnownHosts, type HostKeyVerdict, type HostKnowledge, type KnownHostEntry } from './known-hosts.js';

const { Client, utils } = ssh2;

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

/** OpenSSH's default MaxSessions is 10; stay under it so channel opens are never refused. */
export const MAX_CHANNELS = 8;

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

/** Parsed known_hosts files, re-read only when they change (mtime, size): a run over N hosts parses each once, not N times. */
const knownHostsCache = new Map<string, { stamp: string; entries: KnownHostEntry[] }>();

async function readKnownHosts(files: string[]): Promise<KnownHostEntry[]> {
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

/** Private keys usable for auth, plus notes on the ones that were not (for the failure message). */
function loadKeys(addr: HostAddress): { auths: (PublicKeyAuthMethod | AgentAuthMethod | PasswordAuthMethod)[]; tried: string[]; notes: string[] } {
  const auths: (PublicKeyAuthMethod | AgentAuthMethod | PasswordAuthMethod)[] = [];
  const tried: string[] = [];
  const notes: string[] = [];
  for (const file of addr.identityFiles) {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (e) {
      notes.push(`identity file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`);
      continue;
    }
    const parsed = utils.parseKey(data, addr.identityPassphrase);
    if (parsed instanceof Error) {
      notes.push(
        /passphrase|encrypted/i.test(parsed.message)
          ? `identity file ${file} is passphrase-protected and no passphrase was given (load it into ssh-agent)`
          : `identity file ${file} is not a usable private key: ${parsed.message}`,
      );
      continue;
    }
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    auths.push({ type: 'publickey', username: addr.user, key: data, ...(addr.identityPassphrase !== undefined ? { passphrase: addr.identityPassphrase } : {}) });
    tried.push(`key ${file} (${key.type})`);
  }
  if (addr.useAgent && process.env.SSH_AUTH_SOCK) {
    auths.push({ type: 'agent', username: addr.user, agent: process.env.SSH_AUTH_SOCK });
    tried.push('ssh-agent');
  }
  if (addr.password !== undefined) {
    auths.push({ type: 'password', username: addr.user, password: addr.password });
    tried.push('password');
  }
  return { auths, tried, notes };
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
  const { auths, tried, notes } = loadKeys(addr);
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
  const config: ConnectConfig = {
    host: addr.host,
    port: addr.port,
    username: addr.user,
    sock: sock as ConnectConfig['sock'],
    readyTimeout: addr.connectTimeoutMs,
    algorithms: { kex: KEX as never, serverHostKey: serverHostKey as never },
    hostVerifier: hostVerifier as ConnectConfig['hostVerifier'],
    authHandler: auths,
    keepaliveInterval: 15_000,
  };
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
      // Every command is a few small request/reply packets; Nagle + delayed ACK would add ~40 ms to
      // each of them (measured on loopback: 44 ms → ~2 ms per no-op exec).
      client.setNoDelay(true);
    } catch (e) {
      reject(fail((e as Error).message, e));
    }
  });
}

/** ssh2's error when the host offers none of the host-key algorithms we allowed. */
const NO_HOST_KEY_TYPE = /no matching host key format/;

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
async function refusedKnownTypes(addr: HostAddress, knowledge: HostKnowledge, reopen: () => Promise<Duplex | undefined>): Promise<string> {
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
      client.connect({
        host: addr.host,
        port: addr.port,
        username: addr.user,
        sock: sock as ConnectConfig['sock'],
        readyTimeout: addr.connectTimeoutMs,
        algorithms: { kex: KEX as never, serverHostKey: HOST_KEY_ALGOS as never },
        hostVerifier: ((blob: Buffer) => {
          key = blob;
          return false;
        }) as ConnectConfig['hostVerifier'],
      });
    } catch {
      done();
    }
  });
}

/** Appends (trust on first use) after making sure the file ends with a newline. */
function appendKnownHost(file: string, line: string): void {
  let prefix = '';
  try {
    const cur = readFileSync(file, 'utf8');
    if (cur.length && !cur.endsWith('\n')) prefix = '\n';
  } catch {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  }
  appendFileSync(file, `${prefix}${line}\n`, { mode: 0o644 });
}

/** A channel's exit status; a signal maps to 128 + its number, as a shell reports it. */
function exitStatus(code: number | null | undefined, signal?: string): { code: number; signal?: string } {
  if (code !== null && code !== undefined) return { code };
  return { code: 128 + ((osConstants.signals as Record<string, number>)[`SIG${signal}`] ?? 0), signal: signal ?? undefined };
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

class SshConnection implements Connection {
  readonly label: string;
  execCount = 0;
  private active = 0;
  private readonly queue: Waiter[] = [];
  /** Rejecters of in-flight runs, so a dropped connection fails them all at once. */
  private readonly inflight = new Set<(e: Error) => void>();
  private lost?: ConnectError;
  private closing = false;
  private readonly client: ClientType;

  private readonly shells: ScriptShells;

  constructor(
    private readonly addr: HostAddress,
    private readonly chain: ClientType[],
  ) {
    this.label = addressLabel(addr);
    this.client = chain[0]!;
    this.shells = new ScriptShells({
      label: this.label,
      host: addr.name,
      become: addr.become,
      loginUser: addr.user,
      start: (wrapped) => this.startShell(wrapped),
      runOnce: (command, opts) => this.run(command, opts),
    });
    const onDrop = (e?: Error) => {
      if (this.closing || this.lost) return;
      this.lost = new ConnectError(
        `connection to ${this.label} lost${e?.message ? `: ${e.message}` : ''}`,
        { host: addr.name, cause: e },
      );
      for (const w of this.queue.splice(0)) w.reject(this.lost);
      for (const r of [...this.inflight]) r(this.lost);
    };
    this.client.on('error', onDrop);
    this.client.on('close', () => onDrop());
  }

  async run(command: string, opts: ExecOptions = {}): Promise<CommandResult> {
    if (this.lost) throw this.lost;
    if (this.closing) throw new ConnectError(`connection to ${this.label} is closed`, { host: this.addr.name });
    await this.acquire();
    try {
      return await this.exec(command, opts);
    } finally {
      this.release();
    }
  }

  script(text: string | Buffer, opts: ScriptOptions = {}): Promise<CommandResult> {
    if (this.lost) return Promise.reject(this.lost);
    return this.shells.run(text, opts);
  }

  /** A long-lived exec channel for a shell: it holds one channel slot until it ends. */
  private async startShell(wrapped: WrappedCommand): Promise<ShellProcess> {
    if (this.lost) throw this.lost;
    if (this.closing) throw new ConnectError(`connection to ${this.label} is closed`, { host: this.addr.name });
    await this.acquire();
    return new Promise<ShellProcess>((resolve, reject) => {
      this.client.exec(wrapped.command, (err, ch) => {
        if (err) {
          this.release();
          return reject(this.lost ?? new ConnectError(`cannot open a session on ${this.label}: ${err.message}`, { host: this.addr.name, cause: err }));
        }
        this.execCount++;
        let exit: { code: number; signal?: string } | undefined;
        let lose!: (e: Error) => void;
        const ended = new Promise<{ code: number; signal?: string }>((res, rej) => {
          lose = rej;
          ch.on('exit', (code: number | null, signal?: string) => (exit = exitStatus(code, signal)));
          ch.on('close', () => {
            this.inflight.delete(lose);
            this.release();
            if (exit) res(exit);
            else rej(this.lost ?? new ConnectError(`connection to ${this.label} lost during a command (no exit status)`, { host: this.addr.name }));
          });
        });
        ended.catch(() => undefined);
        this.inflight.add(lose); // a dropped connection fails the running script at once
        resolve({ stdin: ch, stdout: ch, stderr: ch.stderr, ended, kill: () => ch.close() });
      });
    });
  }

  private acquire(): Promise<void> {
    if (this.active < MAX_CHANNELS) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.queue.push({ resolve, reject }));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next.resolve(); // the slot passes straight to the next waiter
    else this.active--;
  }

  private exec(command: string, opts: ExecOptions): Promise<CommandResult> {
    const wrapped = wrapBecome(command, opts.become ? this.addr.become : undefined, this.addr.user);
    const start = performance.now();
    return new Promise<CommandResult>((resolve, reject) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (e: Error | undefined, r?: CommandResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.inflight.delete(finish);
        if (e) reject(e);
        else resolve(r!);
      };
      this.inflight.add(finish);
      this.client.exec(wrapped.command, (err, ch) => {
        if (err) {
          return finish(this.lost ?? new ConnectError(`cannot open a session on ${this.label}: ${err.message}`, { host: this.addr.name, cause: err }));
        }
        this.execCount++;
        if (done) return void ch.close(); // the connection dropped meanwhile
        const io = attachIo(ch, ch, ch.stderr, wrapped, opts.stdin);
        let exit: { code: number; signal?: string } | undefined;
        ch.on('exit', (code: number | null, signal?: string) => (exit = exitStatus(code, signal)));
        if (opts.timeoutMs !== undefined) {
          timer = setTimeout(() => {
            ch.close();
            finish(new CommandTimeoutError(`command timed out after ${opts.timeoutMs} ms on ${this.label}: ${command.slice(0, 200)}`, { host: this.addr.name }));
          }, opts.timeoutMs);
        }
        ch.on('close', () => {
          if (!exit) {
            return finish(this.lost ?? new ConnectError(`connection to ${this.label} lost during a command (no exit status)`, { host: this.addr.name }));
          }
          const becomeWhy = io.becomeFailure(exit.code);
          if (becomeWhy) {
            return finish(new ConnectError(`become (sudo -u ${wrapped.becomeUser}) failed on ${this.label}: ${becomeWhy}`, { host: this.addr.name }));
          }
          finish(undefined, {
            stdout: io.stdout(),
            stderr: io.stderr(),
            exitCode: exit.code,
            ...(exit.signal ? { signal: exit.signal } : {}),
            ms: Math.round(performance.now() - start),
          });
        });
      });
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    if (!this.lost) await this.shells.close();
    this.closing = true;
    if (this.lost) return;
    for (const w of this.queue.splice(0)) w.reject(new ConnectError(`connection to ${this.label} closed`, { host: this.addr.name }));
    await Promise.all(
      this.chain.map(
        (c) => new Promise<void>((resolve) => {
          c.once('close', () => resolve());
          c.end();
          setTimeout(resolve, 1000).unref(); // never hang shutdown on a dead peer
        }),
      ),
    );
  }
}
