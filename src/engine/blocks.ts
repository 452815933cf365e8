// Walking a play's prepared task tree on one host (prepare-tree.ts): tasks in order, each settled
// (settle.ts) and reported; a failure (not ignored) ends the list it is in — unless a block around it
// has a rescue: the rescue then runs, prepared now with what failed bound (ansible_failed_task,
// ansible_failed_result), and the host is not failed if it succeeds (the failed task is reported
// "rescued"); a block's always runs whatever happened before it. Handler flush points run the notified
// handlers. A dry run walks the same way: a rescue runs (planned) only when a task of its block fails
// in the dry run itself; otherwise its tasks are reported skipped, "runs only if a task in the block fails".
import type { TaskDef, Vars } from '../load/model.js';
import { FleetplanError } from '../core/errors.js';
import { eachTask, reportedAlone } from '../load/task-tree.js';
import type { StateQuery } from '../state/query.js';
import type { TaskResult } from './events.js';
import { signalName } from './interrupt.js';
import { isNotified, queriesOf, type Lookahead, type PlayContext } from './play-context.js';
import { FAILURE_PLACEHOLDER, prepareNodes, type PreparedNode } from './prepare-tree.js';
import type { PreparedTask } from './prepare.js';
import { settle } from './settle.js';
import { applyWindow } from './batch-apply.js';
import { nextRun } from './batch-window.js';
import { coordinated, itemsAt, stoppedByFatal } from './coordinate.js';
import { ResultBuilder, reportResult } from './task-result.js';

/** How a list of tasks ended; a failure names the task, for a rescue. */
export type Walked = { status: 'done' | 'interrupted' } | { status: 'failed'; task?: PreparedTask; result?: TaskResult };

const DONE: Walked = { status: 'done' };

/** Every prepared task of a tree, in the order the walk meets them (rescues and always included). */
export function tasksOf(nodes: readonly PreparedNode[]): PreparedTask[] {
  return nodes.flatMap((n) => (n.kind === 'task' ? [n.task] : n.kind === 'block' ? [...tasksOf(n.block), ...tasksOf(n.rescue), ...tasksOf(n.always)] : []));
}

export class TreeWalk {
  private readonly order: PreparedTask[];
  private readonly index = new Map<PreparedTask, number>();
  /** Where the walk is in `order`, for what comes after a task prepared during the walk (a rescue's). */
  private at = 0;

  constructor(
    private readonly pc: PlayContext,
    nodes: readonly PreparedNode[],
    private readonly handlers: readonly PreparedTask[],
  ) {
    this.order = tasksOf(nodes);
    this.order.forEach((p, i) => this.index.set(p, i));
  }

  /** The tasks of `nodes` in order; `catching`: a block around them has a rescue. */
  async run(nodes: readonly PreparedNode[], catching = false): Promise<Walked> {
    for (const [j, node] of nodes.entries()) {
      if (node.kind === 'task') await this.window(nodes, j);
      const walked = await this.node(node, catching);
      if (walked.status !== 'done') return walked;
    }
    return DONE;
  }

  private async node(node: PreparedNode, catching: boolean): Promise<Walked> {
    switch (node.kind) {
      case 'task':
        return this.task(node.task, catching);
      case 'skipped':
        reportResult(this.pc.ctx, new ResultBuilder(this.pc.ctx, this.pc.play, node.def, false).skipped(node.reason));
        return DONE;
      case 'flush':
        return this.flush();
      case 'block':
        return this.block(node, catching);
    }
  }

  private async task(p: PreparedTask, catching: boolean): Promise<Walked> {
    const pc = this.pc;
    const i = this.index.get(p) ?? this.at;
    this.at = i;
    // A task whose changes a batch already made is reported whatever came since: it happened.
    if (!pc.applied?.has(p)) {
      if (interrupted(pc, () => ({ tasks: this.order.slice(i), handlers: this.handlers.filter((h) => isNotified(pc, h)) }))) return { status: 'interrupted' };
      if (stoppedByFatal(pc)) return { status: 'failed' };
    }
    const known = this.index.has(p);
    // run_once, throttle and any_errors_fatal meet the other hosts of the batch here (coordinate.ts).
    const { items, k } = known ? itemsAt(this.order, i) : { items: [p], k: 0 };
    const r = await coordinated(pc, items, k, () => settle(pc, p, false, this.ahead(i, known)));
    const failed = r.status === 'failed' && !r.ignored;
    // Caught by a rescue: counted as ok (the rescue's own result decides the host).
    if (failed && catching) r.ignored = r.rescued = true;
    reportResult(pc.ctx, r);
    return failed ? { status: 'failed', task: p, result: r } : DONE;
  }

