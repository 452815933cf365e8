// -v … -vvvv, as ansible-playbook counts them; each level adds to the one before:
//   -v     every host and task, and every remote command with its exit code and duration
//   -vv    before the run, how each host is reached: login, address, key files, become (never a password)
//   -vvv   under each task, the output of the command it ran (exit status, stdout, stderr; not no_log tasks)
//   -vvvv  the SSH protocol's messages per host (ssh2's debug: key exchange, authentication, channels)
// Everything goes through the run's secret registry, as the rest of the report does.
import path from 'node:path';
import { buildAddress } from '../connectors/address.js';
import { hostVars } from '../load/inventory.js';
import { visible } from '../report/visible.js';
import type { CommonOpts } from './common.js';
import { commandLineConnection } from './connection-flags.js';
import type { Inputs } from './inputs.js';
import { runSecrets } from './run-secrets.js';

export const VERBOSE_OPTION = [
  '-v, --verbose',
  'more detail, repeatable: -v every host, task and remote command; -vv how each host is reached; -vvv each command\'s output; -vvvv SSH protocol messages',
  (_: string, level: number) => level + 1,
  0,
] as const;

/** -vv: one line per targeted host. */
export function describeConnections(inputs: Inputs, opts: CommonOpts): string {
  const lines = inputs.hosts.map((host) => {
    const a = buildAddress(host, { ...hostVars(inputs.inventory, host), ...inputs.extraVars }, {
      inventoryDir: path.dirname(inputs.inventory.file),
      sshConfigFile: opts.sshConfig,
      connectionOverride: opts.connection,
      commandLine: commandLineConnection(opts),
    });
    if (a.connection === 'local') return `  ${host}: local, as ${a.user}`;
    const auth = [a.identityFiles.length ? `keys ${a.identityFiles.join(', ')}` : 'no key file', ...(a.useAgent ? ['ssh-agent'] : []), ...(a.password !== undefined ? ['a password'] : [])];
    const become = `${a.become.enabled ? 'become' : 'become when asked'}: ${a.become.method} to ${a.become.user}${a.become.password !== undefined ? ' with a password' : ''}`;
    return `  ${host}: ${a.user}@${a.host}:${a.port}${a.proxyJump ? ` via ${a.proxyJump.user}@${a.proxyJump.host}:${a.proxyJump.port}` : ''}; ${auth.join(', ')}; ${become}`;
  });
  return visible(runSecrets.redact(`connections:\n${lines.join('\n')}\n`));
}

/** -vvvv: ssh2's debug lines, per host, on the human stream. */
export function sshDebug(level: number, out: NodeJS.WritableStream): { sshDebug?: (host: string, line: string) => void } {
  if (level < 4) return {};
  return { sshDebug: (host, line) => void out.write(visible(runSecrets.redact(`  [${host}] ssh: ${line}\n`))) };
}
