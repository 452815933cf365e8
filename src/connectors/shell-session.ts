// One `sh` per connection (and per become identity) that runs every script of a run: facts, state
// reads, changes, the lock release. Each exec session costs the host a fork of sshd, a login shell
// and an `sh` (≈ 5 ms of host CPU, measured) and the network a channel open and an exec request, so
// a no-change run is one session instead of three, and an apply one instead of one per change.
//
// Each script runs in its own subshell with stdin from /dev/null: it cannot read the scripts that
// follow, `exit` ends only that subshell, and nothing it defines leaks into the next. It arrives as one
// quoted word that the subshell evaluates, so no byte of it can break the framing. After it, the
// shell prints an end marker with the script's exit status on stdout and one on stderr, carrying a
// token unique to the script, so no output can be taken for one (core/framing.ts scriptEnd).
import { newNonce, scriptEnd } from '../core/framing.js';
import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';
import { ConnectError, OperationError } from '../core/errors.js';
import { becomeRefusal, describeBecome, wrapBecome, type WrappedCommand } from './become.js';
import { shQuoteBytes } from '../core/quote.js';
import { becomeTarget, CommandTimeoutError, type BecomeSettings, type CommandResult, type ExecOptions, type ScriptOptions } from './connection.js';

/** A started `sh -s` (an exec channel, or a local child process). */
export interface ShellProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Settles when the process has ended: its exit status, or an error when the transport lost it. */
  ended: Promise<{ code: number; signal?: string }>;
  /** Ends it now (channel closed / process group killed): after a timeout. */
  kill(): void;
}

export interface ShellOptions {
  /** Host label for errors. */
  label: string;
  host: string;
  /** Starts the shell; rejects when it cannot. */
  start: () => Promise<ShellProcess>;
  /** Why the shell ended before answering, when the transport knows better (a lost connection, sudo's refusal). */
  explainEnd?: (code: number, stderr: string) => Error | undefined;
}

interface Pending {
  /** The shell it runs in: output and the end of an abandoned shell must not reach a later script. */
  proc: ShellProcess;
  token: string;
  out: Buffer;
  err: Buffer;
  /** The end markers, and where they were found in out/err (-1: not yet). */
  outMark: Buffer;
  errMark: Buffer;
  outAt: number;
  errAt: number;
  start: number;
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
}

