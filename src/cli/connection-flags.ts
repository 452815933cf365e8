// The connection flags Ansible users type: -u, --private-key, -k, -b, -K, --become-user,
// --become-method. As in Ansible they are the lowest precedence: any connection variable (inventory,
// group_vars/host_vars, -e; either spelling) and, for -b, a task's or play's `become:` win over them.
// Passwords asked for with -k/-K are Secrets of the run: they reach hosts only on the stdin of the
// program that asks (sshd's password exchange, sudo -S / su), never in argv, logs or reports.
import { Option, type Command } from 'commander';
import path from 'node:path';
import type { CommandLineConnection } from '../connectors/address.js';
import type { BecomeMethod } from '../connectors/connection.js';
import { Secret } from '../core/secret.js';
import { prompt } from '../vault/passphrase.js';
import { runSecrets } from './run-secrets.js';

export interface ConnectionFlagOpts {
  user?: string;
  privateKey?: string;
  askPass?: boolean;
  become?: boolean;
  askBecomePass?: boolean;
  becomeUser?: string;
  becomeMethod?: BecomeMethod;
  /** Set by the preAction hook from the -k / -K prompts. */
  promptedPassword?: Secret;
  promptedBecomePassword?: Secret;
}

export function addConnectionFlags(cmd: Command): Command {
  return cmd
    .option('-u, --user <name>', 'log in as this user where no ssh_user/ansible_user variable says (it wins over ~/.ssh/config)')
    .option('--private-key <file>', 'private key file where no ssh_private_key_file variable says')
    .option('-k, --ask-pass', 'ask for the SSH login password (on the terminal, not echoed)')
    .option('-b, --become', 'become (sudo) where neither the task, its play nor the host\'s become variable says')
    .option('-K, --ask-become-pass', 'ask for the become password (on the terminal, not echoed); fed to sudo/su on stdin only')
    .option('--become-user <name>', 'become this user where no become_user says (default root)')
    .addOption(new Option('--become-method <method>', 'become with this program where no become_method says (default sudo)').choices(['sudo', 'su', 'doas']))
    .hook('preAction', (c) => askPasswords(c));
}

function askPasswords(c: Command): void {
  const o = c.opts<ConnectionFlagOpts>();
  for (const [flag, wanted, key, what] of [
    ['-k/--ask-pass', o.askPass, 'promptedPassword', 'SSH password'],
    ['-K/--ask-become-pass', o.askBecomePass, 'promptedBecomePassword', 'BECOME password'],
  ] as const) {
    if (!wanted) continue;
    if (!process.stdin.isTTY) {
      process.stderr.write(`error: ${flag} asks on a terminal and stdin is not one; give the ${what.toLowerCase()} as a vaulted (!vault) or !secret_env inventory variable instead\n`);
      process.exit(2);
    }
    let answer: string;
    try {
      answer = prompt(`${what}: `);
    } catch {
      process.stderr.write(`error: no ${what.toLowerCase()} entered (prompt interrupted)\n`);
      process.exit(2);
    }
    c.setOptionValue(key, new Secret(answer, runSecrets));
  }
}

/** What the connectors take from these flags. */
export function commandLineConnection(o: ConnectionFlagOpts): CommandLineConnection {
  return {
    ...(o.user !== undefined ? { user: o.user } : {}),
    ...(o.privateKey !== undefined ? { privateKeyFile: path.resolve(o.privateKey) } : {}),
    ...(o.promptedPassword !== undefined ? { password: o.promptedPassword } : {}),
    ...(o.become ? { become: true } : {}),
    ...(o.becomeUser !== undefined ? { becomeUser: o.becomeUser } : {}),
    ...(o.becomeMethod !== undefined ? { becomeMethod: o.becomeMethod } : {}),
    ...(o.promptedBecomePassword !== undefined ? { becomePassword: o.promptedBecomePassword } : {}),
  };
}