  /**
   * Before the task at `nodes[j]`: the consecutive tasks from it may have their changes made in one
   * exec (batch-apply.ts); a real run only, and never for a task prepared during the walk.
   */
  private async window(nodes: readonly PreparedNode[], j: number): Promise<void> {
    const pc = this.pc;
    if (pc.dryRun || pc.ctx.opts.batchChanges === false || pc.ctx.opts.interrupt?.signal) return;
    const candidates: PreparedTask[] = [];
    for (let n = j; n < nodes.length && nodes[n]!.kind === 'task'; n++) candidates.push((nodes[n] as Extract<PreparedNode, { kind: 'task' }>).task);
    const i = this.index.get(candidates[0]!);
    if (i === undefined || candidates.some((p) => !this.index.has(p))) return;
    await applyWindow(pc, candidates, {
      later: () => this.ahead(i, true).later(),
      nextAfter: (last) => this.ahead(this.index.get(last)!, true).next(),
    });
  }

  /** What is after the i-th task; a task prepared during the walk (`known` false) may be followed by any. */
  private ahead(i: number, known: boolean): Lookahead {
    const rest = known ? this.order.slice(i + 1) : this.order;
    return {
      later: () => [...queriesOf(rest), ...queriesOf(this.handlers)],
      // The handlers to run are known only once every task ran: the first of them reads what is stale.
      // In a real run, with those after it that may share its batch of changes (batch-window.ts).
      next: () => (this.pc.dryRun || this.pc.ctx.opts.batchChanges === false ? (rest.find((t) => t.active)?.queries ?? []) : nextRun(rest, this.pc.play).flatMap((t) => t.queries)),
    };
  }

  private async block(node: Extract<PreparedNode, { kind: 'block' }>, catching: boolean): Promise<Walked> {
    const s = node.def.structure;
    const rescue = s?.kind === 'block' ? s.rescue : [];
    let walked = await this.run(node.block, catching || rescue.length > 0);
    if (walked.status === 'interrupted') return walked;
    if (walked.status === 'failed' && rescue.length > 0) {
      walked = await this.rescue(node, rescue, walked, catching);
      if (walked.status === 'interrupted') return walked;
    } else if (rescue.length > 0) {
      this.skip(rescue, 'runs only if a task in the block fails');
    }
    const always = await this.run(node.always, catching);
    return always.status === 'done' ? walked : always;
  }

  /** The rescue, prepared with what failed bound; its state not read yet is read first. */
  private async rescue(node: Extract<PreparedNode, { kind: 'block' }>, defs: TaskDef[], failed: Walked, catching: boolean): Promise<Walked> {
    const pc = this.pc;
    let nodes: PreparedNode[];
    try {
      nodes = prepareNodes(pc.ctx, pc.play, defs, { ...node.frame, outer: { ...node.frame.outer, ...failureVars(failed) } });
      await pc.state.readMissing(queriesOf(tasksOf(nodes)));
    } catch (err) {
      const message = err instanceof FleetplanError ? err.describe() : (err as Error).message;
      pc.ctx.emit({ type: 'host-failed', host: pc.ctx.host, error: `rescue of '${node.def.name}': ${message}` });
      pc.ctx.stats.failed++;
      return { status: 'failed' };
    }
    return this.run(nodes, catching);
  }

  /** Tasks that do not run here, reported skipped (as their structure shows them). */
  private skip(defs: TaskDef[], reason: string): void {
    eachTask(defs, (def, at) => {
      if (reportedAlone(def, at)) reportResult(this.pc.ctx, new ResultBuilder(this.pc.ctx, this.pc.play, def, false).skipped(reason));
    });
  }

