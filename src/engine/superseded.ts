// A restart/reload handler is redundant when the service was started or restarted by a later task
// than every change that notified it: the fresh start already loaded that configuration. Skipping it
// spares a second restart (OpenDKIM takes 2-5 s to stop) and an interruption of service. The same
// bookkeeping runs in check mode, so the dry run shows the skip the real run will make.
import type { Effects } from '../ops/operation.js';
import { resourceKey, type ResourceId } from '../state/resource.js';

export interface Supersession {
  /** The task whose (re)start made the handler redundant. */
  by: string;
  resource: ResourceId;
}

export class FreshConfig {
  private step = 0;
  private readonly notified = new Map<string, number>();
  /** By resourceKey: the last task that started the service, and when. */
  private readonly loaded = new Map<string, { step: number; task: string }>();

  /** A task changed something: advance, and remember when each handler name was notified. */
  changed(task: string, notify: readonly string[], effects: Pick<Effects, 'starts' | 'stops'> = {}): void {
    this.step++;
    for (const n of notify) this.notified.set(n, this.step);
    for (const r of effects.starts ?? []) this.loaded.set(resourceKey(r), { step: this.step, task });
    // Stopped since: the handler's restart is what brings it back, as without this bookkeeping.
    for (const r of effects.stops ?? []) this.loaded.delete(resourceKey(r));
  }

  /** The notified handlers ran (meta: flush_handlers, the flush after pre_tasks and after tasks): none is notified now. */
  flushed(): void {
    this.notified.clear();
  }

  isNotified(name: string): boolean {
    return this.notified.has(name);
  }

  /** Whether a handler known by `names`, acting on `resource`, is covered by a later fresh start. */
  supersession(names: readonly string[], resource: ResourceId | undefined): Supersession | undefined {
    if (resource === undefined) return undefined;
    const fresh = this.loaded.get(resourceKey(resource));
    if (!fresh) return undefined;
    const lastNotified = Math.max(...names.map((n) => this.notified.get(n) ?? -1));
    return fresh.step > lastNotified ? { by: fresh.task, resource } : undefined;
  }
}
