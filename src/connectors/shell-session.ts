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
//
// Scripts are written as soon as they are asked for, without waiting for the ones before them: the
// shell runs them in order, and their outputs are cut apart at their end markers. Scripts sent
// together (the lock release and the end of the shell, concurrent callers) cost one round trip.
// The shell starts one tick after its first script is asked for: public scripts asked for in that
// tick (the facts with the run lock, and a state read made ahead of them) all travel in the exec
// request that starts it, so the host answers them all in the round trip of that request.
import { inlineCommand, MAX_INLINE } from './inline-command.js';
import { newNonce, scriptEnd } from '../core/framing.js';
import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';
import { ConnectError, OperationError } from '../core/errors.js';
import { NotSentError } from './connection.js';
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
  /**
   * Starts the shell; rejects when it cannot. `first`: a framed script the shell runs before it reads
   * its stdin (it travels in the exec request: see inlineCommand).
   */
  start: (first?: Buffer) => Promise<ShellProcess>;
  /** Why the shell ended before answering, when the transport knows better (a lost connection, sudo's refusal). */
  explainEnd?: (code: number, stderr: string) => Error | undefined;
}

interface Pending {
  /** The script, kept until it is answered: scripts written behind one whose shell died are sent again. */
  body: Buffer;
  timeoutMs?: number;
  /** The shell it was written to: output and the end of an abandoned shell must not reach a later script. */
  proc?: ShellProcess;
  /** The shell's start this script was written after (forgotten when that shell is abandoned). */
  started?: Promise<ShellProcess>;
  /** Shell text printing this script's end markers (a token unique to it). */
  endShell: string;
  /** Nothing secret in it: it may be sent in the command that starts the shell. */
  inline: boolean;
  /** Sent only in the command that starts the shell, or not at all (ScriptOptions.rideAlong). */
  rideAlong: boolean;
  /** The shell start whose command carried it (then it is not written to that shell's stdin). */
  sentWith?: Promise<ShellProcess>;
  out: Buffer;
  err: Buffer;
  /** The end markers, and where they were found in out/err (-1: not yet). */
  outMark: Buffer;
  errMark: Buffer;
  outAt: number;
  errAt: number;
  /** The byte after this script's stdout framing (its exit status line), once complete. */
  outEnd: number;
  start: number;
  timer?: NodeJS.Timeout;
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
}

export class ShellSession {
  private proc?: Promise<ShellProcess>;
  /**
   * Scripts written and not yet answered, oldest first. They are written at once, without waiting
   * for the ones before them (pipelined: one round trip for all of them), and the shell runs them
   * one after another; each script's output is cut from the streams at its own end markers.
   */
  private readonly pending: Pending[] = [];
  private closed = false;
  /** The shell's start while it still takes scripts for its exec request (until the next tick). */
  private collecting?: Promise<ShellProcess>;

  constructor(private readonly opts: ShellOptions) {}

  /**
   * Runs one script; resolves with its stdout, stderr and exit status. Its timeout counts from when
   * the scripts before it are done. `rideAlong`: only in the exec request of a shell starting now,
   * else rejected with NotSentError, unsent.
   */
  run(script: string | Buffer, timeoutMs?: number, inline = false, rideAlong = false): Promise<CommandResult> {
    if (this.closed) return Promise.reject(this.closedError());
    if (rideAlong && (!inline || !this.collecting)) return Promise.reject(new NotSentError('the shell has started'));
    return new Promise<CommandResult>((resolve, reject) => {
      const end = scriptEnd(newNonce());
      const p: Pending = {
        body: Buffer.isBuffer(script) ? script : Buffer.from(script), timeoutMs, endShell: end.shell, inline, rideAlong,
        out: Buffer.alloc(0), err: Buffer.alloc(0), outMark: end.out, errMark: end.err, outAt: -1, errAt: -1, outEnd: -1,
        start: 0, resolve, reject,
      };
      this.pending.push(p);
      this.send(p);
    });
  }

  /**
   * Ends the shell: EOF on its stdin right behind the scripts already sent (the shell runs them, then
   * exits: no round trip of its own), then waits for their answers and at most `waitMs` for the exit.
   */
  async close(waitMs = 1000): Promise<void> {
    this.closed = true;
    const answered = Promise.allSettled(this.pending.map((p) => new Promise<void>((r) => {
      const { resolve, reject } = p;
      p.resolve = (x) => (resolve(x), r());
      p.reject = (e) => (reject(e), r());
    })));
    // Registered after every pending write on this start, so it runs after them.
    const proc = await this.proc?.catch(() => undefined);
    proc?.stdin.end();
    await answered;
    if (!proc) return;
    await Promise.race([proc.ended.catch(() => undefined), new Promise((r) => setTimeout(r, waitMs).unref())]);
  }