  /** The notified handlers, now; none is notified after (a later notification runs them again). */
  async flush(after: () => StateQuery[] = () => queriesOf(this.order.slice(this.at + 1))): Promise<Walked> {
    const pc = this.pc;
    const handlers = this.handlers;
    for (let i = 0; i < handlers.length; i++) {
      const p = handlers[i]!;
      if (!isNotified(pc, p)) continue;
      if (interrupted(pc, () => ({ tasks: this.order.slice(this.at + 1), handlers: handlers.slice(i).filter((h) => isNotified(pc, h)) }))) return { status: 'interrupted' };
      const ahead: Lookahead = {
        // Every later handler, notified yet or not (this one may notify it), and the tasks still to run.
        later: () => [...queriesOf(handlers.slice(i + 1)), ...after()],
        next: () => handlers.slice(i + 1).find((h) => h.active && isNotified(pc, h))?.queries ?? [],
      };
      const r = await settle(pc, p, true, ahead);
      reportResult(pc.ctx, r);
      if (r.status === 'failed' && !p.def.ignoreErrors) {
        pc.notifications.flushed();
        return { status: 'failed' };
      }
    }
    pc.notifications.flushed();
    return DONE;
  }
}

/** ansible_failed_task and ansible_failed_result: the failed task and its result, as far as it is known. */
function failureVars(failed: Walked): Vars {
  if (failed.status !== 'failed' || !failed.task || !failed.result) return FAILURE_PLACEHOLDER;
  const { task, result } = failed;
  const r = result as TaskResult & Partial<{ rc: number; stdout: string; stderr: string }>;
  const msg = r.error ?? '';
  const rc = r.rc ?? Number(/^exit(?:ed)? (\d+)/.exec(msg)?.[1] ?? NaN);
  const out: Record<string, unknown> = { failed: true, changed: false, msg };
  if (!Number.isNaN(rc)) out.rc = rc;
  if (r.stdout !== undefined) out.stdout = r.stdout;
  if (r.stderr !== undefined) out.stderr = r.stderr;
  return {
    ansible_failed_task: { name: task.def.name, action: task.def.op, ...(task.def.role ? { role: task.def.role } : {}) },
    ansible_failed_result: out,
  };
}

/** Whether a signal stopped the host here; the signal is checked first: what is `left` is worked out only when one came. */
export function interrupted(pc: PlayContext, left: () => { tasks: PreparedTask[]; handlers: PreparedTask[] }): boolean {
  return Boolean(pc.ctx.opts.interrupt?.signal) && stopIfInterrupted(pc, { ...left(), followUps: pc.followUps.pending() });
}

/**
 * After Ctrl-C or SIGTERM: the host starts nothing more. When something was left to do it is marked
 * interrupted (and failed), naming what did not run — notified handlers and follow-ups included,
 * since a later run will not know they are owed. Returns whether the host stopped here.
 */
function stopIfInterrupted({ ctx, play }: PlayContext, left: { tasks: PreparedTask[]; handlers: PreparedTask[]; followUps: string[] }): boolean {
  const signal = ctx.opts.interrupt?.signal;
  if (!signal) return false;
  const tasks = left.tasks.filter((t) => t.active);
  if (tasks.length + left.handlers.length + left.followUps.length === 0) return false;
  const next = tasks[0] ?? left.handlers[0];
  const parts = [
    tasks.length ? `${tasks.length} task(s) not run` : '',
    left.handlers.length ? `notified handler(s) not run: ${left.handlers.map((h) => h.displayName).join(', ')}` : '',
    left.followUps.length ? `follow-up(s) not run: ${left.followUps.join(', ')}` : '',
  ].filter(Boolean);
  ctx.stats.interrupted = true;
  ctx.stats.failed++;
  ctx.emit({
    type: 'host-failed',
    host: ctx.host,
    error: `interrupted by ${signalName(signal)}${next ? ` before '${next.displayName}'` : ''} (play '${play.name}'): ${parts.join('; ')}`,
  });
  return true;
}
