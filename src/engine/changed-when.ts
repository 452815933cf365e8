// `changed_when:` decides from a command's result whether it counts as a change.
import type { ChangedWhen } from '../load/model.js';
import type { ExecOutcome } from '../ops/operation.js';

export function decideChanged(rule: ChangedWhen | undefined, outcome: ExecOutcome, byDefault: boolean): boolean {
  if (rule === undefined) return byDefault;
  if (typeof rule === 'boolean') return rule;
  const checks: boolean[] = [];
  if (rule.rc !== undefined) checks.push((Array.isArray(rule.rc) ? rule.rc : [rule.rc]).includes(outcome.exitCode));
  if (rule.stdout_contains !== undefined) checks.push(outcome.stdout.includes(rule.stdout_contains));
  if (rule.stdout_not_contains !== undefined) checks.push(!outcome.stdout.includes(rule.stdout_not_contains));
  return checks.every(Boolean);
}