  private closedError(): Error {
    return new ConnectError(`connection to ${this.opts.label} is closed`, { host: this.opts.host });
  }

  /** Writes `p` to the current shell (started when there is none). */
  private send(p: Pending): void {
    if (!this.proc) this.proc = this.startSoon();
    const started = this.proc;
    p.started = started;
    started.then(
      (proc) => {
        if (!this.pending.includes(p)) return;
        p.proc = proc;
        if (p.sentWith !== started) proc.stdin.write(framed(p));
        if (this.pending[0] === p) this.running(p);
      },
      (e: Error) => {
        if (this.proc === started) this.proc = undefined;
        this.settle(p, e);
      },
    );
  }

  /** `p` is the oldest unanswered script: the shell is running it now. */
  private running(p: Pending): void {
    p.start = performance.now();
    if (p.timeoutMs === undefined) return;
    p.timer = setTimeout(() => {
      // The script may still be running: this shell is unusable now; the scripts behind it never started.
      const proc = p.proc!;
      this.abandon(p.started!, proc);
      proc.kill();
      this.settle(p, new CommandTimeoutError(`command timed out after ${p.timeoutMs} ms on ${this.opts.label}`, { host: this.opts.host }));
    }, p.timeoutMs);
  }

  /** Answers `p` (the oldest) and starts the clock of the next. */
  private settle(p: Pending, e: Error | undefined, r?: CommandResult): void {
    const i = this.pending.indexOf(p);
    if (i < 0) return;
    this.pending.splice(i, 1);
    clearTimeout(p.timer);
    if (e) p.reject(e);
    else p.resolve(r!);
    const next = this.pending[0];
    if (i === 0 && next?.proc && next.start === 0) this.running(next);
  }

  /**
   * A later script starts a new shell, and those written behind the current one to the abandoned
   * shell (which never ran them: it runs scripts in order) are sent again to the new one.
   */
  private abandon(started: Promise<ShellProcess>, proc: ShellProcess): void {
    if (this.proc === started) this.proc = undefined;
    const behind = this.pending.filter((x, i) => i > 0 && x.proc === proc);
    for (const x of behind) {
      Object.assign(x, { proc: undefined, sentWith: undefined, out: Buffer.alloc(0), err: Buffer.alloc(0), outAt: -1, errAt: -1, outEnd: -1 });
      if (this.closed) this.settle(x, this.closedError());
      // It was to run right behind the scripts it travelled with, in their shell: never in another.
      else if (x.rideAlong) this.settle(x, new NotSentError('its shell ended before it ran'));
      else this.send(x);
    }
  }

  /**
   * Starts the shell in the next tick, with the public scripts asked for until then in its exec
   * request when they fit (no round trip of their own); a rideAlong script that does not is refused.
   */
  private startSoon(): Promise<ShellProcess> {
    const started: Promise<ShellProcess> = Promise.resolve().then(() => {
      this.collecting = undefined;
      return this.spawn(this.carried(started));
    });
    this.collecting = started;
    return started;
  }

  /** The leading scripts of this start that may travel in its exec request, framed and marked so. */
  private carried(started: Promise<ShellProcess>): Buffer | undefined {
    const parts: Buffer[] = [];
    let size = 0;
    let open = true; // scripts run in order: once one goes on stdin, so do those behind it
    for (const p of this.pending.filter((x) => x.started === started)) {
      const f = open && p.inline && !p.body.includes(0) ? framed(p) : undefined;
      if (f && size + f.length <= MAX_INLINE) {
        parts.push(f);
        size += f.length;
        p.sentWith = started;
        continue;
      }
      open = false;
      if (p.rideAlong) this.settle(p, new NotSentError('too large, or behind a script that is not public'));
    }
    return parts.length ? Buffer.concat(parts) : undefined;
  }

  private async spawn(first?: Buffer): Promise<ShellProcess> {
    const proc = await this.opts.start(first);
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
    const cur = this.pending[0];
    if (cur?.proc !== proc) {
      if (this.proc === started) this.proc = undefined;
      return;
    }
    this.abandon(started, proc);
    const stderr = cur.err.toString();
    this.settle(
      cur,
      lost ??
        this.opts.explainEnd?.(code ?? -1, stderr) ??
        new OperationError(
          `the shell on ${this.opts.label} ended (exit ${code}) before the script did${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`,
          { host: this.opts.host },
        ),
    );
  }

