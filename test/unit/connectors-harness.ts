// An in-process SSH server for connector tests: real ssh2 protocol on 127.0.0.1, commands run by a
// local `sh -c` so exit codes, stdin and stderr are real. No network beyond loopback.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Connection as ServerClient, ServerChannel } from 'ssh2';
import type { HostAddress } from '../../src/connectors/connection.js';

const { Server, utils } = ssh2;

export interface ExecRecord {
  command: string;
  /** Everything the client wrote on the channel's stdin. */
  stdin: Buffer;
}

export type ExecHandler = (command: string, stream: ServerChannel, record: ExecRecord) => void;

export interface TestServer {
  port: number;
  dir: string;
  hostKeyBlob: Buffer;
  clientKeyFile: string;
  /** TCP connections accepted so far. */
  connections: number;
  /** Key exchange algorithms negotiated, one per connection. */
  kex: string[];
  execs: ExecRecord[];
  /** Replace how exec requests are served (default: run with sh -c). */
  handler: ExecHandler;
  /** Drop every client's TCP connection abruptly. */
  dropAll(): void;
  knownHostsLine(): string;
  close(): Promise<void>;
}

/** Generates an OpenSSH key pair with ssh-keygen (the format users actually have). */
export function keygen(dir: string, name: string, type = 'ed25519', passphrase = ''): string {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-C', '', '-f', file]);
  return file;
}

/** A stand-in for sudo understanding the flags fleetplan uses; behaviour read from $FAKE_SUDO_MODE. */
const FAKE_SUDO = `#!/bin/sh
N=0 P=''
while [ $# -gt 0 ]; do
  case "$1" in
    -H|-S) ;; -n) N=1 ;; -p) shift; P="$1" ;; -u) shift ;; --) shift; break ;; *) break ;;
  esac
  shift
done
mode=$(cat "$FAKE_SUDO_MODE")
case "$mode" in
  nopasswd) exec "$@" ;;
  password:*)
    want=\${mode#password:}
    if [ $N = 1 ]; then echo "sudo: a password is required" >&2; exit 1; fi
    tries=0
    while [ $tries -lt 3 ]; do
      printf '%s' "$P" >&2
      IFS= read -r got || { echo "sudo: no password was provided" >&2; exit 1; }
      [ "$got" = "$want" ] && exec "$@"
      echo "Sorry, try again." >&2
      tries=$((tries+1))
    done
    echo "sudo: 3 incorrect password attempts" >&2; exit 1 ;;
esac
`;

/** Installs the fake sudo in `dir`/bin; returns env additions that put it first on PATH. */
export function fakeSudo(dir: string, mode: 'nopasswd' | `password:${string}`): NodeJS.ProcessEnv {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'sudo'), FAKE_SUDO, { mode: 0o755 });
  writeFileSync(join(dir, 'sudo_mode'), mode);
  return { PATH: `${bin}:${process.env.PATH}`, FAKE_SUDO_MODE: join(dir, 'sudo_mode') };
}

/** Exec handler running commands with extra environment (e.g. the fake sudo on PATH). */
export function runWithEnv(env: NodeJS.ProcessEnv): ExecHandler {
  return (command, stream, record) => runWithSh(command, stream, record, env);
}

/** Default exec: sh -c, stdin piped through, stdout/stderr/exit code reported back. */
export const runWithSh = (command: string, stream: ServerChannel, _record?: ExecRecord, env?: NodeJS.ProcessEnv): void => {
  const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true });
  stream.pipe(child.stdin);
  child.stdin.on('error', () => {});
  child.stdout.pipe(stream, { end: false });
  child.stderr.pipe(stream.stderr, { end: false });
  child.on('close', (code, signal) => {
    if (signal) stream.exit(signal.replace(/^SIG/, ''), false, '');
    else stream.exit(code ?? 1);
    stream.end();
  });
  stream.on('close', () => {
    try {
      process.kill(-child.pid!, 'SIGKILL'); // the whole group: sh and e.g. its sleep
    } catch {
      // already gone
    }
  });
};

