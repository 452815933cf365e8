// assert and fail: checks a plan makes of its own inputs and results. Both run on the controller and
// change nothing; in a dry run they are evaluated like in a real run when what they read is known (so
// a plan can fail its dry run), and reported as deferred when they read something only a real run
// can know (the output of a command that does not run in check mode).
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import type { Operation, OpContext } from './operation.js';

/** A declarative condition as load/when.ts reads it (checked there, with positions, at load time). */
const conditionArg = z.record(z.string(), z.unknown());

const assertSchema = lazySchema(() =>
  z
    .object({
      that: z
        .union([conditionArg, z.array(conditionArg).min(1)])
        .describe('A declarative condition, or a list of them that must all hold, e.g. {out.rc: 0} or [{relays: {truthy: true}}, {port: {gt: 0}}]'),
      fail_msg: z.string().optional().describe('The failure message when a condition does not hold'),
      msg: z.string().optional().describe('The same as fail_msg (Ansible\'s older name)'),
      success_msg: z.string().optional().describe('What the task reports when every condition holds'),
      quiet: z.boolean().optional().describe('Report nothing on success'),
    })
    .strict(),
);

type AssertArgs = z.infer<ReturnType<typeof assertSchema>>;

interface AssertResolved {
  args: AssertArgs;
  /** The first condition that does not hold (its index in `that`), if any. */
  failed?: number;
}

export const assertOp: Operation<AssertArgs, AssertResolved> = {
  name: 'assert',
  summary:
    'Fail the host unless every condition holds. Dry run: evaluated when what it reads is known (a dry run can fail); ' +
    'deferred, naming the task, when it reads the output of a task that does not run in check mode',
  get schema() {
    return assertSchema();
  },
  conditionArgs: ['that'],
  controllerOnly: true,
  resolve(args, ctx: OpContext) {
    const that = Array.isArray(args.that) ? args.that : [args.that];
    if (!ctx.condition) throw new Error('internal: assert needs the engine to evaluate its conditions');
    const failed = that.findIndex((c) => !ctx.condition!(c));
    return { args, failed: failed < 0 ? undefined : failed };
  },
  queries: () => [],
  plan({ args, failed }) {
    if (failed !== undefined) {
      const which = Array.isArray(args.that) ? `that[${failed}]` : 'that';
      const cond = Array.isArray(args.that) ? args.that[failed] : args.that;
      throw new Error(args.fail_msg ?? args.msg ?? `assertion failed: ${which} ${JSON.stringify(cond)} does not hold`);
    }
    return { changes: [], reason: args.quiet ? undefined : args.success_msg ?? 'all assertions passed' };
  },
  registerFields: ({ args, failed }) => ({
    msg: failed === undefined ? args.success_msg ?? 'All assertions passed' : args.fail_msg ?? args.msg ?? 'Assertion failed',
  }),
};

const failSchema = lazySchema(() =>
  z
    .object({ msg: z.string().optional().describe('The failure message (default: "Failed as requested from task")') })
    .strict(),
);

type FailArgs = z.infer<ReturnType<typeof failSchema>>;

export const failOp: Operation<FailArgs, FailArgs> = {
  name: 'fail',
  summary: 'Fail the host with a message (use with when:). Dry run: fails the dry run too, when its when: is known; deferred when it is not',
  get schema() {
    return failSchema();
  },
  shorthand: 'msg',
  controllerOnly: true,
  resolve: (args) => args,
  queries: () => [],
  plan(args) {
    throw new Error(args.msg ?? 'Failed as requested from task');
  },
  registerFields: (args) => ({ msg: args.msg ?? 'Failed as requested from task' }),
};
