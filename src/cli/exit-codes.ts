// The exit codes, once: `fleetplan --help` prints this table and docs/usage.md "Exit codes" holds the
// same rows (test/unit/exit-codes.test.ts keeps them equal). The numbers are ExitCode's and stable:
// scripts and CI jobs test them.
import { ExitCode } from '../core/errors.js';

export interface ExitCodeRow {
  code: number;
  /** ExitCode's key: the name scripts and the JSON output's readers can search for. */
  name: keyof typeof ExitCode;
  /** Markdown (backticks); the help shows it without them. */
  meaning: string;
}

export const EXIT_CODE_TABLE: readonly ExitCodeRow[] = [
  { code: ExitCode.ok, name: 'ok', meaning: 'success (with `--check`: also when changes are pending, unless `--detailed-exitcode`)' },
  { code: ExitCode.usage, name: 'usage', meaning: 'usage error of the command line (unknown option or command, bad number, missing argument): nothing was loaded' },
  { code: ExitCode.hostFailed, name: 'hostFailed', meaning: 'at least one host failed a task' },
  { code: ExitCode.unreachable, name: 'unreachable', meaning: 'at least one host was unreachable (and none failed a task)' },
  { code: ExitCode.invalidInput, name: 'invalidInput', meaning: 'invalid input (plan, role, template, inventory, variables, host pattern, configuration): no host was contacted' },
  { code: ExitCode.changesPending, name: 'changesPending', meaning: '`--check --detailed-exitcode`: the run succeeded and changes are pending' },
  { code: ExitCode.internal, name: 'internal', meaning: 'internal error (a bug in fleetplan), or the `--report` page could not be written at the end' },
  { code: ExitCode.interrupted, name: 'interrupted', meaning: '`apply` was interrupted by SIGINT (Ctrl-C), whatever the hosts\' results' },
  { code: ExitCode.terminated, name: 'terminated', meaning: '`apply` was interrupted by SIGTERM' },
];

/** The epilog of `fleetplan --help` and `fleetplan apply --help`. */
export function exitCodesHelp(): string {
  const w = Math.max(...EXIT_CODE_TABLE.map((r) => r.name.length));
  const rows = EXIT_CODE_TABLE.map((r) => `  ${String(r.code).padStart(3)}  ${r.name.padEnd(w)}  ${r.meaning.replaceAll('`', '')}`);
  return `\nExit codes (docs/usage.md "Exit codes"):\n${rows.join('\n')}\n`;
}
