// The tasks whose changes a batch already made (batch-apply.ts), kept for the walk to conclude one by
// one (task-step.ts): each task's plan and how its own changes went.
import type { ExecOutcome, PlanResult } from '../ops/operation.js';
import type { PreparedTask } from './prepare.js';

/** A task of an executed window: its plan and how its changes went (none: nothing to do). */
export interface Batched {
  planned: PlanResult;
  outcome?: ExecOutcome;
  /** The exec as a whole failed (connection lost): the message, for this task. */
  failure?: string;
}

/** The window's tasks not yet walked; each is taken once. */
export class AppliedBatch {
  private readonly tasks = new Map<PreparedTask, Batched>();

  set(p: PreparedTask, b: Batched): void {
    this.tasks.set(p, b);
  }

  has(p: PreparedTask): boolean {
    return this.tasks.has(p);
  }

  take(p: PreparedTask): Batched | undefined {
    const b = this.tasks.get(p);
    this.tasks.delete(p);
    return b;
  }
}
