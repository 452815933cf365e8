// service: running state and boot-time enablement through the host's init backend (systemd, SysV,
// FreeBSD rc). restarted/reloaded always act: they are what handlers are for — except as a handler
// whose service was (re)started after the change that notified it (src/engine/superseded.ts).
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { requireSupport, type InitBackend, type ServiceAction, type ServiceState } from '../backends/backends.js';
import { initBackends } from '../backends/select.js';
import { groupedByName, type StateQuery, type StateView } from '../state/query.js';
import type { ResourceId } from '../state/resource.js';
import type { Change, FollowUp, Operation } from './operation.js';
import { Unresolved } from './operation.js';
import { pickBackend } from './package.js';
import { fitsBackend, SERVICE_GRAMMARS, serviceName } from './name-schema.js';

const schema = lazySchema(() =>
  z
    .object({
      name: serviceName.describe('Service name (systemd unit, init script, rc.d script)'),
      state: z
        .enum(['started', 'stopped', 'restarted', 'reloaded'])
        .optional()
        .describe('started/stopped only when needed; restarted/reloaded always act (handlers)'),
      enabled: z.boolean().optional().describe('Start at boot'),
      use: z.string().optional().describe('Force an init backend instead of detecting it from facts'),
      ignore_missing: z
        .boolean()
        .default(false)
        .describe('A service that does not exist already is stopped and disabled (for retiring optional software such as sendmail)'),
    })
    .strict()
    .describe(
      "Registers Ansible's `name`, `state` (`started` or `stopped`: as the task leaves the service) and `enabled`: read with the play's state when nothing changed, from the arguments after a change (no read again). Dry run: the state the change would leave.",
    )
    .superRefine((a, ctx) => fitsBackend(initBackends, 'service', SERVICE_GRAMMARS, a, ctx))
    .refine((a) => a.state !== undefined || a.enabled !== undefined, { message: 'service needs `state` or `enabled`' }),
);

type Args = z.infer<ReturnType<typeof schema>>;

interface Resolved {
  args: Args;
  backend: InitBackend;
  query: StateQuery<Record<string, ServiceState>>;
}

/** What the backend needs run once after the play when these actions ran (systemd: daemon-reload). */
function followUpsOf(backend: InitBackend, actions: ServiceAction[]): FollowUp[] {
  const f = backend.followUp;
  return f && actions.some((a) => f.actions.includes(a)) ? [{ command: f.command, description: f.description }] : [];
}

/** The service as the engine knows it now: as an earlier task left it (predicted), else as read. */
function currentState(name: string, query: StateQuery<Record<string, ServiceState>>, state: StateView): ServiceState | undefined {
  return state.prediction<ServiceState>(serviceResource(name)) ?? state.get(query)[name];
}

export const serviceResource = (name: string): ResourceId => ({ kind: 'service', name });

export const service: Operation<Args, Resolved> = {
  name: 'service',
  summary: 'Service started/stopped/restarted/reloaded and enabled/disabled at boot (systemd, SysV, FreeBSD rc)',
  get schema() {
    return schema();
  },
  shorthand: 'name',
  resolve(args, ctx) {
    const backend = pickBackend(args.use, initBackends, ctx.backends.init, 'service');
    // One query (for systemd: one systemctl process) for the services of every task of the play.
    const query = groupedByName(`service:${backend.name}`, [args.name], (ns) => ({ ...backend.query(ns), paths: backend.statePaths }));
    return { args, backend, query };
  },
  queries: (r) => [r.query],
  plan({ args: a, backend, query }, state) {
    const cur = currentState(a.name, query, state);
    if (!cur?.exists) {
      const onlyRetiring = (a.state === undefined || a.state === 'stopped') && a.enabled !== true;
      if (a.ignore_missing && onlyRetiring) return { changes: [], reason: `${a.name} is not installed (${backend.name})` };
      throw new Unresolved(`service ${a.name} is not known to ${backend.name}`);
    }
    const changes: Change[] = [];
    const after: ServiceState = { ...cur };
    let starts = false;
    const act = (action: Parameters<InitBackend['command']>[0], description: string) => {
      requireSupport(backend, 'service', action);
      const [followUp] = followUpsOf(backend, [action]);
      changes.push({ kind: 'run', description, command: backend.command(action, a.name), ...(followUp && { followUp }) });
      if (action === 'start' || action === 'restart') starts = true;
    };
    switch (a.state) {
      case 'started':
        if (!cur.running) act('start', `start ${a.name}`);
        after.running = true;
        break;
      case 'stopped':
        if (cur.running) act('stop', `stop ${a.name}`);
        after.running = false;
        break;
      case 'restarted':
        act(cur.running ? 'restart' : 'start', `${cur.running ? 'restart' : 'start'} ${a.name}`);
        after.running = true;
        break;
      case 'reloaded':
        act(cur.running ? 'reload' : 'start', `${cur.running ? 'reload' : 'start'} ${a.name}`);
        after.running = true;
        break;
    }
    // Enablement after the running state: FreeBSD's rc.d/sendmail only stops the daemons whose knobs
    // are still on, so disabling first would leave its submit daemon running.
    if (a.enabled === true && !cur.enabled) act('enable', `enable ${a.name} at boot`);
    if (a.enabled === false && cur.enabled) act('disable', `disable ${a.name} at boot`);
    if (a.enabled !== undefined) after.enabled = a.enabled;
    const predicts = [{ resource: serviceResource(a.name), value: after }];
    if (changes.length === 0) {
      const what = [cur.running ? 'running' : 'stopped', cur.enabled ? 'enabled' : 'disabled'].join(', ');
      return { changes, reason: `${a.name} is ${what} (${backend.name})`, effects: { predicts } };
    }
    const resource = [serviceResource(a.name)];
    return { changes, effects: { predicts, starts: starts ? resource : undefined, stops: a.state === 'stopped' ? resource : undefined } };
  },
  // Ansible's service result: a later task (a role's closing check) can read whether the service runs
  // as this task leaves it — read with the play's state when it changed nothing, so a no-change run
  // learns it without another exec. A service that does not exist (ignore_missing) runs nowhere: stopped.
  registerFields({ args: a, query }, state) {
    const cur = currentState(a.name, query, state);
    if (!cur?.exists) return { name: a.name, exists: false, state: 'stopped', enabled: false };
    return { name: a.name, exists: true, state: cur.running ? 'started' : 'stopped', enabled: cur.enabled };
  },
  // A start, restart or reload that exited 0 leaves the service running, a stop leaves it stopped: the
  // state read before the change and the arguments tell it without reading the host again.
  registerAfterChange({ args: a, query }, state) {
    const cur = currentState(a.name, query, state);
    const running = a.state === undefined ? Boolean(cur?.running) : a.state !== 'stopped';
    return { name: a.name, exists: true, state: running ? 'started' : 'stopped', enabled: a.enabled ?? Boolean(cur?.enabled) };
  },
  followUps: ({ args: a, backend }) => followUpsOf(backend, a.enabled === undefined ? [] : [a.enabled ? 'enable' : 'disable']),
  // Only a handler that does nothing but restart/reload: one that also enables must still run.
  supersededBy: ({ args: a }) => ((a.state === 'restarted' || a.state === 'reloaded') && a.enabled === undefined ? serviceResource(a.name) : undefined),
};
