// FreeBSD pw(8): one tool for users, groups and membership.
import { shQuote } from '../../connectors/quote.js';
import type { AccountsBackend } from '../backends.js';

export const pw: AccountsBackend = {
  name: 'pw',
  supports: ['users', 'groups', 'supplementary groups'],
  createGroup: (group, opts) => ['pw groupadd', shQuote(group), opts.gid !== undefined ? `-g ${opts.gid}` : ''].filter(Boolean).join(' '),
  createUser(user, opts) {
    return [
      'pw useradd',
      shQuote(user),
      opts.uid !== undefined ? `-u ${opts.uid}` : '',
      opts.group ? `-g ${shQuote(opts.group)}` : '',
      opts.home ? `-d ${shQuote(opts.home)}` : '',
      opts.shell ? `-s ${shQuote(opts.shell)}` : opts.system ? '-s /usr/sbin/nologin' : '',
      opts.system ? '' : '-m',
    ]
      .filter(Boolean)
      .join(' ');
  },
  addToGroups: (user, groups) => groups.map((g) => `pw groupmod ${shQuote(g)} -m ${shQuote(user)}`).join(' && '),
  removeFromGroup: (user, group) => `pw groupmod ${shQuote(group)} -d ${shQuote(user)}`,
  removeUser: (user) => `pw userdel ${shQuote(user)}`,
  removeGroup: (group) => `pw groupdel ${shQuote(group)}`,
};
