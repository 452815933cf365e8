// FreeBSD pw(8): one tool for users, groups and membership.
import { shQuote } from '../../core/quote.js';
import type { AccountsBackend } from '../backends.js';
import { ACCOUNT_NAME, quotedName } from '../names.js';

// pw wants the name first (`pw useradd name -u …`), before any `--` could go: the grammar is what
// keeps a name from being an option.
const q = (name: string) => quotedName(ACCOUNT_NAME, name);

export const pw: AccountsBackend = {
  name: 'pw',
  names: ACCOUNT_NAME,
  supports: ['users', 'groups', 'supplementary groups'],
  createGroup: (group, opts) => ['pw groupadd', q(group), opts.gid !== undefined ? `-g ${opts.gid}` : ''].filter(Boolean).join(' '),
  createUser(user, opts) {
    return [
      'pw useradd',
      q(user),
      opts.uid !== undefined ? `-u ${opts.uid}` : '',
      opts.group ? `-g ${q(opts.group)}` : '',
      opts.home ? `-d ${shQuote(opts.home)}` : '',
      opts.shell ? `-s ${shQuote(opts.shell)}` : opts.system ? '-s /usr/sbin/nologin' : '',
      opts.system ? '' : '-m',
    ]
      .filter(Boolean)
      .join(' ');
  },
  addToGroups: (user, groups) => groups.map((g) => `pw groupmod ${q(g)} -m ${q(user)}`).join(' && '),
  removeFromGroup: (user, group) => `pw groupmod ${q(group)} -d ${q(user)}`,
  removeUser: (user) => `pw userdel ${q(user)}`,
  removeGroup: (group) => `pw groupdel ${q(group)}`,
};
