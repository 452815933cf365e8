// After a task whose operation waits for the host (awaitHost: reboot), the engine's side of it:
// scripts on the connection of the moment, a new connection when asked, and the run lock taken again
// — /var/run is cleared at boot, so a run that rebooted a host would otherwise hold no lock there.
import { OperationError } from '../core/errors.js';
import { parseRaw } from '../facts/gather.js';
import type { HostHandle } from '../ops/operation.js';
import type { HostContext } from './host-context.js';
import { acquireScript, lockProblem, readLock } from './host-lock.js';

export function hostHandle(ctx: HostContext, become: boolean): HostHandle {
  const conn = ctx.conn;
  return {
    async script(text, opts = {}) {
      const r = await conn.script(text, { become: opts.become ?? become, timeoutMs: opts.timeoutMs, label: text.split('\n')[0] });
      return { exitCode: r.exitCode, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString() };
    },
    async reconnect() {
      if (!conn.reconnect) throw new Error(`the connection to ${ctx.host} cannot be opened again`);
      await conn.reconnect();
    },
    interrupted: () => Boolean(ctx.opts.interrupt?.signal),
    async relock() {
      const lock = ctx.lock;
      if (!lock) return;
      const out = await conn.script(acquireScript(lock.owner, false, lock.parent), { become: lock.become, label: 'take run lock again (after reboot)' });
      const state = readLock(parseRaw(out.stdout.toString()));
      // Still ours (a /var/run that survived the reboot) is as good as taken again.
      if (state.kind === 'held' && state.owner?.token === lock.owner.token) return;
      const problem = lockProblem(state, lock.parent);
      if (problem) throw new OperationError(`after the reboot: ${problem}`, { host: ctx.host });
    },
  };
}