/** `hostKeyTypes`: the host keys it presents (ssh-keygen -t names), the first one being `hostKeyBlob`. */
export async function startServer(hostKeyTypes: string[] = ['ed25519']): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplan-ssh-'));
  const hostKeyFiles = hostKeyTypes.map((t, i) => keygen(dir, i === 0 ? 'host_key' : `host_key_${t}`, t));
  const hostKeyFile = hostKeyFiles[0]!;
  const clientKeyFile = keygen(dir, 'client_key');
  const hostKey = readFileSync(hostKeyFile);
  const hostParsed = utils.parseKey(hostKey);
  if (hostParsed instanceof Error) throw hostParsed;
  const clientPub = utils.parseKey(readFileSync(`${clientKeyFile}.pub`));
  if (clientPub instanceof Error) throw clientPub;
  const sockets = new Set<Socket>();
  const clients = new Set<ServerClient>();

  const ts: TestServer = {
    port: 0,
    dir,
    hostKeyBlob: (Array.isArray(hostParsed) ? hostParsed[0] : hostParsed).getPublicSSH(),
    clientKeyFile,
    connections: 0,
    kex: [],
    execs: [],
    handler: runWithSh,
    dropAll() {
      for (const s of sockets) s.destroy();
    },
    knownHostsLine() {
      return `[127.0.0.1]:${ts.port} ${readFileSync(`${hostKeyFile}.pub`, 'utf8').split(' ')[0]} ${ts.hostKeyBlob.toString('base64')}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.end();
        for (const s of sockets) s.destroy();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };

  const server = new Server({ hostKeys: hostKeyFiles.map((f) => readFileSync(f)) }, (client) => {
    clients.add(client);
    (client as unknown as { setNoDelay(v: boolean): void }).setNoDelay(true); // as sshd, no Nagle stalls in tests
    client.on('error', () => {});
    client.on('handshake', (n) => ts.kex.push(n.kex));
    client.on('close', () => clients.delete(client));
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const pub = Array.isArray(clientPub) ? clientPub[0]! : clientPub;
      if (ctx.key.algo !== pub.type || !ctx.key.data.equals(pub.getPublicSSH())) return ctx.reject(['publickey']);
      if (ctx.signature && !pub.verify(ctx.blob!, ctx.signature, ctx.hashAlgo)) return ctx.reject(['publickey']);
      ctx.accept();
    });
    client.on('ready', () => {
      // direct-tcpip, so the server can act as its own ProxyJump host.
      client.on('tcpip', (acceptFwd, _rejectFwd, info) => {
        const out = acceptFwd();
        const sock = connect(info.destPort, info.destIP);
        sock.on('error', () => out.destroy());
        out.on('error', () => sock.destroy());
        out.pipe(sock).pipe(out);
      });
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          const record: ExecRecord = { command: info.command, stdin: Buffer.alloc(0) };
          ts.execs.push(record);
          stream.on('data', (d: Buffer) => (record.stdin = Buffer.concat([record.stdin, d])));
          ts.handler(info.command, stream, record);
        });
      });
    });
  });
  // ssh2's Server re-emits 'connection' with its own client objects; raw sockets live on the inner
  // net.Server, and we need those to count TCP connections and drop them abruptly.
  (server as unknown as { _srv: import('node:net').Server })._srv.on('connection', (s: Socket) => {
    ts.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  ts.port = (server.address() as AddressInfo).port;
  return ts;
}

/** An address for the test server with its host key already trusted (unless told otherwise). */
export function testAddress(ts: TestServer, over: Partial<HostAddress> = {}, trust = true): HostAddress {
  const kh = join(ts.dir, `known_hosts_${Math.random().toString(36).slice(2)}`);
  writeFileSync(kh, trust ? `${ts.knownHostsLine()}\n` : '');
  return {
    name: 'web1',
    connection: 'ssh',
    host: '127.0.0.1',
    port: ts.port,
    user: 'tester',
    identityFiles: [ts.clientKeyFile],
    useAgent: false,
    knownHostsFiles: [kh],
    acceptNewHostKeys: false,
    connectTimeoutMs: 5000,
    become: { enabled: false, user: 'root', method: 'sudo' },
    ...over,
  };
}
