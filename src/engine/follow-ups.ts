// Commands that changes ask to have run once after the play: systemd's daemon-reload after enable or
// disable with --no-reload. They are collected from the changes made (in a dry run: the changes that
// would be made), deduplicated, and run in one exec after the handlers. Each is reported like a
// handler, so a dry run shows it too.
import type { SourcePos } from '../core/errors.js';
import type { Change, FollowUp } from '../ops/operation.js';
import type { TaskResult } from './events.js';
import { execScript, parseExec } from './executor.js';
import type { HostContext } from './host-context.js';
import { followUpResult } from './task-result.js';

interface Requester {
  op: string;
  pos?: SourcePos;
  become: boolean;
}

/** Its op and pos are the first requesting task's: they name the follow-up in reports. */
interface Requested extends Requester {
  followUp: FollowUp;
  /** The changes that asked for it, for the report. */
  after: string[];
  /** Asked for only by tasks a dry run could not plan yet: the first of them (reported as depended on). */
  onlyPossibleAfter?: string;
}

export class FollowUps {
  private readonly byCommand = new Map<string, Requested>();

  /** Records what these changes of one task need, when they were made (or would be, in check mode). */
  add(changes: readonly Change[], task: Requester): void {
    for (const c of changes) if (c.kind === 'run' && c.followUp) this.request(c.followUp, c.description, task, true);
  }

  /**
   * In a dry run, a task that cannot be planned yet (it depends on an earlier change) may still make
   * changes that need these: they are reported as would-run too, rather than surprise the real run.
   */
  addPossible(followUps: readonly FollowUp[], task: Requester & { name: string }): void {
    for (const f of followUps) this.request(f, task.name, task, false);
  }

  private request(followUp: FollowUp, after: string, task: Requester, certain: boolean): void {
    const r = this.byCommand.get(followUp.command);
    const possibly = certain ? undefined : after;
    if (r) {
      r.after.push(after);
      r.become ||= task.become;
      if (certain) r.onlyPossibleAfter = undefined;
    } else this.byCommand.set(followUp.command, { followUp, after: [after], op: task.op, pos: task.pos, become: task.become, onlyPossibleAfter: possibly });
  }

  /** The follow-ups requested and not run yet (their commands), for an interrupted host's report. */
  pending(): string[] {
    return [...this.byCommand.keys()];
  }

  /** Runs (or, in check mode, reports) every follow-up requested, in one exec. */
  async run(ctx: HostContext, play: string): Promise<TaskResult[]> {
    const requested = [...this.byCommand.values()];
    this.byCommand.clear();
    if (requested.length === 0) return [];
    const t0 = Date.now();
    const change = (r: Requested): Change => ({ kind: 'run', description: `${r.followUp.description} (after: ${r.after.join(', ')})`, command: r.followUp.command });
    const results = requested.map((r) =>
      followUpResult(ctx, play, { task: r.followUp.description, op: r.op, pos: r.pos, change: change(r), after: r.after.join(', '), dependsOn: r.onlyPossibleAfter }),
    );
    if (ctx.opts.check) return results;
    // One exec for all of them; the first that fails stops the rest, and is reported failed with them.
    const plan = execScript(requested.map(change), []);
    const label = requested.map((r) => r.followUp.command).join('; ');
    let failure: string | undefined;
    try {
      const res = await ctx.conn.script(plan.script, { become: requested.some((r) => r.become), label });
      const exit = parseExec(res.stdout, plan).change.exitCode;
      if (exit !== 0) failure = `exited ${exit}: ${res.stderr.trim().split('\n').slice(-5).join('\n')}`;
    } catch (err) {
      failure = (err as Error).message;
    }
    const ms = Date.now() - t0;
    return results.map((r) => (failure ? { ...r, status: 'failed', error: failure, ms } : { ...r, ms }));
  }
}
