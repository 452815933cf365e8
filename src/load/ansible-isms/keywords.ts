// Ansible's keywords in fleetplan: `with_items` / `with_list` are `loop:` (declared here, spread into
// the task keyword table); the other `with_*` lookups, and keywords fleetplan does not have, get a
// message saying what to write instead of a bare "unknown key".
import { z } from 'zod';
import { templateString } from '../../core/templated.js';
import type { Operation } from '../../ops/operation.js';
import { didYouMean } from '../issues.js';
import { keywordsFor, type KeywordInput } from '../keywords/keyword.js';
import type { TaskDef } from '../model.js';
import { COLLECTIONS, shortName } from './modules.js';

// Any keyword context: these keywords read none, so they fit every task table.
const kw = keywordsFor<TaskDef, unknown>();

const loopValue = z.union([z.array(z.unknown()), templateString]);

function intoLoop(flatten: boolean) {
  return (def: TaskDef, v: unknown[] | string, at: KeywordInput) => {
    if (def.loop !== undefined) {
      at.issues.add(at.pos, `${at.entry.key}: the same as loop: (give one of them)`);
      return;
    }
    def.loop = Array.isArray(v) && flatten ? v.flat(1) : v;
    if (typeof v === 'string') def.argPos.loop = at.pos;
  };
}

/** Ansible's loop spellings whose meaning is loop:'s. */
export const ANSIBLE_LOOP_KEYWORDS = {
  with_items: kw.plain(
    loopValue.describe(
      "Ansible's spelling of loop: (a written list's items that are lists are flattened one level, as Ansible does; a variable's list is taken as it is). Dry run: as loop:",
    ),
    'a list or a variable holding one ("{{packages}}")',
    intoLoop(true),
    { sameAs: 'loop' },
  ),
  with_list: kw.plain(
    loopValue.describe("Ansible's spelling of loop:. Dry run: as loop:"),
    'a list or a variable holding one ("{{packages}}")',
    intoLoop(false),
    { sameAs: 'loop' },
  ),
};

/** The other with_* lookups: the loop: form that does the same. */
const LOOP_HINTS: Record<string, string> = {
  with_dict: 'loop: "{{dict2items x}}" (each item has .key and .value)',
  with_fileglob: 'loop: [a.conf, b.conf] listing the files (nothing is globbed on the controller)',
  with_nested: 'loop: over a variable listing every combination ({a, b} records), or include_tasks: with loop:',
  with_cartesian: 'loop: over a variable listing every combination ({a, b} records)',
  with_subelements: 'loop: over a variable listing each {parent, item} pair',
  with_together: 'loop: over a list of records ({a, b}) instead of parallel lists',
  with_sequence: 'loop: [1, 2, 3] (the numbers written out)',
  with_indexed_items: 'loop: with loop_control: {label: …}; items carrying their own index',
  with_flattened: 'loop: with the flat list',
  with_first_found: 'vars/<os_family>.yml, vars/<distribution>.yml and vars/<distribution>-<major>.yml are chosen from facts by themselves; for a file, name one',
  with_random_choice: 'a plan is deterministic: pick the value in a variable',
  with_lines: 'loop: over a list in a variable (no command runs on the controller)',
  with_file: 'loop: over the file names, with content: "{{…}}" from variables, or copy:',
  with_template: 'loop: with template: {src: …}',
  with_inventory_hostnames: 'loop: "{{groups.<group>}}"',
};

/** Task keywords fleetplan does not have (and no slice of the plan language adds): what to write. */
const TASK_HINTS: Record<string, string> = {
  async: 'each host runs its tasks in order over one connection; a long command runs in the foreground (command:)',
  poll: 'each host runs its tasks in order over one connection; a long command runs in the foreground (command:)',
  local_action: 'write the operation as usual with delegate_to: localhost',
  action: "write the operation as the task's key (copy: {…}), not under action:",
  connection: "a task runs over its host's connection (ansible_connection / --connection); for the controller use delegate_to: localhost",
  args: 'write the arguments under the operation: command: {cmd: …, chdir: …}',
  module_defaults: 'give the arguments on each task (a variable holds a shared value)',
  collections: 'not needed: ansible.builtin.*, ansible.posix.* and community.general.* names of operations fleetplan has are accepted',
  remote_user: 'the login user is the inventory\'s ansible_user / ssh_user',
  diff: 'diffs are shown for the whole run with --diff (hidden per task with no_log: true)',
  debugger: 'a failed task is reported with its command and output',
  timeout: 'a task runs to its end; command: with timeout(1) inside cmd: bounds a command',
  ignore_unreachable: 'an unreachable host is reported failed and the others go on',
};

