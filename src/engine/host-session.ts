// One host across the run: from its connection (opened for its first play) to its end (the run lock
// released, the connection closed, host-done reported), whatever stops it — a failure, an
// unreachable host, a lock held by another run, Ctrl-C or SIGTERM. run.ts decides which plays a
// host runs and when; this module is what happens to the host.
import { CommandTimeoutError, NotSentError, type CommandResult, type Connection, type ScriptOptions } from '../connectors/connection.js';
import { performance } from 'node:perf_hooks';
import { FleetplanError } from '../core/errors.js';
import type { Inventory, Plan, Play } from '../load/model.js';
import { connectHost, type ConnectOptions } from './connect-host.js';
import type { Emit, HostStats } from './events.js';
import { startHost, type HostContext } from './host-context.js';
import { hostScope, type RunVars } from './host-scope.js';
import { dropHostResults, hostResults, setHostVars } from './host-results.js';
import { lockPath, recordPath, releaseScript, type LockOwner } from './host-lock.js';
import { runPlay, type PlayAhead } from './host-run.js';
import { FactsCache } from './facts-cache.js';
import { alongFacts, type FactsGuess } from './first-read.js';
import type { Facts } from '../facts/facts.js';
import type { PlayBatch } from './play-batch.js';
import type { DelegateHost, DelegatePool, Lender } from './delegate-pool.js';
import { signalName } from './interrupt.js';
import type { RunOptions } from './options.js';

/** What every host of a run shares. */
export interface RunScope {
  plan: Plan;
  inventory: Inventory;
  opts: RunOptions & ConnectOptions;
  emit: Emit;
  /** This run's owner of the hosts' run locks; none in a dry run. */
  lockOwner?: LockOwner;
  /** What the hosts' variables share (facts for hostvars, play host lists). */
  vars?: RunVars;
  /** Whether a play this host runs gathers facts (`gather_facts:` not false); all facts when absent. */
  gathersFacts?: (host: string) => boolean;
  /** Connections of delegates outside the run's hosts, and the sessions of those inside (delegate-pool.ts). */
  delegates?: DelegatePool;
}

