// Linux shadow-utils: groupadd/useradd/usermod/gpasswd, the same on Debian and RedHat.
import { shQuote } from '../../core/quote.js';
import type { AccountsBackend } from '../backends.js';
import { ACCOUNT_NAME, checkName, quotedName } from '../names.js';

const q = (name: string) => quotedName(ACCOUNT_NAME, name);

// Every name is checked, and operands follow `--` (getopt_long in all of shadow-utils' tools).
export const shadowUtils: AccountsBackend = {
  name: 'shadow-utils',
  names: ACCOUNT_NAME,
  supports: ['users', 'groups', 'supplementary groups'],
  createGroup(group, opts) {
    return ['groupadd', opts.system ? '-r' : '', opts.gid !== undefined ? `-g ${opts.gid}` : '', '--', q(group)]
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
      opts.group ? `-g ${q(opts.group)}` : '',
      '--',
      q(user),
    ]
      .filter(Boolean)
      .join(' ');
  },
  addToGroups: (user, groups) => `usermod -a -G ${shQuote(groups.map((g) => checkName(ACCOUNT_NAME, g)).join(','))} -- ${q(user)}`,
  removeFromGroup: (user, group) => `gpasswd -d ${q(user)} -- ${q(group)}`,
  removeUser: (user) => `userdel -- ${q(user)}`,
  removeGroup: (group) => `groupdel -- ${q(group)}`,
};
