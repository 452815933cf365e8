// The contract of an operation: read state → compare with the wanted state → changes.
// Check mode and apply share this code path; check mode simply stops before the executor runs changes.
import type { z } from 'zod';
import type { Facts } from '../facts/facts.js';
import type { Backends } from '../backends/backends.js';
import type { Vars } from '../load/model.js';
import type { StateQuery, StateView } from '../state/query.js';
import type { Place } from './safe-path.js';

export interface FileDiff {
  path: string;
  /** Current content (null: the file does not exist). `binary`/`tooLarge` mark content not shown. */
  before: string | null;
  after: string | null;
  /** Extra lines about attributes: "mode 0644 → 0600", "owner root → postfix". */
  attrs?: string[];
  /** Content is a secret or binary: the renderer shows only that it changed. */
  masked?: 'secret' | 'binary' | 'too large';
}

/** A file to write atomically (temp file in the same directory, final owner/mode first, then rename). */
export interface WriteSpec {
  path: string;
  /** Where the write acts (the link target when followed), as the state read found it (ops/safe-path.ts). */
  place?: Place;
  content: Buffer;
  owner?: string;
  group?: string;
  /** Octal string such as "0640". */
  mode?: string;
  /** Keep the old file as <path>.<timestamp>~ before replacing it. */
  backup?: boolean;
  /** A command run against the temp file (`%s` = temp path) before the rename; failing keeps the old file. */
  validate?: string;
}

/**
 * A command a change needs run once more after the play's tasks and handlers — once per host and
 * play however many changes ask for it (systemd's daemon-reload after `enable --no-reload`).
 */
export interface FollowUp {
  command: string;
  description: string;
}

/**
 * What a file holds after a change, as promised by the plan — `--json`'s `files`, which lets anyone
 * check that the run wrote exactly what the dry run showed (docs/usage.md).
 */
export interface PlannedFile {
  path: string;
  /** SHA-256 of the content; absent for secret content (see contentDigest). */
  sha256?: string;
  /** Keyed hash of secret content, only when the verifier gave a key (see contentDigest). */
  hmac_sha256?: string;
  /** Octal, as "0644". */
  mode: string;
  /** Absent: whoever creates the file on the host (the become user, the directory's group on BSD). */
  owner?: string;
  group?: string;
}

export type Change =
  | { kind: 'run'; description: string; command: string; followUp?: FollowUp; file?: PlannedFile }
  | { kind: 'write'; description: string; write: WriteSpec; diff?: FileDiff; file?: PlannedFile };

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