  /**
   * Hands `d` to the scripts of this shell in order: each takes bytes up to and including its end
   * marker on that stream; what follows belongs to the next one.
   */
  private feed(proc: ShellProcess, stream: 'out' | 'err', d: Buffer): void {
    let rest: Buffer | undefined = d;
    while (rest?.length) {
      const cur = this.pending.find((x) => x.proc === proc && (stream === 'out' ? x.outEnd < 0 : x.errAt < 0));
      if (!cur) return;
      rest = this.take(cur, stream, rest);
      if (cur.outEnd >= 0 && cur.errAt >= 0) {
        this.settle(cur, undefined, {
          stdout: Buffer.from(cur.out.subarray(0, cur.outAt)),
          stderr: cur.err.subarray(0, cur.errAt).toString(),
          exitCode: Number(cur.out.subarray(cur.outAt + cur.outMark.length, cur.outEnd - 1).toString()),
          ms: Math.round(performance.now() - cur.start),
        });
      }
    }
  }

  /** Appends `d` to `cur`'s stream; returns the bytes past its end marker (the next script's), if any. */
  private take(cur: Pending, stream: 'out' | 'err', d: Buffer): Buffer | undefined {
    const had = cur[stream].length;
    cur[stream] = had ? Buffer.concat([cur[stream], d]) : d;
    // Only the new bytes (and a marker begun just before them) are searched: a large output
    // arrives in many chunks.
    const mark = stream === 'out' ? cur.outMark : cur.errMark;
    const at = stream === 'out' ? 'outAt' : 'errAt';
    if (cur[at] < 0) cur[at] = cur[stream].indexOf(mark, Math.max(0, had - mark.length));
    if (cur[at] < 0) return undefined;
    let end = cur[at] + mark.length;
    if (stream === 'out') {
      const nl = cur.out.indexOf(0x0a, end);
      if (nl < 0) return undefined;
      end = nl + 1;
      cur.outEnd = end;
    }
    const rest = cur[stream].subarray(end);
    cur[stream] = cur[stream].subarray(0, end);
    return rest;
  }
}

/**
 * A script as the session's shell reads it. The script is one quoted word evaluated in a subshell
 * (see evalWord): nothing in it, not even a syntax error, an unclosed here-document or this framing's
 * own markers, reaches the session's shell.
 */
function framed(p: Pending): Buffer {
  return Buffer.concat([Buffer.from('(eval '), shQuoteBytes(p.body), Buffer.from(`) </dev/null; ${p.endShell}\n`)]);
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
  /** One-shot scripts still running: closing waits for them as for the shells' scripts. */
  private readonly once = new Set<Promise<unknown>>();

  constructor(private readonly t: ShellTransport) {}

  run(script: string | Buffer, opts: ScriptOptions = {}): Promise<CommandResult> {
    const wrapped = wrapBecome('sh -s', becomeTarget(this.t.become, opts.become), this.t.loginUser);
    if (wrapped.handshake) {
      if (opts.rideAlong) return Promise.reject(new NotSentError('a become with a password runs each script on its own'));
      const running = this.t.runOnce('sh -s', { ...opts, stdin: script });
      const settled = running.catch(() => undefined).finally(() => this.once.delete(settled));
      this.once.add(settled);
      return running;
    }
    const id = wrapped.becomeUser === undefined ? '' : `${wrapped.becomeMethod} ${wrapped.becomeUser}`;
    let shell = this.shells.get(id);
    // It rides with the scripts of a shell starting now, or not at all (never a shell of its own).
    if (opts.rideAlong && !shell) return Promise.reject(new NotSentError(`no shell is starting for ${id || 'the login user'}`));
    if (!shell) {
      shell = new ShellSession({
        label: this.t.label,
        host: this.t.host,
        start: (first) => this.t.start(first ? wrapBecome(inlineCommand(first), becomeTarget(this.t.become, opts.become), this.t.loginUser) : wrapped),
        explainEnd: (code, stderr) => {
          const why = wrapped.becomeUser && code !== 0 ? becomeRefusal(stderr, wrapped.becomeMethod) : undefined;
          return why ? new ConnectError(`become (${describeBecome(wrapped)}) failed on ${this.t.label}: ${why}`, { host: this.t.host }) : undefined;
        },
      });
      this.shells.set(id, shell);
    }
    return shell.run(script, opts.timeoutMs, opts.public, opts.rideAlong);
  }

  /** Ends every shell right behind the scripts already sent, and waits for their answers (and the one-shot ones). */
  async close(): Promise<void> {
    await Promise.all([...[...this.shells.values()].map((s) => s.close()), ...this.once]);
  }
}
