// The keywords of a task's result (engine: settle.ts, register.ts, host-results.ts): register,
// until/retries/delay, check_mode. Spread into the task keyword table (task.ts).
import { z } from 'zod';
import type { TaskDef } from '../model.js';
import { parseCondition } from '../when.js';
import { when } from './condition.js';
import { VARIABLE_NAME, keywordsFor } from './keyword.js';

/** Names the engine defines itself: a registered result must not hide them. */
const RESERVED_RESULT_NAMES = ['facts', 'item', 'inventory_hostname', 'group_names', 'hostvars', 'groups'];

// Any keyword context: these keywords read none, so they fit every task table.
const kw = keywordsFor<TaskDef, unknown>();

export const RESULT_KEYWORDS = {
  register: kw.plain(
    z
      .string()
      .regex(VARIABLE_NAME)
      .refine((n) => !RESERVED_RESULT_NAMES.includes(n))
      .describe(
        "Store the task's result in this host variable for later tasks, plays, conditions and templates: {changed, failed, skipped, rc, stdout, stderr, " +
          'stdout_lines, stderr_lines, msg} plus the operation\'s fields (a file\'s path and state, a package\'s version); with a loop, `<name>.results` ' +
          "lists each item's. Dry run: what a task that does not run in check mode would output is unknown — a task whose when:, arguments or " +
          "template use it is reported as deferred, depending on that task; what is known (changed as predicted, a file's state) stays usable",
      ),
    `a variable name (letters, digits, _) other than ${RESERVED_RESULT_NAMES.join(', ')}`,
    (def, v) => { def.register = v; },
  ),
  until: kw.structured(
    when.describe(
      'Repeat the task until this condition over its registered result holds (`until: {out.stdout: {matches: ready}}`), up to `retries` more ' +
        'times, `delay` seconds apart; the result reports the attempts. Dry run: a task that does not run in check mode is reported as deferred ' +
        '(not repeated); a check_mode: false probe is repeated for real',
    ),
    (def, { src, node, issues }) => { def.until = parseCondition(src, node, issues); },
    { needs: 'register' },
  ),
  retries: kw.plain(z.int().min(0).max(1000).describe('With until: how many times to try again after the first attempt (default 3)'), 'a whole number from 0 to 1000', (def, v) => {
    def.retries = v;
  }, { needs: 'until' }),
  delay: kw.plain(z.number().min(0).max(3600).describe('With until: seconds to wait between attempts (default 5)'), 'a number of seconds from 0 to 3600', (def, v) => {
    def.delay = v;
  }, { needs: 'until' }),
  check_mode: kw.plain(
    z
      .boolean()
      .describe(
        'false: run this task even in a dry run — for read-only probes whose result later tasks use (its result is then real, not unknown); ' +
          'true: never apply it, only report what it would do, even in a real run (its handlers are not notified). ' +
          'Dry run: a check_mode: false task runs for real, and must only read (a dry run holds no run lock on the host) — unless an earlier ' +
          'task of the play would change the host first: it would then read the host as the real run will not find it, so it is not run, ' +
          'its result is unknown and what reads it is deferred; when it reads a value only the real run knows it is deferred too, reported ok (a probe changes nothing). ' +
          'With changed_when: false as well it is a read-only probe in a real run too: the state read before it is not read again after it',
      ),
    'true or false',
    (def, v) => { def.checkMode = v; },
  ),
};
