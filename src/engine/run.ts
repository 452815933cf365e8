// The run: plays in order, hosts in parallel (at most --forks, in serial batches when asked), each
// host over one connection for the whole run. A failed or unreachable host never stops the others.
import { selectHosts } from '../load/inventory.js';
import type { ConnectOptions } from './connect-host.js';
import type { Inventory, Plan, Play, Vars } from '../load/model.js';
import { asSecret, type SecretRegistry } from '../core/secret.js';
import { secretVarNames } from '../load/vars.js';
import type { Emit, RunSummary } from './events.js';
import { newOwner } from './host-lock.js';
import { HostSession, type RunScope } from './host-session.js';
import { RunVars } from './host-scope.js';
import { signalName } from './interrupt.js';
import type { RunOptions } from './options.js';
import { redactEvent, redactResult } from './redact.js';
import { PlayBatch } from './play-batch.js';
import { DelegatePool } from './delegate-pool.js';
import { DelegatedFacts } from './delegated-facts.js';
import { Semaphore } from './semaphore.js';
import { inShard } from './shard.js';

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

/**
 * A play's hosts in batches: all at once, or `serial` hosts (or percent of the play's hosts) at a
 * time; a list gives the sizes of the batches in turn, its last size repeating (as Ansible).
 */
export function batches<T>(hosts: T[], serial: number | string | Array<number | string> | undefined): T[][] {
  if (serial === undefined || hosts.length === 0) return [hosts];
  const sizes = (Array.isArray(serial) ? serial : [serial]).map((s) =>
    typeof s === 'number' ? s : Math.max(1, Math.floor((hosts.length * Number(s.slice(0, -1))) / 100)),
  );
  const out: T[][] = [];
  for (let i = 0, b = 0; i < hosts.length; b++) {
    const size = sizes[Math.min(b, sizes.length - 1)]!;
    out.push(hosts.slice(i, i + size));
    i += size;
  }
  return out;
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
  registerCommandLineSecrets(plan, opts.extraVars, opts.secrets);
  const interrupt = opts.interrupt;
  // After an abort (a second signal) the run has ended: hosts still busy in the background report nothing more.
  let ended = false;
  const emit: Emit = (e) => {
    if (!ended) rawEmit(e.type === 'task-result' ? { ...e, result: redactResult(e.result, opts.secrets) } : redactEvent(e, opts.secrets));
  };
  const byHost = inShard(targets(plan, inventory, opts.limit), opts.shard);
  const hosts = [...byHost.keys()];
  emit({ type: 'run-start', hosts, check: opts.check, plays: plan.plays.map((p) => p.name) });
  const summary: RunSummary = { check: opts.check, hosts: {}, ms: 0 };
  let sessions = new Map<string, HostSession>();
  const delegates = new DelegatePool(inventory, opts.extraVars, opts, (name) => sessions.get(name), new DelegatedFacts(plan));
  const scope: RunScope = { plan, inventory, opts, emit, lockOwner: opts.check ? undefined : newOwner(), delegates, ...factsScope(plan, inventory, opts, byHost, delegates.facts) };
  sessions = new Map(hosts.map((host) => [host, new HostSession(host, byHost.get(host)!.length, scope)]));
  for (const s of sessions.values()) summary.hosts[s.host] = s.stats;

  const unsubscribe = interrupt?.onSignal(() => {
    const busy = [...sessions.values()].filter((s) => s.started && !s.finished).map((s) => s.host);
    emit({ type: 'interrupt', signal: interrupt.signal!, hard: interrupt.hard, busy });
  });
  if (interrupt?.signal) emit({ type: 'interrupt', signal: interrupt.signal, hard: interrupt.hard, busy: [] });

  // A second signal ends the run here, whatever the hosts are still doing.
  const running = runPlays(plan, byHost, sessions, opts);
  if (interrupt) {
    running.catch(() => undefined); // after an abort, a late failure has no one left to tell
    await Promise.race([running, interrupt.aborting]);
  } else await running;
  unsubscribe?.();
  await delegates.close();
  if (interrupt?.hard) for (const s of sessions.values()) if (!s.finished) s.abandon();
  summary.interrupted = interrupt?.signal;
  summary.ms = Date.now() - t0;
  emit({ type: 'run-end', summary });
  ended = true;
  return summary;
}

/** What hosts' variables share in this run, and which hosts gather facts (a play without `gather_facts: false`). */
function factsScope(plan: Plan, inventory: Inventory, opts: RunOptions & ConnectOptions, byHost: Map<string, Play[]>, delegated: DelegatedFacts): Pick<RunScope, 'vars' | 'gathersFacts'> {
  const byPlay = new Map<Play, Map<string, string[]>>();
  const batchOf = (play: Play, host: string) => {
    let of = byPlay.get(play);
    if (!of) {
      byPlay.set(play, (of = new Map()));
      const playHosts = [...byHost.keys()].filter((h) => byHost.get(h)!.includes(play));
      for (const b of batches(playHosts, play.serial)) for (const h of b) of.set(h, b);
    }
    return of.get(host) ?? [];
  };
  const vars = new RunVars({ plan, inventory, extraVars: opts.extraVars, limit: opts.limit, secrets: opts.secrets, batchOf, delegated });
  return { vars, gathersFacts: (host) => (byHost.get(host) ?? []).some((p) => p.gatherFacts !== false) };
}

/**
 * A secret_vars value given with -e is on the command line the report shows: register it now, not
 * only when a host resolves the role's variables (a run where no host gets that far must mask it too).
 */
function registerCommandLineSecrets(plan: Plan, extraVars: Vars, secrets: SecretRegistry): void {
  for (const name of new Set(plan.plays.flatMap((p) => [...secretVarNames(p)]))) if (Object.hasOwn(extraVars, name)) asSecret(extraVars[name], secrets);
}

/** Every play on its hosts, batch by batch; a signal or too many failures in a batch stops the run. */
async function runPlays(plan: Plan, byHost: Map<string, Play[]>, sessions: Map<string, HostSession>, opts: RunOptions): Promise<void> {
  const forks = new Semaphore(Math.max(1, opts.forks));
  const interrupt = opts.interrupt;
  let aborted: string | undefined;
  for (const play of plan.plays) {
    const playHosts = [...byHost.keys()].filter((h) => byHost.get(h)!.includes(play));
    for (const batch of batches(playHosts, play.serial)) {
      if (aborted) break;
      const together = new PlayBatch(batch, forks);
      const failedHere = await Promise.all(batch.map((host) => forks.with(() => sessions.get(host)!.play(play, together))));
      const failures = failedHere.filter(Boolean).length;
      if (interrupt?.signal) {
        aborted = `interrupted by ${signalName(interrupt.signal)}`;
      } else if (together.fatal) {
        aborted = `'${together.fatal.task}' failed on ${together.fatal.host} (any_errors_fatal in '${play.name}')`;
      } else if (play.maxFailPercentage !== undefined && (failures / batch.length) * 100 > play.maxFailPercentage) {
        aborted = `${failures} of ${batch.length} host(s) in a batch of '${play.name}' failed, more than max_fail_percentage ${play.maxFailPercentage}%`;
      }
    }
    if (aborted) break;
  }
  // Hosts a stopped run never reached (or whose later plays it skipped) say why.
  for (const s of sessions.values()) await s.finish(aborted);
}
