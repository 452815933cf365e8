// A "host" for unit tests: the controller itself through the local connector, so batch and exec
// scripts run under a real POSIX sh with real files (in a temp directory).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import type { Connection, HostAddress } from '../../src/connectors/connection.js';
import { connectLocal } from '../../src/connectors/local.js';

export function localAddress(name = 'local'): HostAddress {
  return {
    name,
    connection: 'local',
    host: 'localhost',
    port: 0,
    user: userInfo().username,
    identityFiles: [],
    useAgent: false,
    knownHostsFiles: [],
    acceptNewHostKeys: false,
    connectTimeoutMs: 5000,
    become: { enabled: false, user: 'root', method: 'sudo' },
  };
}

export async function localHost(): Promise<{ conn: Connection; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-test-'));
  const conn = await connectLocal(localAddress());
  return {
    conn,
    dir,
    cleanup: async () => {
      await conn.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