export class HostSession implements Lender {
  readonly stats: HostStats = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, execs: 0, ms: 0 };
  started = 0;
  private conn?: Connection;
  private ctx?: HostContext;
  /** Unreachable, locked or failed: no further play runs here. */
  out = false;
  finished = false;
  /** Delegated tasks of other hosts using this connection: the host's end waits for them. */
  private readonly lent = new Set<Promise<unknown>>();
  private opening?: Promise<void>;
  /** The facts cache's write of this host's facts (facts-cache.ts), awaited before the host is done. */
  private remembering?: Promise<void>;
  /** The first play, prepared and read with the facts (first-read.ts). */
  private ahead?: PlayAhead;

  constructor(
    readonly host: string,
    /** Plays left to run on this host; at 0 its connection closes. */
    private playsLeft: number,
    private readonly run: RunScope,
  ) {}

  /**
   * One play on this host, connecting first when it is the host's first; at its last play (or when
   * the host is out) the host finishes. Returns whether the host went out during this play.
   */
  async play(play: Play, batch?: PlayBatch): Promise<boolean> {
    const wasOut = this.out;
    const interrupt = this.run.opts.interrupt;
    if (interrupt?.signal && !this.out) this.stop(this.ctx ? `before play '${play.name}'` : 'before it started');
    if (!this.out && !this.ctx) {
      this.opening = this.open(play);
      await this.opening;
      this.opening = undefined;
    }
    if (this.ctx && !this.out) {
      // What earlier plays' delegate_facts tasks set for this host is its own from this play on.
      const delegated = this.run.delegates?.facts.take(this.host, play);
      if (delegated) setHostVars(this.ctx, delegated);
      try {
        const ahead = this.ahead?.play === play ? this.ahead : undefined;
        this.ahead = undefined;
        if (!(await runPlay(this.ctx, play, batch, ahead))) this.out = true;
      } catch (err) {
        this.fail(describe(err));
      }
      this.run.vars?.played(this.host, play, hostResults(this.ctx));
    }
    batch?.leave(this.host);
    this.playsLeft--;
    if (this.out || this.playsLeft === 0) await this.finish();
    return this.out && !wasOut;
  }

  /** This host's connection for another host's delegated task, while it is connected. */
  async lend<T>(use: (d: DelegateHost) => Promise<T>): Promise<{ value: T } | undefined> {
    // Connecting right now: wait for it rather than open a second connection to the host.
    if (!this.ctx && this.opening) await this.opening;
    const ctx = this.ctx;
    if (!ctx || this.finished) return undefined;
    const using = use({ name: this.host, conn: ctx.conn, facts: ctx.facts, backends: ctx.backends });
    this.lent.add(using);
    void using.finally(() => this.lent.delete(using)).catch(() => undefined);
    return { value: await using };
  }

  /** Ctrl-C or SIGTERM came before this host's next step: it starts nothing more. */
  private stop(when: string): void {
    this.stats.interrupted = true;
    this.stats.failed++;
    this.out = true;
    this.run.emit({ type: 'host-failed', host: this.host, error: `interrupted by ${signalName(this.run.opts.interrupt!.signal!)} ${when}` });
  }

  private fail(error: string): void {
    this.stats.failed++;
    this.out = true;
    this.run.emit({ type: 'host-failed', host: this.host, error });
  }

  private async open(play: Play): Promise<void> {
    const { opts, emit, inventory, lockOwner } = this.run;
    this.started = Date.now();
    emit({ type: 'host-start', host: this.host });
    let conn: Connection | undefined;
    try {
      conn = await interruptible(connectHost(inventory, this.host, opts.extraVars, opts), opts);
    } catch (err) {
      this.stats.unreachable = true;
      this.out = true;
      emit({ type: 'host-unreachable', host: this.host, error: describe(err) });
      return;
    }
    // Interrupted while connecting (nothing done on the host yet): stop waiting for the handshake.
    if (!conn) return this.stop('while connecting');
    this.conn = observed(conn, this.host, emit, opts.commandTimeoutMs, () => connectHost(inventory, this.host, opts.extraVars, opts));
    if (opts.interrupt?.signal) return this.stop('before it started');
    const scopeFor = (facts: Facts) => hostScope({ plan: this.run.plan, inventory, extraVars: opts.extraVars, limit: opts.limit, secrets: opts.secrets }, this.host, facts, this.run.vars, play);
    const lock = lockOwner && { owner: lockOwner, breakLock: Boolean(opts.breakLock), parent: opts.lockDir };
    const guess = this.guess(play);
    try {
      this.ctx = await startHost(
        { host: this.host, conn: this.conn, opts, emit, stats: this.stats },
        scopeFor,
        lock,
        this.run.gathersFacts?.(this.host) ?? true,
        guess && alongFacts(guess, scopeFor, lock, (first) => (this.ahead = first)),
      );
      this.ctx.delegates = this.run.delegates;
    } catch (err) {
      this.fail(describe(err));
    }
  }

  /** The facts the host had at its last run, for its first play's state read to ride with the facts (first-read.ts). */
  private guess(play: Play): FactsGuess | undefined {
    const dir = this.run.opts.factsCacheDir;
    // Only the plan's first play: before a later one, what earlier plays set for the host (delegate_facts) is added after its start.
    if (!dir || this.run.plan.plays[0] !== play) return undefined;
    const cache = new FactsCache(dir);
    return {
      play,
      facts: cache.read(this.host),
      remember: (facts) => void (this.remembering = cache.write(this.host, facts)),
      forget: () => this.run.vars?.forget(this.host),
    };
  }

  /** The host's end: its run lock released, its connection closed. `notRun`: why a stopped run did not provision it. */
  async finish(notRun?: string): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (notRun) {
      // Never provisioned: counted failed, so no report calls it "ok, nothing changed".
      this.stats.failed++;
      if (this.run.opts.interrupt?.signal) this.stats.interrupted = true;
      this.run.emit({ type: 'host-failed', host: this.host, error: `not run: ${notRun}` });
    }
    if (this.conn) {
      await Promise.allSettled([...this.lent]);
      const l = this.ctx?.lock;
      // The release is sent and the connection closed right behind it, without waiting for its answer
      // (the shell runs it, then exits: one round trip for both); its answer is still read, and a
      // release that failed is reported.
      const released = l && this.conn.script(releaseScript(l.owner, l.parent), { label: 'release run lock', become: l.become });
      const closed = this.conn.close();
      const [release] = await Promise.allSettled([released, closed]);
      this.stats.execs = this.conn.execCount;
      const why = release.status === 'rejected' ? describe(release.reason) : release.value && release.value.exitCode !== 0 ? `exit ${release.value.exitCode}: ${release.value.stderr.trim()}` : undefined;
      if (l && why) this.run.emit({ type: 'host-note', host: this.host, note: `the run lock ${lockPath(l.parent)} was not released (${why}): once this run has ended, remove it and ${recordPath(l.owner, l.parent)} on the host, or re-run with --break-lock` });
    }
    await this.remembering;
    this.done();
    // Nothing reads a finished host's context or connection again: let them go, so a run over 1000
    // hosts does not hold every finished host's variables, state, results and SSH client to its end.
    if (this.ctx) dropHostResults(this.ctx);
    this.ctx = undefined;
    this.conn = undefined;
  }

  /**
   * The second signal, while the host is still busy: reported as aborted at once. Its run lock is NOT
   * released — a command of this run may still be running there — and its connection closes in the
   * background (or with the process).
   */
  abandon(): void {
    const signal = signalName(this.run.opts.interrupt!.signal!);
    this.finished = true;
    this.stats.interrupted = true;
    this.stats.failed++;
    const lock = this.conn && this.run.lockOwner ? '; its run lock may remain (see docs/security.md "Interrupts")' : '';
    this.run.emit({ type: 'host-failed', host: this.host, error: this.started ? `aborted by a second ${signal} while busy${lock}` : `not run: interrupted by ${signal}` });
    if (this.conn) {
      this.stats.execs = this.conn.execCount;
      void this.conn.close().catch(() => undefined);
    }
    this.done();
  }

  private done(): void {
    this.stats.ms = this.started ? Date.now() - this.started : 0;
    this.run.emit({ type: 'host-done', host: this.host, stats: this.stats });
  }
}

