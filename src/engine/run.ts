// The run: plays in order, hosts in parallel (at most --forks, in serial batches when asked), each
// host over one connection for the whole run. A failed or unreachable host never stops the others.
import pLimit from 'p-limit';
import { performance } from 'node:perf_hooks';
import { CommandTimeoutError, type CommandResult, type Connection, type ScriptOptions } from '../connectors/connection.js';
import { FleetplanError } from '../core/errors.js';
import { selectHosts } from '../load/inventory.js';
import { connectHost, type ConnectOptions } from './connect-host.js';
import type { Inventory, Plan, Play, RoleRef, Vars } from '../load/model.js';
import { resolveVars } from '../load/resolve-vars.js';
import { asSecret } from '../load/secret.js';
import { secretVarNames, varsFor } from '../load/vars.js';
import type { Emit, HostStats, RunSummary } from './events.js';
import { runPlay, startHost, type HostContext } from './host-run.js';
import { newOwner, releaseScript } from './host-lock.js';
import { signalName } from './interrupt.js';
import type { RunOptions } from './options.js';
import { redactEvent, redactResult } from './redact.js';

export type { ConnectOptions };

/** Which plays target which hosts, in inventory order. Pattern errors are input errors (no host contacted). */
export function targets(plan: Plan, inventory: Inventory, limit?: string): Map<string, Play[]> {
  const byHost = new Map<string, Play[]>();
  for (const play of plan.plays) {
    for (const h of selectHosts(inventory, play.hosts, limit, { pos: play.hostsPos ?? play.pos })) {
      byHost.set(h, [...(byHost.get(h) ?? []), play]);
    }
  }
  return byHost;
}

function emptyStats(): HostStats {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, execs: 0, ms: 0 };
}

/** A play's hosts in batches: all at once, or `serial` hosts (or percent of them) at a time. */
export function batches<T>(hosts: T[], serial: number | string | undefined): T[][] {
  if (serial === undefined || hosts.length === 0) return [hosts];
  const size =
    typeof serial === 'number' ? serial : Math.max(1, Math.floor((hosts.length * Number(serial.slice(0, -1))) / 100));
  const out: T[][] = [];
  for (let i = 0; i < hosts.length; i += size) out.push(hosts.slice(i, i + size));
  return out;
}

interface HostSession {
  host: string;
  stats: HostStats;
  started: number;
  /** Plays left to run on this host; at 0 its connection closes. */
  playsLeft: number;
  conn?: Connection;
  ctx?: HostContext;
  /** Unreachable, locked or failed: no further play runs here. */
  out: boolean;
  finished: boolean;
}

/**
 * Plays run in order; within a play, hosts run in parallel (at most --forks), in `serial` batches
 * when the play asks, each host over one connection kept from its first play to its last. A failed
 * or unreachable host never stops the others — unless more than max_fail_percentage of a batch
 * failed, which stops the run.
 */
