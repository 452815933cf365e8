// What the operator asked for on the command line, as the engine sees it.
import type { RoleRef, TaskDef, Vars } from '../load/model.js';
import type { SecretRegistry } from '../core/secret.js';
import type { Interrupt } from './interrupt.js';
import type { Shard } from './shard.js';

export interface RunOptions {
  /** Dry run: plan every task, change nothing. */
  check: boolean;
  /** Hosts run in parallel at most. */
  forks: number;
  /** Run only tasks with one of these tags (plus those tagged `always`). Empty: all. */
  tags: string[];
  skipTags: string[];
  /** Extra vars (-e), the highest precedence. */
  extraVars: Vars;
  /** Restricts the plan's host patterns further (--limit). */
  limit?: string;
  /** Per-command timeout, ms. */
  commandTimeoutMs?: number;
  /** Run notified handlers on a host even after a task failed there (as the play's force_handlers). */
  forceHandlers?: boolean;
  /** Remove a run lock left on a host by a run that died. */
  breakLock?: boolean;
  /** Ctrl-C / SIGTERM, fed by the command line: stops new work, then aborts (src/engine/interrupt.ts). */
  interrupt?: Interrupt;
  /** The run's secret values: every event is redacted with them, secret-bearing file contents are not diffed. */
  secrets: SecretRegistry;
  /** --shard i/n: run only this shard's hosts (src/engine/shard.ts). */
  shard?: Shard;
  /** -b: become where neither the task, its play nor the host's `become` variable says (Ansible's precedence). */
  become?: boolean;
  /** --start-at-task: the tasks before the named one (src/engine/start-at.ts), reported skipped. */
  passOver?: ReadonlySet<TaskDef>;
  /** --step: asked (once per task, for every host) whether to run it; false: reported skipped. */
  step?: (task: TaskDef, ref?: RoleRef) => boolean;
  /** Keep each executed task's exit status and output in its result (`fleetplan run` shows them); not for no_log tasks. */
  keepOutput?: boolean;
  /** The run lock's directory on each host (default /var/run/fleetplan); for tests, not a command-line option. */
  lockDir?: string;
  /** Where each host's facts are kept between runs (facts-cache.ts), so the first play's state read rides with the facts; none: no guess. */
  factsCacheDir?: string;
  /** false: every changed task in its own exec (batch-apply.ts), as before batching; for tests and A/B, not a command-line option. */
  batchChanges?: boolean;
}
