// The one place a task's result (TaskResult) is built, and counted in the host's stats as it is
// reported. A result names its task from the start; how the task ended is added when it ends, with
// the time since it started.
import type { Play, TaskDef } from '../load/model.js';
import type { SourcePos } from '../core/errors.js';
import type { Change } from '../ops/operation.js';
import type { TaskResult } from './events.js';
import type { HostContext } from './host-context.js';

type Ending = Partial<TaskResult> & Pick<TaskResult, 'status'>;

export class ResultBuilder {
  private readonly t0 = Date.now();

  constructor(
    private readonly ctx: Pick<HostContext, 'host' | 'opts'>,
    private readonly play: Play,
    private readonly def: TaskDef,
    private readonly handler: boolean,
    /** The name in reports: the task's, with its loop item's label. */
    private readonly name = def.name,
  ) {}

  /** Ended without running (skipped; or an error thrown out of its step): no time is reported. */
  untimed(ending: Ending): TaskResult {
    const { ctx, def } = this;
    return {
      host: ctx.host,
      play: this.play.name,
      task: this.name,
      role: def.role,
      op: def.op,
      handler: this.handler,
      check: ctx.opts.check,
      changes: [],
      pos: def.pos,
      noLog: def.noLog || undefined,
      ms: 0,
      ...ending,
    };
  }

  /** Ended now. */
  timed(ending: Ending): TaskResult {
    return this.untimed({ ...ending, ms: Date.now() - this.t0 });
  }

  skipped(reason: string | undefined): TaskResult {
    return this.untimed({ status: 'skipped', reason });
  }

  ok(reason: string | undefined): TaskResult {
    return this.timed({ status: 'ok', reason });
  }

  /** `changes`: what it was running when it failed. */
  failed(error: string, changes?: Change[]): TaskResult {
    return this.timed(changes ? { status: 'failed', changes, error } : { status: 'failed', error });
  }
}

/** A follow-up's result (follow-ups.ts): reported like a handler, named by the first task that asked for it. */
export function followUpResult(
  ctx: Pick<HostContext, 'host' | 'opts'>,
  play: string,
  r: { task: string; op: string; pos?: SourcePos; change: Change; after: string; dependsOn?: string },
): TaskResult {
  return {
    host: ctx.host,
    play,
    task: r.task,
    op: r.op,
    handler: true,
    check: ctx.opts.check,
    status: 'changed',
    changes: [r.change],
    reason: `after: ${r.after}`,
    dependsOn: r.dependsOn,
    pos: r.pos,
    ms: 0,
  };
}

/** Counts the result in the host's stats (an ignored failure counts as ok) and reports it. */
export function reportResult(ctx: Pick<HostContext, 'stats' | 'emit'>, r: TaskResult): void {
  if (r.status === 'failed' && r.ignored) ctx.stats.ok++;
  else ctx.stats[r.status]++;
  ctx.emit({ type: 'task-result', result: r });
}
