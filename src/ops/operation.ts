// The contract of an operation: read state → compare with the wanted state → changes.
// Check mode and apply share this code path; check mode simply stops before the executor runs changes.
import type { z } from 'zod';
import type { Change, FollowUp } from '../core/change.js';
import type { Facts } from '../facts/facts.js';
import type { Backends } from '../backends/backends.js';
import type { SecretRegistry } from '../core/secret.js';
import type { Vars } from '../core/vars.js';
import type { StateQuery, StateView } from '../state/query.js';
import type { ResourceId } from '../state/resource.js';

// What a change is (run a command, write a file) lives on the ground floor, where backends, the
// engine and reports read it without depending on operations; here it is part of the contract.
export type { Change, FileDiff, FollowUp, Place, PlannedFile, StreamedSource, WriteSpec } from '../core/change.js';

/** What a later task would see if this change were made (check mode evaluates later tasks against it). */
export interface Prediction {
  /** The resource whose state it is: a query about it (StateQuery.resource) answers this value. */
  resource: ResourceId;
  value: unknown;
}

/**
 * What a planned task does to the host, beyond its commands: the engine reads nothing else to simulate
 * it in a dry run, to decide what to read again after it in a real run, and to skip handlers (what it
 * reads is its `queries`). A wrong entry makes a dry run wrong, so each says what the engine does with it.
 */
export interface Effects {
  /**
   * The state this task leaves behind, per resource (also when it has nothing to do). Dry run: tasks
   * after it are planned against these values instead of what was read. Real run: a change whose every
   * prediction is a file, and with nothing `unpredictable`, makes only the queries on those paths stale.
   */
  predicts?: Prediction[];
  /**
   * What the changes do beyond `predicts`, which a dry run cannot simulate. Dry run: a later task that
   * cannot be planned against the current state (Unresolved) is reported as depending on this one.
   * Real run: everything is read again after it. 'may-create-anything': in addition, it may create
   * files, directories or accounts nobody declared (a package install, a command without `creates`),
   * so a later task that `creates` something is reported as depending on this one, not promised.
   * 'restarts-the-host' (reboot): nothing read before it holds after it (/run, processes, the boot), so
   * a dry run reports EVERY later task as depending on it, planned or not.
   */
  unpredictable?: 'other-changes' | 'may-create-anything' | 'restarts-the-host';
  /**
   * What the change creates that does not exist yet (file, directory, user, group). Dry run: after a
   * change that may create anything, it may exist by then, so the task is reported as depending on
   * that change instead of promising this creation.
   */
  creates?: ResourceId[];
  /**
   * Services this change starts or restarts: they then run with the configuration on disk, which
   * makes a restart/reload handler notified before it redundant (see supersededBy) — in both modes.
   */
  starts?: ResourceId[];
  /** Services this change stops: a start before it no longer supersedes a restart handler. */
  stops?: ResourceId[];
}

export interface PlanResult {
  /** Empty: nothing to do, see `reason`. */
  changes: Change[];
  /** Why nothing needs doing ("file /etc/x has the wanted content") or what will be done. */
  reason?: string;
  /** What the changes do, for the dry run, the re-reads after a change and handler skipping. */
  effects?: Effects;
}

/**
 * Thrown by `plan` when the current state does not allow planning (the file to edit is missing, the
 * service is unknown). In check mode, after an earlier change with unpredictable effects, it becomes
 * "would change (depends on <task>)"; otherwise it fails the task.
 */
export class Unresolved extends Error {
  /** Advice shown only when this really fails (not when an earlier change explains it). */
  readonly hint?: string;
  /**
   * What the task does once the state it needs is there (a write into the directory a package install
   * makes): a dry run that reports it as depending on that change still shows its diff and predicts it.
   */
  readonly planned?: PlanResult;
  constructor(message: string, hint?: string, planned?: PlanResult) {
    super(message);
    this.hint = hint;
    this.planned = planned;
  }
}

/** What an operation may use while resolving and planning, per host. */
export interface OpContext {
  host: string;
  facts: Facts;
  vars: Vars;
  backends: Backends;
  /** Resolve a controller-side file of the task (role templates/ or files/, else relative to the plan). */
  controllerPath(kind: 'templates' | 'files', src: string): string;
  /** Render a Handlebars template file with the host's vars (strict: undefined variables are errors). */
  renderTemplate(file: string): string;
  /** The task asked for its diff and output to be hidden (no_log), or content is secret. */
  noLog: boolean;
  /** The run's secret values: a file holding one shows no diff. */
  secrets: SecretRegistry;
  /**
   * Evaluate a declarative condition (an argument named in `conditionArgs`) against the task's
   * variables. Throws when a variable is undefined, or Deferred (core/unknown.ts) when a dry run
   * cannot know a value it reads.
   */
  condition?(cond: unknown): boolean;
}

