// What a dry run (--check) knows that a real run reads from the host: each planned change's
// predicted state (kept in the play's StateView, for the tasks after it to plan against), and the
// last changes whose effects cannot be predicted. Only a dry run has this object: a real run
// re-reads state after each change instead (refresh.ts).
import { Unresolved, type PlanResult } from '../ops/operation.js';
import type { StateView } from '../state/query.js';

export class DryRun {
  /** The last change whose effects are not fully predicted (a command, a package install). */
  private lastUnpredictable: string | undefined;
  /** The last change that may create files nobody declared (a package install). */
  private lastCreator: string | undefined;
  /** A change that restarts the host (reboot): every task after it depends on it. */
  restartedBy: string | undefined;
  /**
   * The last task reported as a change on this host, in this play or an earlier one (the host's
   * record, shared by its plays): a read-only probe run for real in a dry run (check_mode: false)
   * after it would read the host as it is, not as the real run would find it.
   */
  get lastChange(): string | undefined {
    return this.changes.last;
  }

  constructor(
    private readonly view: StateView,
    /** What the host's earlier plays would change (a new play reads the host afresh). */
    private readonly changes: { last?: string } = {},
    /**
     * A delegate's dry run: the delegating host's, whose changes it cannot see either (a run_once
     * task another host ran there, adopted by this host).
     */
    private readonly delegating?: DryRun,
  ) {}

  /**
   * A task could not be planned: when the state it needs would only exist after an earlier change
   * the dry run cannot simulate, that change (the task is reported as depending on it).
   */
  dependsOn(err: unknown): string | undefined {
    return err instanceof Unresolved ? (this.lastUnpredictable ?? this.delegating?.dependsOn(err)) : undefined;
  }

  /** A task is reported as a change (or as one depending on an earlier change). */
  noteChange(task: string): void {
    this.changes.last = task;
  }

  /** A task with nothing to do: later tasks see the state it leaves (its predictions). */
  unchanged(planned: PlanResult): void {
    this.predict(planned);
  }

  /**
   * A task would make `planned`'s changes: later tasks are planned against what it would do. Returns
   * the earlier change that may already create what this one creates, if any.
   */
  changing(task: string, planned: PlanResult): string | undefined {
    this.predict(planned);
    const effects = planned.effects ?? {};
    const dependsOn = effects.creates?.length ? this.lastCreator : undefined;
    if (effects.unpredictable !== undefined) this.lastUnpredictable = task;
    if (effects.unpredictable === 'may-create-anything' || effects.unpredictable === 'restarts-the-host') this.lastCreator = task;
    if (effects.unpredictable === 'restarts-the-host') this.restartedBy = task;
    return dependsOn;
  }

  private predict(planned: PlanResult): void {
    for (const pr of planned.effects?.predicts ?? []) this.view.predict(pr.resource, pr.value);
  }
}
