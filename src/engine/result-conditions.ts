// changed_when and failed_when: whether a task changed, and whether it failed, decided from its result
// instead of (or on top of) its exit status. Each is a boolean, rules on a command's exit code and
// output, or a declarative condition over variables with the task's own result bound to its
// `register:` name (load/when.ts; nothing is ever evaluated as an expression). changed_when is
// decided first, so failed_when may read `<name>.changed` (as Ansible).
import type { ChangedWhen, Condition, OutputRules, Vars } from '../load/model.js';
import { evaluateWhen } from '../load/when.js';
import type { SecretRegistry } from '../core/secret.js';
import type { ExecOutcome } from '../ops/operation.js';

/** Whether rules on exit code and output all hold. */
function rulesHold(rules: OutputRules, outcome: ExecOutcome): boolean {
  const checks: boolean[] = [];
  if (rules.rc !== undefined) checks.push((Array.isArray(rules.rc) ? rules.rc : [rules.rc]).includes(outcome.exitCode));
  if (rules.stdout_contains !== undefined) checks.push(outcome.stdout.includes(rules.stdout_contains));
  if (rules.stdout_not_contains !== undefined) checks.push(!outcome.stdout.includes(rules.stdout_not_contains));
  return checks.every(Boolean);
}

/** A rule over a result: the boolean, the rules over `outcome`, or the condition over `vars()`. */
function holds(rule: ChangedWhen, outcome: ExecOutcome | undefined, secrets: SecretRegistry, vars: () => Vars): boolean {
  if (typeof rule === 'boolean') return rule;
  if ('condition' in rule) return evaluateWhen(rule.condition as Condition, vars(), secrets);
  // Rules read a command's output: without one (nothing ran) they cannot hold.
  return outcome !== undefined && rulesHold(rule, outcome);
}

/** changed_when: whether the task counts as a change (`byDefault`: what the operation said). */
export function decideChanged(rule: ChangedWhen | undefined, outcome: ExecOutcome | undefined, byDefault: boolean, secrets: SecretRegistry, vars: () => Vars = () => ({})): boolean {
  return rule === undefined ? byDefault : holds(rule, outcome, secrets, vars);
}

/**
 * failed_when: whether the task failed. Without it, the operation's verdict (`failed`, its message);
 * with it, failed_when alone decides: its message when it holds, undefined when it does not.
 */
export function decideFailed(rule: ChangedWhen | undefined, outcome: ExecOutcome | undefined, failed: string | undefined, secrets: SecretRegistry, vars: () => Vars): string | undefined {
  if (rule === undefined) return failed;
  if (!holds(rule, outcome, secrets, vars)) return undefined;
  return failed ?? `failed_when holds${outcome ? ` (exit ${outcome.exitCode})` : ''}`;
}

/** Variables with the task's result bound to its register name (for conditions over the result). */
export function withResult(vars: Vars, register: string | undefined, value: Record<string, unknown>): Vars {
  return register === undefined ? vars : { ...vars, [register]: value };
}