/** A connect that a first signal stops waiting for (resolves undefined; the connection is closed when it comes). */
export async function interruptible(connecting: Promise<Connection>, opts: RunOptions): Promise<Connection | undefined> {
  const interrupt = opts.interrupt;
  if (!interrupt) return connecting;
  // A listener removed once connected, not a reaction on the run-long `interrupt.stopping`: that one
  // would keep every host's connection (the race's result) alive until the run ends.
  let unsubscribe: () => void = () => undefined;
  const stop = new Promise<undefined>((resolve) => {
    if (interrupt.signal) resolve(undefined);
    else unsubscribe = interrupt.onSignal(() => resolve(undefined));
  });
  try {
    const conn = await Promise.race([connecting, stop]);
    if (!conn) connecting.then((c) => c.close(), () => undefined);
    return conn;
  } finally {
    unsubscribe();
  }
}

/** Reports every command and script (for --verbose) without the engine printing anything itself, and applies --timeout. */
function observed(first: Connection, host: string, emit: Emit, timeoutMs: number | undefined, connect: () => Promise<Connection>): Connection {
  // The connection of the moment: a reboot replaces it (reconnect), everything else keeps using this wrapper.
  let conn = first;
  let execsBefore = 0;
  let started = 0;
  const watch = async (shownAs: string, opts: ScriptOptions | undefined, go: (o: ScriptOptions) => Promise<CommandResult>) => {
    started++;
    const shown = { type: 'command', host, command: opts?.label ?? shownAs, become: Boolean(opts?.become) } as const;
    const t0 = performance.now();
    try {
      const res = await go({ timeoutMs, ...opts });
      emit({ ...shown, exitCode: opts?.reportedExit?.(res) ?? res.exitCode, signal: res.signal, ms: res.ms });
      return res;
    } catch (err) {
      // Never sent (a state read that could not ride with the facts): nothing ran, nothing to show.
      if (err instanceof NotSentError) throw err;
      // A command that never exited is reported too: it is the one an operator is looking for.
      const why = err instanceof CommandTimeoutError ? 'timed out' : (err as Error).message.split('\n')[0];
      emit({ ...shown, exitCode: null, error: why, ms: Math.round(performance.now() - t0) });
      throw err;
    }
  };
  return {
    label: conn.label,
    get execCount() {
      return execsBefore + conn.execCount;
    },
    get started() {
      return started;
    },
    close: () => conn.close(),
    async reconnect() {
      execsBefore += conn.execCount;
      await conn.close().catch(() => undefined);
      conn = await connect();
    },
    run: (command, opts) => watch(command, opts, (o) => conn.run(command, { ...o, stdin: opts?.stdin })),
    script: (text, opts) => watch('sh script', opts, (o) => conn.script(text, o)),
  };
}

function describe(err: unknown): string {
  if (err instanceof FleetplanError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}
