// Linux shadow-utils: groupadd/useradd/usermod/gpasswd, the same on Debian and RedHat.
import { shQuote } from '../../connectors/quote.js';
import type { AccountsBackend } from '../backends.js';

export const shadowUtils: AccountsBackend = {
  name: 'shadow-utils',
  supports: ['users', 'groups', 'supplementary groups'],
  createGroup(group, opts) {
    return ['groupadd', opts.system ? '-r' : '', opts.gid !== undefined ? `-g ${opts.gid}` : '', shQuote(group)]
      .filter(Boolean)
      .join(' ');
  },
  createUser(user, opts) {
    return [
      'useradd',
      opts.system ? '-r' : '-m',
      opts.uid !== undefined ? `-u ${opts.uid}` : '',
      opts.home ? `-d ${shQuote(opts.home)}` : '',
      opts.shell ? `-s ${shQuote(opts.shell)}` : '',
      opts.group ? `-g ${shQuote(opts.group)}` : '',
      shQuote(user),
    ]
      .filter(Boolean)
      .join(' ');
  },
  addToGroups: (user, groups) => `usermod -a -G ${shQuote(groups.join(','))} ${shQuote(user)}`,
  removeFromGroup: (user, group) => `gpasswd -d ${shQuote(user)} ${shQuote(group)}`,
  removeUser: (user) => `userdel ${shQuote(user)}`,
  removeGroup: (group) => `groupdel ${shQuote(group)}`,
};
