// The connectors' front door: the engine calls connect() and never names a transport.
import type { Connection, HostAddress } from './connection.js';
import { connectLocal } from './local.js';
import { connectSsh } from './ssh.js';

export function connect(addr: HostAddress): Promise<Connection> {
  return addr.connection === 'local' ? connectLocal(addr) : connectSsh(addr);
}

export * from './connection.js';
export { buildAddress, type BuildAddressOptions } from './address.js';
export { resolveSshConfig, type SshConfigResult } from './ssh-config.js';
export { shQuote } from '../core/quote.js';
export { connectSsh } from './ssh.js';
export { connectLocal } from './local.js';
