// Ansible's extra ssh(1) arguments in an inventory (`ansible_ssh_common_args`, `ansible_ssh_extra_args`,
// `ansible_ssh_args`), brought over from INI and YAML inventories. fleetplan does not run ssh(1), so
// the words are read, never passed on: a jump host (`-J bastion`, `-o ProxyJump=bastion`) becomes
// ssh_proxy_jump; options about OpenSSH's own connection sharing, compression and keep-alives mean
// nothing here and are ignored; anything else — ProxyCommand, turning host key checking off, other
// flags — is an input error naming the variable and what to do instead, never silently dropped.
import { split } from 'shlex';

export const SSH_ARGS_VARS = ['ansible_ssh_common_args', 'ansible_ssh_extra_args', 'ansible_ssh_args'] as const;

/** OpenSSH options with no bearing on fleetplan's single connection per host. */
const IRRELEVANT_OPTIONS = new Set(['controlmaster', 'controlpersist', 'controlpath', 'compression', 'serveraliveinterval', 'serveralivecountmax', 'tcpkeepalive', 'loglevel']);
const IRRELEVANT_FLAGS = new Set(['-C', '-q', '-v', '-vv', '-vvv', '-T', '-tt', '-t']);
const HOST_KEY_OPTIONS = new Set(['stricthostkeychecking', 'userknownhostsfile', 'globalknownhostsfile']);

export class SshArgsError extends Error {}

/** The jump host the arguments ask for, if any; throws SshArgsError for what fleetplan cannot honour. */
export function proxyJumpFromSshArgs(variable: string, value: string): string | undefined {
  let words: string[];
  try {
    words = split(value);
  } catch (err) {
    throw new SshArgsError(`${variable}: cannot split '${value}': ${(err as Error).message}`);
  }
  let jump: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const next = () => {
      if (i + 1 >= words.length) throw new SshArgsError(`${variable}: ${w} needs a value`);
      return words[++i]!;
    };
    if (w === '-J') jump = next();
    else if (w.startsWith('-J')) jump = w.slice(2);
    else if (w === '-o' || (w.startsWith('-o') && w.length > 2)) {
      const opt = w === '-o' ? next() : w.slice(2);
      const m = /^([A-Za-z]+)\s*[= ]\s*(.*)$/.exec(opt);
      const key = m?.[1]!.toLowerCase();
      if (key === 'proxyjump') jump = m![2]!;
      else if (key && IRRELEVANT_OPTIONS.has(key)) continue;
      else if (key && HOST_KEY_OPTIONS.has(key)) {
        throw new SshArgsError(`${variable}: '-o ${opt}' is not honoured: fleetplan always verifies host keys (known_hosts, or ssh_known_hosts_file); --accept-new-hostkeys trusts a new host on first use`);
      } else {
        throw new SshArgsError(`${variable}: '-o ${opt}' is not supported: fleetplan does not run ssh(1); set it in ~/.ssh/config (HostName, User, Port, IdentityFile, ProxyJump and UserKnownHostsFile are read) or use ssh_proxy_jump`);
      }
    } else if (IRRELEVANT_FLAGS.has(w)) continue;
    else {
      throw new SshArgsError(`${variable}: '${w}' is not supported: fleetplan does not run ssh(1); use the connection variables (ssh_port, ssh_user, ssh_private_key_file, ssh_proxy_jump) or ~/.ssh/config`);
    }
  }
  return jump;
}