export class ShellSession {
  private proc?: Promise<ShellProcess>;
  private current?: Pending;
  /** Scripts run one after another: each waits for the previous one's end markers. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: ShellOptions) {}

  /** Runs one script; resolves with its stdout, stderr and exit status. */
  run(script: string | Buffer, timeoutMs?: number): Promise<CommandResult> {
    const next = this.queue.then(() => this.runNow(script, timeoutMs));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Ends the shell (EOF on its stdin) once the queued scripts are done, waiting at most `waitMs` for it to exit. */
  async close(waitMs = 1000): Promise<void> {
    await this.queue;
    this.closed = true;
    const p = await this.proc?.catch(() => undefined);
    if (!p) return;
    p.stdin.end();
    await Promise.race([p.ended.catch(() => undefined), new Promise((r) => setTimeout(r, waitMs).unref())]);
  }

  private async runNow(script: string | Buffer, timeoutMs?: number): Promise<CommandResult> {
    if (this.closed) throw new ConnectError(`connection to ${this.opts.label} is closed`, { host: this.opts.host });
    const started = (this.proc ??= this.spawn());
    let proc: ShellProcess;
    try {
      proc = await started;
    } catch (e) {
      if (this.proc === started) this.proc = undefined;
      throw e;
    }
    const token = newNonce();
    const end = scriptEnd(token);
    return new Promise<CommandResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (e: Error | undefined, r?: CommandResult) => {
        clearTimeout(timer);
        if (this.current?.token !== token) return;
        this.current = undefined;
        if (e) reject(e);
        else resolve(r!);
      };
      this.current = {
        proc, token, out: Buffer.alloc(0), err: Buffer.alloc(0),
        outMark: end.out, errMark: end.err, outAt: -1, errAt: -1,
        start: performance.now(), resolve: (r) => settle(undefined, r), reject: (e) => settle(e),
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          // The script may still be running: this shell is unusable now, the next script gets a new one.
          this.forget(started);
          proc.kill();
          settle(new CommandTimeoutError(`command timed out after ${timeoutMs} ms on ${this.opts.label}`, { host: this.opts.host }));
        }, timeoutMs);
      }
      const body = Buffer.isBuffer(script) ? script : Buffer.from(script);
      // The script is one quoted word evaluated in a subshell (see evalWord): nothing in it, not even a
      // syntax error, an unclosed here-document or this framing's own markers, reaches the session's shell.
      proc.stdin.write(
        Buffer.concat([
          Buffer.from('(eval '),
          shQuoteBytes(body),
          Buffer.from(`) </dev/null; ${end.shell}\n`),
        ]),
      );
    });
  }

  /** A later script starts a new shell. */
  private forget(started: Promise<ShellProcess>): void {
    if (this.proc === started) this.proc = undefined;
  }

  private async spawn(): Promise<ShellProcess> {
    const proc = await this.opts.start();
    const started = this.proc!;
    proc.stdin.on('error', () => {}); // a shell that died is reported by `ended`
    proc.stdout.on('data', (d: Buffer) => this.feed(proc, 'out', d));
    proc.stderr.on('data', (d: Buffer) => this.feed(proc, 'err', d));
    proc.ended.then(
      ({ code }) => this.ended(started, proc, code),
      (e: Error) => this.ended(started, proc, undefined, e),
    );
    return proc;
  }

  private ended(started: Promise<ShellProcess>, proc: ShellProcess, code: number | undefined, lost?: Error): void {
    this.forget(started);
    const cur = this.current;
    if (cur?.proc !== proc) return;
    const stderr = cur.err.toString();
    cur.reject(
      lost ??
        this.opts.explainEnd?.(code ?? -1, stderr) ??
        new OperationError(
          `the shell on ${this.opts.label} ended (exit ${code}) before the script did${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`,
          { host: this.opts.host },
        ),
    );
  }

  /** Collects the current script's output until both end markers have arrived. */
  private feed(proc: ShellProcess, stream: 'out' | 'err', d: Buffer): void {
    const cur = this.current;
    if (cur?.proc !== proc) return;
    const had = cur[stream].length;
    cur[stream] = had ? Buffer.concat([cur[stream], d]) : d;
    // Only the new bytes (and a marker begun just before them) are searched: a large output
    // arrives in many chunks.
    const mark = stream === 'out' ? cur.outMark : cur.errMark;
    const at = stream === 'out' ? 'outAt' : 'errAt';
    if (cur[at] < 0) cur[at] = cur[stream].indexOf(mark, Math.max(0, had - mark.length));
    if (cur.outAt < 0 || cur.errAt < 0) return;
    const nl = cur.out.indexOf(0x0a, cur.outAt + cur.outMark.length);
    if (nl < 0) return;
    cur.resolve({
      stdout: Buffer.from(cur.out.subarray(0, cur.outAt)),
      stderr: cur.err.subarray(0, cur.errAt).toString(),
      exitCode: Number(cur.out.subarray(cur.outAt + cur.outMark.length, nl).toString()),
      ms: Math.round(performance.now() - cur.start),
    });
  }
}

/** How a transport starts a shell (`wrapped.command`, possibly under sudo) and runs a one-shot command. */
export interface ShellTransport {
  label: string;
  host: string;
  become: BecomeSettings;
  loginUser: string;
  start(wrapped: WrappedCommand): Promise<ShellProcess>;
  /** The one-shot path, for a become that needs a password: sudo's handshake is per process. */
  runOnce(command: string, opts: ExecOptions): Promise<CommandResult>;
}

/** A connection's shells, one per identity (the login user, or the become user). */
export class ScriptShells {
  private readonly shells = new Map<string, ShellSession>();

  constructor(private readonly t: ShellTransport) {}

  run(script: string | Buffer, opts: ScriptOptions = {}): Promise<CommandResult> {
    const wrapped = wrapBecome('sh -s', becomeTarget(this.t.become, opts.become), this.t.loginUser);
    if (wrapped.handshake) return this.t.runOnce('sh -s', { ...opts, stdin: script });
    const id = wrapped.becomeUser === undefined ? '' : `${wrapped.becomeMethod} ${wrapped.becomeUser}`;
    let shell = this.shells.get(id);
    if (!shell) {
      shell = new ShellSession({
        label: this.t.label,
        host: this.t.host,
        start: () => this.t.start(wrapped),
        explainEnd: (code, stderr) => {
          const why = wrapped.becomeUser && code !== 0 ? becomeRefusal(stderr, wrapped.becomeMethod) : undefined;
          return why ? new ConnectError(`become (${describeBecome(wrapped)}) failed on ${this.t.label}: ${why}`, { host: this.t.host }) : undefined;
        },
      });
      this.shells.set(id, shell);
    }
    return shell.run(script, opts.timeoutMs);
  }

  async close(): Promise<void> {
    await Promise.all([...this.shells.values()].map((s) => s.close()));
  }
}
