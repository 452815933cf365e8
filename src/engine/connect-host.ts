// Reaching one inventory host: its address from inventory vars (extra vars win, as with Ansible's
// `-e ansible_user=...`), ~/.ssh/config and the run's connection options. apply, facts and dns share it.
import path from 'node:path';
import { buildAddress, type CommandLineConnection } from '../connectors/address.js';
import type { Connection } from '../connectors/connection.js';
import { connect } from '../connectors/index.js';
import { hostVars } from '../load/inventory.js';
import type { Inventory, Vars } from '../load/model.js';

export interface ConnectOptions {
  acceptNewHostKeys?: boolean;
  connectTimeoutMs?: number;
  sshConfigFile?: string;
  connectionOverride?: 'ssh' | 'local';
  /** -u, --private-key, -k, --become-user, --become-method, -K: below every connection variable. */
  commandLine?: CommandLineConnection;
  /** -vvvv: the SSH library's protocol messages, per host. */
  sshDebug?: (host: string, line: string) => void;
}

export function connectHost(inventory: Inventory, host: string, extraVars: Vars, opts: ConnectOptions): Promise<Connection> {
  const addr = buildAddress(host, { ...hostVars(inventory, host), ...extraVars }, {
    inventoryDir: path.dirname(inventory.file),
    acceptNewHostKeys: opts.acceptNewHostKeys,
    connectTimeoutMs: opts.connectTimeoutMs,
    sshConfigFile: opts.sshConfigFile,
    connectionOverride: opts.connectionOverride,
    commandLine: opts.commandLine,
    sshDebug: opts.sshDebug,
  });
  return connect(addr);
}
