// The contract of an operation: read state → compare with the wanted state → changes.
// Check mode and apply share this code path; check mode simply stops before the executor runs changes.
import type { z } from 'zod';
import type { Change, FollowUp } from '../core/change.js';
import type { Facts } from '../facts/facts.js';
import type { Backends } from '../backends/backends.js';
import type { SecretRegistry } from '../core/secret.js';
import type { Vars } from '../core/vars.js';
import type { StateQuery, StateView } from '../state/query.js';

// What a change is (run a command, write a file) lives on the ground floor, where backends, the
// engine and reports read it without depending on operations; here it is part of the contract.
export type { Change, FileDiff, FollowUp, Place, PlannedFile, WriteSpec } from '../core/change.js';

/** What a later task would see if this change were made (check mode evaluates later tasks against it). */
export interface Prediction {
  /** Key of the StateQuery whose value changes. */
  key: string;
  value: unknown;
}

export interface PlanResult {
  /** Empty: nothing to do, see `reason`. */
  changes: Change[];
  /** Why nothing needs doing ("file /etc/x has the wanted content") or what will be done. */
  reason?: string;
  /** The state this task leaves behind, for tasks after it in check mode. */
  predicts?: Prediction[];
  /**
   * The changes have effects beyond `predicts` (package installs, commands): in check mode a later task
   * that cannot be planned against the current state is reported as depending on this one.
   */
  opaque?: boolean;
  /** The changes may create files, directories or accounts nobody declared (a package install). */
  mayCreateAnything?: boolean;
  /**
   * The change creates something that does not exist yet (file, directory, user, group). In check
   * mode, after a change that may create anything (a package install), it may exist by then, so
   * the dry run reports the task as depending on that change instead of promising it.
   */
  createsMissing?: boolean;
  /**
   * Resources (services) this change starts or restarts: they then run with the configuration on
   * disk, which makes a restart/reload handler notified before it redundant (see supersededBy).
   */
  loads?: string[];
  /** Resources (services) this change stops: a start before it no longer supersedes a restart handler. */
  stops?: string[];
}

/**
 * Thrown by `plan` when the current state does not allow planning (the file to edit is missing, the
 * service is unknown). In check mode, after an earlier opaque change, it becomes
 * "would change (depends on <task>)"; otherwise it fails the task.
 */
export class Unresolved extends Error {
  /** Advice shown only when this really fails (not when an earlier change explains it). */
  readonly hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
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
  /** Argument schema: validates plans at load time and generates the editor JSON Schema. */
  schema: z.ZodType<A>;
  /** The argument a bare scalar maps to: `command: "postmap x"` → `{cmd: "postmap x"}`. */
  shorthand?: string;
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
  supersededBy?(resolved: R): string | undefined;
  /** The follow-ups this task's changes may ask for: a dry run reports them for a task it cannot plan yet. */
  followUps?(resolved: R): FollowUp[];
}