/** Play keywords fleetplan does not have: what to write. */
const PLAY_HINTS: Record<string, string> = {
  vars_prompt: 'give the values with -e / --extra-vars, a vars file, or !vault values',
  strategy: 'hosts run in parallel (--forks), each its tasks in order; batches with serial:',
  collections: TASK_HINTS.collections!,
  module_defaults: TASK_HINTS.module_defaults!,
  gather_subset: 'facts are gathered whole in the first round trip',
  gather_timeout: 'facts are gathered whole in the first round trip',
  fact_path: 'facts are gathered whole in the first round trip',
  remote_user: TASK_HINTS.remote_user!,
  connection: "each host's connection is the inventory's (ansible_connection) or --connection",
  order: 'hosts run in inventory order, --forks at a time',
  import_playbook: 'a plan file is a list of plays: put the plays in it, or run fleetplan once per plan',
  diff: TASK_HINTS.diff!,
  debugger: TASK_HINTS.debugger!,
  ignore_unreachable: TASK_HINTS.ignore_unreachable!,
  port: "the inventory's ansible_port / ssh_port",
};

/** meta/main.yml keys fleetplan does not have (galaxy_info is accepted and ignored). */
const META_HINTS: Record<string, string> = {
  allow_duplicates: 'a dependency asked for again with parameters or a condition runs again; without them it runs once',
  collections: TASK_HINTS.collections!,
  argument_specs: 'check a role\'s inputs with an assert: task at its start',
};

/** Ansible modules with no fleetplan operation: what to write instead. */
const MODULE_HINTS: Record<string, string> = {
  debug: 'reports show each task\'s result; a message for the operator: assert: / fail:',
  include_vars: "vars_files: in the play, or the role's vars/<os_family>.yml (chosen from facts)",
  raw: 'command: (run by the host\'s sh)',
  script: 'copy: the script, then command: it',
  setup: 'facts are gathered in the first round trip of every run',
  gather_facts: 'facts are gathered in the first round trip of every run',
  ping: 'fleetplan facts -i <inventory> reaches every host',
  pause: 'a run does not wait for input',
  package_facts: 'package: reads the packages it needs',
  service_facts: 'service: reads the services it needs',
};

/** "unknown operation" for a module name with a collection prefix. */
function moduleMessage(key: string, registry: ReadonlyMap<string, Operation>): string {
  const short = shortName(key);
  const ops = [...registry.keys()];
  if (short === undefined) {
    const collection = key.split('.').slice(0, 2).join('.');
    return `unknown operation '${key}': '${collection}' is not a collection fleetplan reads (module names of ${COLLECTIONS.join(', ')} are; operations: ${ops.join(', ')})`;
  }
  const hint = MODULE_HINTS[short];
  return `unknown operation '${key}': Ansible's ${short} module is not a fleetplan operation${hint ? `: ${hint}` : `${didYouMean(short, ops)} (operations: ${ops.join(', ')})`}`;
}

/**
 * The message for an unknown key that Ansible has (a module, a with_* lookup, a keyword), or undefined
 * for a key Ansible does not know either (the caller's "unknown key" with its did-you-mean).
 */
export function ansibleKeyHint(key: string, where: 'task' | 'play' | 'meta', registry: ReadonlyMap<string, Operation>): string | undefined {
  const table = where === 'task' ? TASK_HINTS : where === 'play' ? PLAY_HINTS : META_HINTS;
  if (Object.hasOwn(table, key)) return `'${key}' is not supported: ${table[key]}`;
  if (where !== 'task') return undefined;
  if (key.startsWith('with_')) return `'${key}' is not supported: ${LOOP_HINTS[key] ?? 'write loop: with the list of items'}`;
  if (/^[a-z_]+\.[a-z_]+\.[a-z_0-9]+$/.test(key)) return moduleMessage(key, registry);
  if (Object.hasOwn(MODULE_HINTS, key)) return `unknown operation '${key}': Ansible's ${key} module is not a fleetplan operation: ${MODULE_HINTS[key]}`;
  return undefined;
}
