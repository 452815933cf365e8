// A made-up dry run of the relay plan over many hosts, for the grouping and merge tests: every host
// would change main.cf (its relayhost, and its own myhostname), three hosts have another smarthost,
// each host's DKIM selector (a host variable) is in its opendkim.conf, every tenth host is already
// right, host 7 is unreachable and host 13 fails its postfix check.
import type { HostStats, RunEvent, TaskResult } from '../../src/engine/events.js';
import { FACTS, run, write } from './report-events.js';

export const hostName = (i: number) => `relay${String(i).padStart(4, '0')}`;
/** The hosts with another smarthost. */
export const ODD = [10, 500, 999].map(hostName);

const fqdn = (name: string) => `${name}.mx.example.net`;
export const selectorOf = (name: string) => `s${name.slice(-4)}`;

function tasksOf(i: number, name: string): TaskResult[] {
  const base = { host: name, play: 'relays', handler: false, check: true, ms: 2 } as const;
  if (i % 10 === 0 && !ODD.includes(name)) {
    return [
      { ...base, task: 'main.cf', role: 'postfix_relay', op: 'template', status: 'ok', changes: [], reason: 'file has the wanted content' },
      { ...base, task: 'opendkim.conf', role: 'opendkim', op: 'template', status: 'ok', changes: [] },
    ];
  }
  const smarthost = ODD.includes(name) ? '[smtp2.example.org]:2525' : '[smtp.example.org]:587';
  const tasks: TaskResult[] = [
    {
      ...base,
      task: 'main.cf',
      role: 'postfix_relay',
      op: 'template',
      status: 'changed',
      changes: [write('/etc/postfix/main.cf', `myhostname = ${fqdn(name)}\nrelayhost =\n`, `myhostname = ${fqdn(name)}\nrelayhost = ${smarthost}\n`)],
    },
    {
      ...base,
      task: 'opendkim.conf',
      role: 'opendkim',
      op: 'template',
      status: 'changed',
      changes: [write('/etc/opendkim.conf', null, `Selector ${selectorOf(name)}\nKeyFile /etc/dkimkeys/${selectorOf(name)}.private\n`)],
    },
    { ...base, task: 'restart postfix', role: 'postfix_relay', op: 'service', status: 'changed', handler: true, changes: [run('systemctl restart postfix')] },
  ];
  if (i === 13) tasks.push({ ...base, task: 'postfix check', role: 'postfix_relay', op: 'command', status: 'failed', changes: [], error: `postfix/postfix-script: fatal: ${name}: bad myhostname` });
  return tasks;
}

function statsOf(tasks: TaskResult[], ms: number): HostStats {
  const n = (s: string) => tasks.filter((t) => t.status === s).length;
  return { ok: n('ok'), changed: n('changed'), failed: n('failed'), skipped: n('skipped'), unreachable: false, execs: 1, ms };
}

/** The run's events; `order` gives the hosts' finishing order (default: inventory order). */
export function relayRun(hosts: number, order?: (names: string[]) => string[]): RunEvent[] {
  const names = Array.from({ length: hosts }, (_, k) => hostName(k + 1));
  const out: RunEvent[] = [{ type: 'run-start', hosts: names, check: true, plays: ['relays'] }];
  const summary = { check: true, hosts: {} as Record<string, HostStats>, ms: 9000 };
  for (const name of order ? order(names) : names) {
    const i = Number(name.slice(-4));
    out.push({ type: 'host-start', host: name });
    if (i === 7) {
      out.push({ type: 'host-unreachable', host: name, error: 'connect ECONNREFUSED 127.0.10.7:22' });
      summary.hosts[name] = { ...statsOf([], 10), unreachable: true };
    } else {
      out.push({ type: 'host-facts', host: name, facts: { ...FACTS, hostname: name, fqdn: fqdn(name) }, ms: 1 });
      const tasks = tasksOf(i, name);
      for (const t of tasks) out.push({ type: 'task-result', result: t });
      summary.hosts[name] = statsOf(tasks, 100 + (i % 50));
    }
    out.push({ type: 'host-done', host: name, stats: summary.hosts[name]! });
  }
  // The engine's summary lists hosts in inventory order.
  summary.hosts = Object.fromEntries(names.map((n) => [n, summary.hosts[n]!]));
  out.push({ type: 'run-end', summary });
  return out;
}

/** The selector is a host variable that differs per host: the `{vars.dkim_selector}` placeholder. */
export const selectorValues = (host: string) => ({ '{vars.dkim_selector}': selectorOf(host) });