export async function runPlan(
  plan: Plan,
  inventory: Inventory,
  opts: RunOptions & ConnectOptions,
  rawEmit: Emit,
): Promise<RunSummary> {
  const t0 = Date.now();
  // A secret_vars value given with -e is on the command line the report shows: register it now, not
  // only when a host resolves the role's variables (a run where no host gets that far must mask it too).
  for (const name of new Set(plan.plays.flatMap((p) => [...secretVarNames(p)]))) if (Object.hasOwn(opts.extraVars, name)) asSecret(opts.extraVars[name]);
  const interrupt = opts.interrupt;
  // After an abort (a second signal) the run has ended: hosts still busy in the background report nothing more.
  let ended = false;
  const emit: Emit = (e) => {
    if (!ended) rawEmit(e.type === 'task-result' ? { ...e, result: redactResult(e.result) } : redactEvent(e));
  };
  const byHost = targets(plan, inventory, opts.limit);
  const hosts = [...byHost.keys()];
  emit({ type: 'run-start', hosts, check: opts.check, plays: plan.plays.map((p) => p.name) });
  const summary: RunSummary = { check: opts.check, hosts: {}, ms: 0 };
  const limit = pLimit(Math.max(1, opts.forks));
  const lockOwner = opts.check ? undefined : newOwner();
  const sessions = new Map<string, HostSession>(
    hosts.map((host) => {
      const stats = emptyStats();
      summary.hosts[host] = stats;
      return [host, { host, stats, started: 0, playsLeft: byHost.get(host)!.length, out: false, finished: false }];
    }),
  );

  /** Ctrl-C or SIGTERM came before this host's next step: it starts nothing more. */
  const stopHost = (s: HostSession, when: string): void => {
    s.stats.interrupted = true;
    s.stats.failed++;
    s.out = true;
    emit({ type: 'host-failed', host: s.host, error: `interrupted by ${signalName(interrupt!.signal!)} ${when}` });
  };

  const open = async (s: HostSession): Promise<void> => {
    s.started = Date.now();
    emit({ type: 'host-start', host: s.host });
    let conn: Connection | undefined;
    try {
      conn = await interruptible(connectHost(inventory, s.host, opts.extraVars, opts));
    } catch (err) {
      s.stats.unreachable = true;
      s.out = true;
      emit({ type: 'host-unreachable', host: s.host, error: describe(err) });
      return;
    }
    // Interrupted while connecting (nothing done on the host yet): stop waiting for the handshake.
    if (!conn) return stopHost(s, 'while connecting');
    s.conn = observed(conn, s.host, emit, opts.commandTimeoutMs);
    if (interrupt?.signal) return stopHost(s, 'before it started');
    try {
      s.ctx = await startHost(
        { host: s.host, conn: s.conn, opts, emit, stats: s.stats },
        (facts) => {
          const cache = new Map<string, Vars>();
          return (play: Play, ref?: RoleRef) => {
            const key = `${plan.plays.indexOf(play)}/${ref ? play.roles.indexOf(ref) : '-'}`;
            let v = cache.get(key);
            if (!v) cache.set(key, (v = resolveVars(varsFor({ inventory, host: s.host, play, roleRef: ref, extraVars: opts.extraVars, facts }), secretVarNames(play))));
            return v;
          };
        },
        lockOwner && { owner: lockOwner, breakLock: Boolean(opts.breakLock), parent: opts.lockDir },
      );
    } catch (err) {
      s.stats.failed++;
      s.out = true;
      emit({ type: 'host-failed', host: s.host, error: describe(err) });
    }
  };

  const finish = async (s: HostSession, notRun?: string): Promise<void> => {
    if (s.finished) return;
    s.finished = true;
    if (notRun) {
      // Never provisioned: counted failed, so no report calls it "ok, nothing changed".
      s.stats.failed++;
      if (interrupt?.signal) s.stats.interrupted = true;
      emit({ type: 'host-failed', host: s.host, error: `not run: ${notRun}` });
    }
    if (s.conn) {
      const l = s.ctx?.lock;
      if (l) await s.conn.script(releaseScript(l.owner, l.parent), { label: 'release run lock', become: l.become }).catch(() => undefined);
      s.stats.execs = s.conn.execCount;
      await s.conn.close().catch(() => undefined);
    }
    s.stats.ms = s.started ? Date.now() - s.started : 0;
    emit({ type: 'host-done', host: s.host, stats: s.stats });
  };

  /**
   * The second signal: hosts still busy are reported as aborted at once. Their run lock is NOT
   * released — a command of this run may still be running there — and their connections close in
   * the background (or with the process).
   */
  const abandon = (left: HostSession[]): void => {
    const signal = signalName(interrupt!.signal!);
    for (const s of left) {
      s.finished = true;
      s.stats.interrupted = true;
      s.stats.failed++;
      const lock = s.conn && lockOwner ? '; its run lock may remain (see docs/security.md "Interrupts")' : '';
      emit({ type: 'host-failed', host: s.host, error: s.started ? `aborted by a second ${signal} while busy${lock}` : `not run: interrupted by ${signal}` });
      if (s.conn) {
        s.stats.execs = s.conn.execCount;
        void s.conn.close().catch(() => undefined);
      }
      s.stats.ms = s.started ? Date.now() - s.started : 0;
      emit({ type: 'host-done', host: s.host, stats: s.stats });
    }
  };

  /** A connect that a first signal stops waiting for (resolves undefined; the connection is closed when it comes). */
  const interruptible = async (connecting: Promise<Connection>): Promise<Connection | undefined> => {
    if (!interrupt) return connecting;
    const stop = interrupt.stopping.then(() => undefined);
    const conn = await Promise.race([connecting, stop]);
    if (!conn) connecting.then((c) => c.close(), () => undefined);
    return conn;
  };

  const unsubscribe = interrupt?.onSignal(() => {
    const busy = [...sessions.values()].filter((s) => s.started && !s.finished).map((s) => s.host);
    emit({ type: 'interrupt', signal: interrupt.signal!, hard: interrupt.hard, busy });
  });
  if (interrupt?.signal) emit({ type: 'interrupt', signal: interrupt.signal, hard: interrupt.hard, busy: [] });

  let aborted: string | undefined;
  const work = async () => {
    for (const play of plan.plays) {
      const playHosts = hosts.filter((h) => byHost.get(h)!.includes(play));
      for (const batch of batches(playHosts, play.serial)) {
        if (aborted) break;
        const failedHere = await Promise.all(
          batch.map((host) =>
            limit(async () => {
              const s = sessions.get(host)!;
              const wasOut = s.out;
              if (interrupt?.signal && !s.out) stopHost(s, s.ctx ? `before play '${play.name}'` : 'before it started');
              if (!s.out && !s.ctx) await open(s);
              if (s.ctx && !s.out) {
                try {
                  if (!(await runPlay(s.ctx, play))) s.out = true;
                } catch (err) {
                  s.stats.failed++;
                  s.out = true;
                  emit({ type: 'host-failed', host, error: describe(err) });
                }
              }
              s.playsLeft--;
              if (s.out || s.playsLeft === 0) await finish(s);
              return s.out && !wasOut;
            }),
          ),
        );
        const failures = failedHere.filter(Boolean).length;
        if (interrupt?.signal) {
          aborted = `interrupted by ${signalName(interrupt.signal)}`;
        } else if (play.maxFailPercentage !== undefined && (failures / batch.length) * 100 > play.maxFailPercentage) {
          aborted = `${failures} of ${batch.length} host(s) in a batch of '${play.name}' failed, more than max_fail_percentage ${play.maxFailPercentage}%`;
        }
      }
      if (aborted) break;
    }
    // Hosts a stopped run never reached (or whose later plays it skipped) say why.
    for (const s of sessions.values()) await finish(s, aborted);
  };
  // A second signal ends the run here, whatever the hosts are still doing.
  const running = work();
  if (interrupt) {
    running.catch(() => undefined); // after an abort, a late failure has no one left to tell
    await Promise.race([running, interrupt.aborting]);
  } else await running;
  unsubscribe?.();
  if (interrupt?.hard) abandon([...sessions.values()].filter((s) => !s.finished));
  summary.interrupted = interrupt?.signal;
  summary.ms = Date.now() - t0;
  emit({ type: 'run-end', summary });
  ended = true;
  return summary;
}

