// group: a group present or absent.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { requireSupport } from '../backends/backends.js';
import { groupQuery, groupResource } from '../state/account-state.js';
import type { Operation } from './operation.js';
import { accountName } from './name-schema.js';

const schema = lazySchema(() =>
  z
    .object({
      name: accountName.describe('Group name'),
      state: z.enum(['present', 'absent']).default('present').describe('absent removes the group'),
      system: z.boolean().default(false).describe('Create as a system group'),
      gid: z.number().int().nonnegative().optional().describe('Group id when creating'),
    })
    .strict(),
);

type Args = z.infer<ReturnType<typeof schema>>;

export const group: Operation<Args, { args: Args; query: ReturnType<typeof groupQuery> }> = {
  name: 'group',
  summary: 'A group present or absent',
  get schema() {
    return schema();
  },
  shorthand: 'name',
  resolve: (args) => ({ args, query: groupQuery(args.name) }),
  queries: (r) => [r.query],
  plan({ args: a, query }, state, ctx) {
    const cur = state.get(query);
    const want = a.state === 'present';
    if (cur.exists === want) return { changes: [], reason: `group ${a.name} ${want ? 'exists' : 'does not exist'}` };
    requireSupport(ctx.backends.accounts, 'accounts', 'groups');
    const command = want ? ctx.backends.accounts.createGroup(a.name, { system: a.system, gid: a.gid }) : ctx.backends.accounts.removeGroup(a.name);
    return {
      changes: [{ kind: 'run', description: `${want ? 'create' : 'remove'} group ${a.name}`, command }],
      effects: {
        predicts: [{ resource: groupResource(a.name), value: { exists: want, gid: a.gid } }],
        creates: want ? [groupResource(a.name)] : undefined,
      },
    };
  },
};
