// set_fact: host variables computed during the run, visible to the later tasks and plays on the same
// host (as Ansible's). Runs on the controller and changes nothing on the host; the engine stores the
// values (engine/host-results.ts). `cacheable` is accepted and ignored: fleetplan keeps no fact cache.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import type { Operation } from './operation.js';

/** A host variable's name (as a loop variable's or a registered result's). */
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const schema = lazySchema(() =>
  z
    .object({ cacheable: z.boolean().optional().describe('Accepted and ignored: fleetplan keeps no fact cache') })
    .catchall(z.unknown())
    .superRefine((v, ctx) => {
      const names = Object.keys(v).filter((k) => k !== 'cacheable');
      if (names.length === 0) ctx.addIssue({ code: 'custom', message: 'set_fact needs at least one variable (name: value)' });
      for (const k of names) if (!VAR_NAME.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: `'${k}' is not a variable name (letters, digits, _)` });
    })
    .describe(
      'Variables to set on this host, name: value (templates rendered per host; a value that is exactly "{{x}}" keeps x\'s type). ' +
        'Dry run: the values are set as in a real run; a value computed from the output of a task that does not run in check mode is ' +
        'unknown, and the tasks using it are reported as deferred',
    ),
);

type Args = Record<string, unknown>;

export const setFact: Operation<Args, { vars: Record<string, unknown> }> = {
  name: 'set_fact',
  summary: 'Set host variables for the later tasks and plays on this host',
  get schema() {
    return schema();
  },
  resolve: (args) => ({ vars: Object.fromEntries(Object.entries(args).filter(([k]) => k !== 'cacheable')) }),
  queries: () => [],
  plan: ({ vars }) => ({ changes: [], reason: `set ${Object.keys(vars).join(', ')}` }),
  setsVars: ({ vars }) => vars,
  controllerOnly: true,
  registerFields: ({ vars }) => ({ ansible_facts: vars }),
};

/** The names a set_fact task's arguments set (the loader knows them before any run). */
export function setFactNames(args: Record<string, unknown>): string[] {
  return Object.keys(args).filter((k) => k !== 'cacheable' && VAR_NAME.test(k));
}