/** Reports every command and script (for --verbose) without the engine printing anything itself, and applies --timeout. */
function observed(conn: Connection, host: string, emit: Emit, timeoutMs: number | undefined): Connection {
  const watch = async (shownAs: string, opts: ScriptOptions | undefined, go: (o: ScriptOptions) => Promise<CommandResult>) => {
    const shown = { type: 'command', host, command: opts?.label ?? shownAs, become: Boolean(opts?.become) } as const;
    const t0 = performance.now();
    try {
      const res = await go({ timeoutMs, ...opts });
      emit({ ...shown, exitCode: opts?.reportedExit?.(res) ?? res.exitCode, signal: res.signal, ms: res.ms });
      return res;
    } catch (err) {
      // A command that never exited is reported too: it is the one an operator is looking for.
      const why = err instanceof CommandTimeoutError ? 'timed out' : (err as Error).message.split('\n')[0];
      emit({ ...shown, exitCode: null, error: why, ms: Math.round(performance.now() - t0) });
      throw err;
    }
  };
  return {
    label: conn.label,
    get execCount() {
      return conn.execCount;
    },
    close: () => conn.close(),
    run: (command, opts) => watch(command, opts, (o) => conn.run(command, { ...o, stdin: opts?.stdin })),
    script: (text, opts) => watch('sh script', opts, (o) => conn.script(text, o)),
  };
}

function describe(err: unknown): string {
  if (err instanceof FleetplanError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}
