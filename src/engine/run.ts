// The run: hosts in parallel (at most --forks), each over one connection, through every play that
// targets it. A failed or unreachable host never stops the others.
import pLimit from 'p-limit';
import type { Connection } from '../connectors/connection.js';
import { FleetplanError } from '../errors.js';
import { selectHosts } from '../load/inventory.js';
import { connectHost, type ConnectOptions } from './connect-host.js';
import type { Inventory, Plan, Play, RoleRef, Vars } from '../load/model.js';
import { resolveVars } from '../load/resolve-vars.js';
import { varsFor } from '../load/vars.js';
import type { Emit, HostStats, RunSummary } from './events.js';
import { runPlay, startHost } from './host-run.js';
import type { RunOptions } from './options.js';
import { redactEvent, redactResult } from './redact.js';

export type { ConnectOptions };

/** Which plays target which hosts, in inventory order. Pattern errors are input errors (no host contacted). */
export function targets(plan: Plan, inventory: Inventory, limit?: string): Map<string, Play[]> {
  const byHost = new Map<string, Play[]>();
  for (const play of plan.plays) {
    for (const h of selectHosts(inventory, play.hosts, limit, { pos: play.pos })) {
      byHost.set(h, [...(byHost.get(h) ?? []), play]);
    }
  }
  return byHost;
}

function emptyStats(): HostStats {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, execs: 0, ms: 0 };
}

export async function runPlan(
  plan: Plan,
  inventory: Inventory,
  opts: RunOptions & ConnectOptions,
  rawEmit: Emit,
): Promise<RunSummary> {
  const t0 = Date.now();
  const emit: Emit = (e) => rawEmit(e.type === 'task-result' ? { ...e, result: redactResult(e.result) } : redactEvent(e));
  const byHost = targets(plan, inventory, opts.limit);
  const hosts = [...byHost.keys()];
  emit({ type: 'run-start', hosts, check: opts.check, plays: plan.plays.map((p) => p.name) });
  const summary: RunSummary = { check: opts.check, hosts: {}, ms: 0 };
  const limit = pLimit(Math.max(1, opts.forks));

  await Promise.all(
    hosts.map((host) =>
      limit(async () => {
        const stats = emptyStats();
        summary.hosts[host] = stats;
        const h0 = Date.now();
        emit({ type: 'host-start', host });
        let conn: Connection | undefined;
        try {
          conn = observed(await connectHost(inventory, host, opts.extraVars, opts), host, emit, opts.commandTimeoutMs);
        } catch (err) {
          stats.unreachable = true;
          emit({ type: 'host-unreachable', host, error: describe(err) });
        }
        if (conn) {
          try {
            const ctx = await startHost({ host, conn, opts, emit, stats }, (facts) => {
              const cache = new Map<string, Vars>();
              return (play: Play, ref?: RoleRef) => {
                const key = `${plan.plays.indexOf(play)}/${ref ? play.roles.indexOf(ref) : '-'}`;
                let v = cache.get(key);
                if (!v) cache.set(key, (v = resolveVars(varsFor({ inventory, host, play, roleRef: ref, extraVars: opts.extraVars, facts }))));
                return v;
              };
            });
            for (const play of byHost.get(host)!) {
              if (!(await runPlay(ctx, play))) break;
            }
          } catch (err) {
            stats.failed++;
            emit({ type: 'host-failed', host, error: describe(err) });
          } finally {
            stats.execs = conn.execCount;
            await conn.close().catch(() => undefined);
          }
        }
        stats.ms = Date.now() - h0;
        emit({ type: 'host-done', host, stats });
      }),
    ),
  );
  summary.ms = Date.now() - t0;
  emit({ type: 'run-end', summary });
  return summary;
}

/** Reports every exec (for --verbose) without the engine printing anything itself, and applies --timeout. */
function observed(conn: Connection, host: string, emit: Emit, timeoutMs: number | undefined): Connection {
  return {
    label: conn.label,
    get execCount() {
      return conn.execCount;
    },
    close: () => conn.close(),
    async run(command, opts) {
      const res = await conn.run(command, { timeoutMs, ...opts });
      emit({ type: 'command', host, command: opts?.label ?? command, exitCode: res.exitCode, ms: res.ms });
      return res;
    },
  };
}

function describe(err: unknown): string {
  if (err instanceof FleetplanError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}