/** The outcome of running a task's changes, for operations whose changed/failed status depends on output. */
export interface ExecOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Operation<A = any, R = any> {
  name: string;
  /** One line for docs and --help. */
  summary: string;
  /**
   * Argument schema: validates plans at load time and generates the editor JSON Schema. Op files
   * define it as a getter over lazySchema (lazy-schema.ts): built on first read, so start-up builds none.
   */
  schema: z.ZodType<A>;
  /** The argument a bare scalar maps to: `command: "postmap x"` → `{cmd: "postmap x"}`. */
  shorthand?: string;
  /**
   * The argument holding the environment variables of the commands it runs (a mapping of names to
   * values, exported by the host's shell): a task's `environment:` is merged into it, its own values winning.
   */
  envArg?: string;
  /** Controller-side work once per host and task: render templates, read files, hash content. */
  resolve(args: A, ctx: OpContext): R;
  /** The state this task needs read from the host. */
  queries(resolved: R, ctx: OpContext): StateQuery[];
  /** Compare wanted with current state. Must be pure: the same state gives the same changes. */
  plan(resolved: R, state: StateView, ctx: OpContext): PlanResult;
  /**
   * Decide from the executed result whether the task changed or failed (command's changed_when).
   * Default: exit 0 → changed, else failed.
   */
  interpret?(resolved: R, outcome: ExecOutcome): { changed: boolean; failed?: string };
  /**
   * As a handler: the resource whose start or restart, by a task after every notification of this
   * handler, leaves nothing for it to do (a restart of a service that was started since).
   */
  supersededBy?(resolved: R): ResourceId | undefined;
  /**
   * Its "change" only observes the host (wait_for): a real run reports ok or failed, never changed; a
   * dry run reports ok "would <reason> (not evaluated in a dry run)" and runs nothing.
   */
  observesOnly?: boolean;
  /** The follow-ups this task's changes may ask for: a dry run reports them for a task it cannot plan yet. */
  followUps?(resolved: R): FollowUp[];
  /**
   * `register:`: the operation's own fields of the task's result (a file's path and state, a package's
   * version), added to {changed, failed, skipped, rc, stdout, ...}; called after the task with the state
   * the engine knows then (in a dry run, as predicted).
   */
  registerFields?(resolved: R, state: StateView): Record<string, unknown>;
  /**
   * `register:` after a change that succeeded in a real run, when the arguments tell what it left (a
   * service it started runs): used instead of `registerFields`, so the host's state is not read again
   * for it (one exec fewer per registering task on a first apply).
   */
  registerAfterChange?(resolved: R, state: StateView): Record<string, unknown>;
  /**
   * Arguments that hold declarative conditions (assert's `that`): the loader checks them as conditions
   * (load/when.ts) instead of rendering them as templates, and `resolve` evaluates them with ctx.condition.
   */
  conditionArgs?: readonly string[];
  /** Runs on the controller and never changes the host (assert, fail, set_fact): a deferred one would not change anything either. */
  controllerOnly?: boolean;
  /** Host variables the task sets (set_fact), visible to the later tasks and plays on the host. */
  setsVars?(resolved: R): Record<string, unknown>;
  /**
   * Real run only, after the changes ran without failing: what the task still waits for on the host
   * (reboot: the host back with a new boot, then its test command). Nothing of the state read before
   * is trusted afterwards: every later query is read again. Returns why the task failed, if it did.
   */
  awaitHost?(resolved: R, outcome: ExecOutcome, host: HostHandle): Promise<{ failed?: string }>;
}

/** The host as awaitHost sees it: scripts on the connection of the moment, and a new connection. */
export interface HostHandle {
  script(text: string, opts?: { timeoutMs?: number; become?: boolean }): Promise<ExecOutcome>;
  /** Closes the connection and opens a new one; throws while the host cannot be reached. */
  reconnect(): Promise<void>;
  /** The host's run lock taken again (a reboot cleared /var/run); a no-op in a dry run. */
  relock(): Promise<void>;
  /** Ctrl-C or SIGTERM came: a wait stops at once (the task fails saying so). */
  interrupted(): boolean;
}
