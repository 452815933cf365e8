// What executing a task said (exit status, output), kept beside its result for `register:` and the
// conditions over the result (settle.ts) — not in the result itself, which is an event every reporter
// sees (and --json prints).
import type { ExecOutcome } from '../ops/operation.js';
import type { TaskResult } from './events.js';

const outcomes = new WeakMap<TaskResult, ExecOutcome>();

export function withOutcome(r: TaskResult, outcome: ExecOutcome): TaskResult {
  outcomes.set(r, outcome);
  return r;
}

export function outcomeOf(r: TaskResult): ExecOutcome | undefined {
  return outcomes.get(r);
}
