// A guard's answer (`unless:`, `onlyif:`): the exit status of a read-only check command, read with the
// rest of the state. The command runs as one quoted word under eval (core/quote.ts evalWord), so nothing
// in it can touch the batch's framing.
import { evalWord, shQuote } from '../core/quote.js';
import type { StateQuery } from './query.js';

/** The exit status of a read-only guard command (`unless:`, `onlyif:`). */
export function commandStatusQuery(command: string, chdir?: string): StateQuery<{ exitCode: number }> {
  const cd = chdir ? `cd ${shQuote(chdir)} || exit 125\n` : '';
  return {
    key: `status:${chdir ?? ''}:${command}`,
    script: `${cd}${evalWord(command)} </dev/null >/dev/null 2>&1; echo "$?"`,
    // The command runs in its own subshell ((eval …)): around it, only a cd needs one more.
    inShell: !chdir,
    parse(out) {
      return { exitCode: Number(out.toString().trim()) };
    },
  };
}
