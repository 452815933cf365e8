// --verbose: one line per remote exec, as it finishes — which host, how it ended (exit code, signal,
// timeout, lost connection), how long it took, whether it ran with become, and what it was: the
// exact commands and file writes of a task, or the purpose of fleetplan's own scripts ("gather
// facts", "read state: <play>"). Multi-line commands are shown whole, continuation lines indented.
import type pc from 'picocolors';
type Colors = ReturnType<typeof pc.createColors>;
import type { RunEvent } from '../engine/events.js';
import { formatDuration } from './duration.js';

export type CommandEvent = Extract<RunEvent, { type: 'command' }>;

export function commandLine(e: CommandEvent, c: Colors): string {
  const ended =
    e.exitCode === null
      ? c.red(e.error ?? 'no exit status')
      : e.exitCode === 0
        ? `exit 0`
        : c.yellow(`exit ${e.exitCode}${e.signal ? ` (signal ${e.signal})` : ''}`);
  const how = `${ended} in ${formatDuration(e.ms)}${e.become ? ', become' : ''}`;
  const [first = '', ...rest] = e.command.replace(/\n+$/, '').split('\n');
  return `${c.dim(`  [${e.host}]`)} ${how}: ${first}${rest.map((l) => `\n      ${l}`).join('')}`;
}
