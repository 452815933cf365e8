// user: an account that exists (or not) and belongs to supplementary groups, e.g. postfix in the
// milter's group so it can reach the OpenDKIM socket.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { requireSupport } from '../backends/backends.js';
import { groupQuery, userQuery, userResource, type UserState } from '../state/account-state.js';
import type { Change, Operation } from './operation.js';
import { Unresolved } from './operation.js';
import { accountName } from './name-schema.js';
import { absolutePath } from './path-schema.js';

const schema = lazySchema(() =>
  z
    .object({
      name: accountName.describe('User name'),
      state: z.enum(['present', 'absent']).default('present').describe('absent removes the account (its home directory stays)'),
      groups: z.array(accountName).optional().describe('Supplementary groups the user must be in'),
      append: z
        .boolean()
        .default(true)
        .describe('true: add to `groups`, keep other memberships; false: also leave groups not listed'),
      system: z.boolean().default(false).describe('Create as a system account'),
      uid: z.number().int().nonnegative().optional().describe('User id when creating'),
      group: accountName.optional().describe('Primary group when creating'),
      home: absolutePath.optional().describe('Home directory when creating'),
      shell: absolutePath.optional().describe('Login shell when creating'),
    })
    .strict(),
);

type Args = z.infer<ReturnType<typeof schema>>;
type Resolved = { args: Args; user: ReturnType<typeof userQuery>; groups: ReturnType<typeof groupQuery>[] };

export const user: Operation<Args, Resolved> = {
  name: 'user',
  summary: 'A user account present or absent, and its supplementary group membership',
  get schema() {
    return schema();
  },
  shorthand: 'name',
  resolve: (args) => ({ args, user: userQuery(args.name), groups: (args.groups ?? []).map(groupQuery) }),
  queries: (r) => [r.user, ...r.groups],
  plan({ args: a, user: uq, groups: gqs }, state, ctx) {
    const cur = state.get(uq);
    const acc = ctx.backends.accounts;
    if (a.state === 'absent') {
      if (!cur.exists) return { changes: [], reason: `user ${a.name} does not exist` };
      requireSupport(acc, 'accounts', 'users');
      return {
        changes: [{ kind: 'run', description: `remove user ${a.name}`, command: acc.removeUser(a.name) }],
        effects: { predicts: [{ resource: userResource(a.name), value: { exists: false, groups: [] } satisfies UserState }] },
      };
    }
    const missingGroups = (a.groups ?? []).filter((_, i) => !state.get(gqs[i]!).exists);
    if (missingGroups.length) throw new Unresolved(`group ${missingGroups.join(', ')} does not exist`);
    const changes: Change[] = [];
    if (!cur.exists) {
      requireSupport(acc, 'accounts', 'users');
      changes.push({
        kind: 'run',
        description: `create user ${a.name}`,
        command: acc.createUser(a.name, { system: a.system, uid: a.uid, home: a.home, shell: a.shell, group: a.group }),
      });
    }
    const have = new Set(cur.exists ? cur.groups.slice(1) : []);
    const wanted = a.groups ?? [];
    const toAdd = wanted.filter((g) => !have.has(g) && g !== cur.primaryGroup);
    const toLeave = a.append || a.groups === undefined ? [] : [...have].filter((g) => !wanted.includes(g));
    if (toAdd.length || toLeave.length) requireSupport(acc, 'accounts', 'supplementary groups');
    if (toAdd.length) {
      changes.push({ kind: 'run', description: `add ${a.name} to ${toAdd.join(', ')}`, command: acc.addToGroups(a.name, toAdd) });
    }
    for (const g of toLeave) {
      changes.push({ kind: 'run', description: `remove ${a.name} from ${g}`, command: acc.removeFromGroup(a.name, g) });
    }
    const primary = cur.primaryGroup ?? a.group ?? a.name;
    const groups = [primary, ...new Set([...[...have].filter((g) => !toLeave.includes(g)), ...toAdd])];
    const predicts = [{ resource: userResource(a.name), value: { exists: true, uid: cur.uid ?? a.uid, primaryGroup: primary, groups } }];
    if (changes.length === 0) return { changes, reason: `user ${a.name} exists${wanted.length ? ` in ${wanted.join(', ')}` : ''}`, effects: { predicts } };
    // A new account that is not a system one gets its home directory made (useradd -m, pw useradd -m):
    // beyond the account, which a dry run cannot predict; a write below it then depends on this task.
    const home = !cur.exists && !a.system ? { unpredictable: 'other-changes' as const } : {};
    return { changes, effects: { predicts, creates: cur.exists ? undefined : [userResource(a.name)], ...home } };
  },
};
