// One SSH connection to a host, once the handshake is done: at most MAX_CHANNELS exec channels at a
// time (the rest wait their turn), one of them the long-lived script shell (src/connectors/shell-session.ts);
// a dropped connection fails every waiting and running command at once.
import { constants as osConstants } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { Client as ClientType, TcpConnectionDetails } from 'ssh2';
import { ConnectError } from '../core/errors.js';
import { attachIo, describeBecome, wrapBecome, type WrappedCommand } from './become.js';
import {
  addressLabel,
  becomeTarget,
  CommandTimeoutError,
  type CommandResult,
  type Connection,
  type HostListener,
  type HostAddress,
  type ExecOptions,
  type ScriptOptions,
} from './connection.js';
import { ScriptShells, type ShellProcess } from './shell-session.js';

/** OpenSSH's default MaxSessions is 10; stay under it so channel opens are never refused. */
export const MAX_CHANNELS = 8;

/** A channel's exit status; a signal maps to 128 + its number, as a shell reports it. */
function exitStatus(code: number | null | undefined, signal?: string): { code: number; signal?: string } {
  if (code !== null && code !== undefined) return { code };
  return { code: 128 + ((osConstants.signals as Record<string, number>)[`SIG${signal}`] ?? 0), signal: signal ?? undefined };
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class SshConnection implements Connection {
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
    const wrapped = wrapBecome(command, becomeTarget(this.addr.become, opts.become), this.addr.user);
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
            return finish(new ConnectError(`become (${describeBecome(wrapped)}) failed on ${this.label}: ${becomeWhy}`, { host: this.addr.name }));
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

  /** `ssh -R address:port:…`: the host's sshd listens there and each connection comes back as a channel. */
  listenOnHost(address: string, port: number, accept: (stream: Duplex) => void): Promise<HostListener> {
    if (this.lost) return Promise.reject(this.lost);
    const onTcp = (info: TcpConnectionDetails, take: () => Duplex, refuse: () => void) => {
      if (info.destIP === address && info.destPort === port) accept(take());
      else if (this.client.listenerCount('tcp connection') === 1) refuse();
    };
    return new Promise<HostListener>((resolve, reject) => {
      this.client.forwardIn(address, port, (err) => {
        if (err) {
          return reject(new ConnectError(`${this.label} refused to listen on ${address}:${port} for us (in use, or sshd forbids remote forwarding): ${err.message}`, { host: this.addr.name }));
        }
        this.client.on('tcp connection', onTcp);
        resolve({
          close: () => new Promise<void>((done) => {
            this.client.off('tcp connection', onTcp);
            if (this.lost || this.closing) return done();
            this.client.unforwardIn(address, port, () => done());
          }),
        });
      });
    });
  }

  /** `ssh -L …:address:port`: the host's sshd connects there and the connection comes back as a channel. */
  connectOnHost(address: string, port: number): Promise<Duplex> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise<Duplex>((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, address, port, (err, stream) => {
        if (err) return reject(new ConnectError(`${this.label} could not connect to ${address}:${port} for us (nothing listening, or sshd forbids forwarding): ${err.message}`, { host: this.addr.name }));
        resolve(stream);
      });
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    if (!this.lost) await this.shells.close();
    this.closing = true;
    if (this.lost) return;
    for (const w of this.queue.splice(0)) w.reject(new ConnectError(`connection to ${this.label} closed`, { host: this.addr.name }));
    // Done once our end has left (the disconnect and the FIN handed to the kernel: the socket's
    // 'finish'), not when the host's FIN comes back: that is one more round trip per host at the end
    // of every run, and nothing is read after it. The kernel completes the TCP close on its own,
    // also after the process exits.
    await Promise.all(
      this.chain.map(
        (c) => new Promise<void>((resolve) => {
          c.once('close', () => resolve());
          (c as unknown as { _sock?: Duplex })._sock?.once('finish', () => resolve());
          c.end();
          setTimeout(resolve, 1000).unref(); // never hang shutdown on a dead peer
        }),
      ),
    );
  }
}
