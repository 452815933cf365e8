// Engine events of made-up runs, redacted on the way out as the engine does, for report tests.
import type { HostStats, RunEvent, TaskResult } from '../../src/engine/events.js';
import { redactEvent, redactResult } from '../../src/engine/redact.js';
import type { Facts } from '../../src/facts/facts.js';
import type { Change } from '../../src/ops/operation.js';
import { SecretRegistry } from '../../src/core/secret.js';

/** The secret registry of the runs these events come from (each command run has one); tests register into it. */
export const testSecrets = new SecretRegistry();

export const FACTS: Facts = {
  hostname: 'x', system: 'Linux', kernel: '6.1', arch: 'x86_64', os_family: 'Debian', distribution: 'debian',
  distribution_version: '12.11', distribution_major: 12, distribution_major_version: '12', distribution_release: 'bookworm', init: 'systemd', pkg_mgr: 'apt', user: 'root', uid: 0,
};

export function task(host: string, name: string, fields: Partial<TaskResult> = {}): TaskResult {
  return { host, play: 'site', task: name, op: 'file', handler: false, status: 'ok', check: true, changes: [], ms: 3, ...fields };
}

export function write(p: string, before: string | null, after: string, masked?: 'secret'): Change {
  return {
    kind: 'write',
    description: `write ${p}`,
    write: { path: p, content: Buffer.from(after) },
    diff: { path: p, before, after, masked },
  };
}

export const run = (cmd: string): Change => ({ kind: 'run', description: `run ${cmd}`, command: cmd });

export function stats(tasks: TaskResult[], extra: Partial<HostStats> = {}): HostStats {
  const n = (s: string) => tasks.filter((t) => t.status === s).length;
  return { ok: n('ok'), changed: n('changed'), failed: n('failed'), skipped: n('skipped'), unreachable: false, execs: 2, ms: 1234, ...extra };
}

/** A run as the engine emits it: redacted on the way out, host by host, then run-end. */
export function events(check: boolean, hosts: Record<string, { tasks?: TaskResult[]; unreachable?: string; failed?: string }>): RunEvent[] {
  const out: RunEvent[] = [{ type: 'run-start', hosts: Object.keys(hosts), check, plays: ['site <b>baseline</b>'] }];
  const summary = { check, hosts: {} as Record<string, HostStats>, ms: 4321 };
  for (const [host, h] of Object.entries(hosts)) {
    out.push({ type: 'host-start', host });
    const tasks = h.tasks ?? [];
    let st: HostStats;
    if (h.unreachable) {
      out.push({ type: 'host-unreachable', host, error: h.unreachable });
      st = stats([], { unreachable: true, ms: 10 });
    } else {
      out.push({ type: 'host-facts', host, facts: FACTS, ms: 5 });
      for (const t of tasks) out.push({ type: 'task-result', result: redactResult(t, testSecrets) });
      if (h.failed) out.push({ type: 'host-failed', host, error: h.failed });
      st = stats(tasks, h.failed ? { failed: stats(tasks).failed + 1 } : {});
    }
    summary.hosts[host] = st;
    out.push({ type: 'host-done', host, stats: st });
  }
  out.push({ type: 'run-end', summary });
  return out.map((e) => (e.type === 'task-result' ? e : redactEvent(e, testSecrets)));
}

/** `hosts` hosts of `tasks` tasks; every tenth host changes every fifth task (a 40-line file each). */
export function largeRun(hosts: number, tasks: number): RunEvent[] {
  const byHost: Record<string, { tasks: TaskResult[] }> = {};
  for (let h = 1; h <= hosts; h++) {
    const name = `node-${String(h).padStart(3, '0')}`;
    byHost[name] = {
      tasks: Array.from({ length: tasks }, (_, t) =>
        h % 10 === 0 && t % 5 === 0
          ? task(name, `task ${t}`, { status: 'changed', changes: [write(`/etc/app/${t}.conf`, 'line\n'.repeat(40), 'line\n'.repeat(39) + `node ${h}\n`)] })
          : task(name, `task ${t}`, { status: t % 7 === 0 ? 'skipped' : 'ok', reason: 'file has the wanted content' }),
      ),
    };
  }
  return events(true, byHost);
}
