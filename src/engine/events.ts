// The engine speaks only in these events; the progress display, the recap, --json and reports are
// subscribers. Events are redacted before they are emitted, so no subscriber can leak a secret.
import type { Facts } from '../facts/facts.js';
import type { Change } from '../ops/operation.js';
import type { SourcePos } from '../core/errors.js';
import type { InterruptSignal } from './interrupt.js';

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped';

export interface TaskResult {
  host: string;
  play: string;
  task: string;
  role?: string;
  op: string;
  handler: boolean;
  status: TaskStatus;
  /** The run was a dry run: "changed" means "would change". */
  check: boolean;
  /** What was (or would be) done: commands and file writes with their diffs. */
  changes: Change[];
  /** Why nothing was done, why it was skipped, or what a change depends on. */
  reason?: string;
  /** In check mode: the earlier task whose unpredictable effects this task's plan depends on. */
  dependsOn?: string;
  error?: string;
  /** The failure was ignored (ignore_errors, or a rescue caught it). */
  ignored?: boolean;
  /** The failure was caught by the rescue of a block around the task (also `ignored`: counted as ok). */
  rescued?: boolean;
  /** until/retries: how many times the task ran. */
  attempts?: number;
  pos?: SourcePos;
  /** What the task's command said (exit status and output), only when the run keeps it (`fleetplan run`). */
  output?: { rc: number; stdout: string; stderr: string };
  /** The task is no_log: commands, diffs and errors are masked before the result leaves the engine. */
  noLog?: boolean;
  ms: number;
}

export interface HostStats {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: boolean;
  /** Exec sessions this host's connection opened. */
  execs: number;
  ms: number;
  /** A signal (Ctrl-C, SIGTERM) stopped the host before its end; also counted in `failed`. */
  interrupted?: boolean;
}

export interface RunSummary {
  check: boolean;
  /** The run was stopped by this signal (docs/usage.md "Interrupting a run"). */
  interrupted?: InterruptSignal;
  hosts: Record<string, HostStats>;
  ms: number;
}

export type RunEvent =
  /** `startedAt`: only when replaying recorded runs (`report merge`); a live run's reporters read their clock. */
  | { type: 'run-start'; hosts: string[]; check: boolean; plays: string[]; startedAt?: Date }
  | { type: 'host-start'; host: string }
  | { type: 'host-facts'; host: string; facts: Facts; ms: number }
  | { type: 'task-start'; host: string; play: string; task: string; handler: boolean }
  | { type: 'task-result'; result: TaskResult }
  | { type: 'host-unreachable'; host: string; error: string }
  | { type: 'host-failed'; host: string; error: string }
  /** Something the operator should know that is not a failure (a stale lock taken over). */
  | { type: 'host-note'; host: string; note: string }
  /**
   * One remote exec, when it ends (--verbose). `command` is what it was for: the task's exact commands
   * and writes, or "gather facts", "read state: <play>". `exitCode` is null when it never exited
   * (timed out, connection lost); `error` then says why.
   */
  | { type: 'command'; host: string; command: string; exitCode: number | null; signal?: string; error?: string; become: boolean; ms: number }
  /**
   * A signal arrived: the first (`hard` false) stops new work while `busy` hosts finish their running
   * command; the second (`hard`) ends the run without waiting for them.
   */
  | { type: 'interrupt'; signal: InterruptSignal; hard: boolean; busy: string[] }
  | { type: 'host-done'; host: string; stats: HostStats }
  | { type: 'run-end'; summary: RunSummary };

export type Emit = (event: RunEvent) => void;
