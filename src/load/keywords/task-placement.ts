// The keywords that say where and how often a task runs, and as whom: run_once, throttle,
// any_errors_fatal, delegate_to, delegate_facts, become_user, become_method (engine: coordinate.ts, delegate.ts,
// delegated-facts.ts, connectors/become.ts). Spread into the task keyword table (task.ts).
import { z } from 'zod';
import type { TaskDef } from '../model.js';
import { keywordsFor } from './keyword.js';

/** A user name for become_user (grammar as the user operation's names, so it is never shell framing). */
export const becomeUser = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/);
export const becomeMethod = z.enum(['sudo', 'su', 'doas']);

// Any keyword context: these keywords read none, so they fit every task table.
const kw = keywordsFor<TaskDef, unknown>();

export const PLACEMENT_KEYWORDS = {
  run_once: kw.plain(
    z
      .boolean()
      .describe(
        "Run on one host of the play's batch — the first in inventory order that reaches the task to run it (a host that failed or skips it is passed over) — and report its result on every other host as \"run once on <host>\" (a change notifies their handlers too; a handler ignores run_once). A task of include_tasks/include_role runs once per batch for each item of the include. Dry run: the same, planned on that one host",
      ),
    'true or false',
    (def, v) => { def.runOnce = v; },
  ),
  throttle: kw.plain(
    z.int().positive().describe('At most this many hosts of the batch run this task at the same time. Dry run: the same'),
    'a positive whole number',
    (def, v) => { def.throttle = v; },
  ),
  any_errors_fatal: kw.plain(
    z
      .boolean()
      .describe('A failure of this task on any host stops the play (and the run) on every host once they all finished this task. Dry run: the same, for a failure the dry run finds'),
    'true or false',
    (def, v) => { def.anyErrorsFatal = v; },
  ),
  delegate_to: kw.plain(
    z
      .string()
      .min(1)
      .describe(
        "Run this task on another host — an inventory host (over its own connection, shared with its own tasks) or localhost (the controller) — with this host's variables and the delegate's facts; reported as \"<host> → <delegate>\". Dry run: the delegate's state is read and diffed, nothing is executed",
      ),
    'a host name (or "{{a variable}}")',
    (def, v, at) => {
      def.delegateTo = v;
      def.argPos.delegate_to = at.pos;
    },
  ),
  delegate_facts: kw.plain(
    z
      .boolean()
      .describe(
        "With delegate_to: the variables this task sets (set_fact) belong to the delegate, not to this host (register: stays this host's). Hosts run a play in parallel, so they are the delegate's from the next play on: its own tasks of later plays read them, and every host's hostvars.<delegate> has them (this host does not). Without it (false) they are this host's. Dry run: the same; set_fact runs on the controller and its values, known or unknown, go to the delegate",
      ),
    'true or false',
    (def, v) => { def.delegateFacts = v; },
    { needs: 'delegate_to' },
  ),
  become_user: kw.plain(
    becomeUser.describe("User this task's commands run as through become (default: the host's become_user, else root); sets nothing by itself, become: true does. Dry run: state is read as that user too"),
    'a user name',
    (def, v) => { def.becomeUser = v; },
  ),
  become_method: kw.plain(
    becomeMethod.describe("How this task becomes become_user: sudo, su or doas (default: the play's, then the host's become_method, else sudo)"),
    'sudo, su or doas',
    (def, v) => { def.becomeMethod = v; },
  ),
};
