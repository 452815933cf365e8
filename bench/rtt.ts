// Latency in the bench (`npm run bench -- --rtt 100`): every host of a fleet behind its own
// delaying proxy (test/fleet/delay-proxy.ts, RTT/2 each way), an inventory and known_hosts that
// point at the proxies — so fleetplan and Ansible reach the hosts through the same proxies — the
// round trips each host's connections cost in a phase, and the RTT floor: what a minimal ssh2 client
// pays for TCP + the SSH handshake + one exec.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import ssh2 from 'ssh2';
import { startDelayProxy, type DelayProxy } from '../test/fleet/delay-proxy.js';
import type { Fleet } from '../test/fleet/fleet.js';
import { signLoginAtOnce } from '../src/connectors/ssh-signed-login.js';

/** The bench's proxies listen here (ephemeral ports); the proxy tests use 127.0.51.1. */
export const BENCH_PROXY_HOST = '127.0.50.1';

export interface ProxiedFleet {
  /** The fleet as the tools see it: addresses, inventory and known_hosts of the proxies. */
  fleet: Fleet;
  rttMs: number;
  /** Per host: how many connections each proxy has recorded so far (a phase's mark). */
  mark(): Map<string, number>;
  /** Per host, the connections since `mark`: their round trips summed, and how many. */
  since(mark: Map<string, number>): Map<string, { roundTrips: number; conns: number }>;
  close(): Promise<void>;
}

export type FleetTrace = (host: string, conn: number, dir: 'up' | 'down', bytes: number, atMs: number) => void;

export async function proxyFleet(fleet: Fleet, rttMs: number, dir: string, trace?: FleetTrace, listenHost = BENCH_PROXY_HOST): Promise<ProxiedFleet> {
  const proxies = new Map<string, DelayProxy>();
  try {
    for (const h of fleet.hosts) {
      proxies.set(h.name, await startDelayProxy({
        target: { host: h.address, port: h.port }, rttMs, listen: { host: listenHost },
        trace: trace && ((conn, d, bytes, at) => trace(h.name, conn, d, bytes, at)),
      }));
    }
  } catch (e) {
    await Promise.all([...proxies.values()].map((p) => p.close()));
    throw e;
  }
  const at = (name: string) => proxies.get(name)!;
  // known_hosts: each host's key under its proxy's address.
  const keys = readFileSync(fleet.knownHostsPath, 'utf8').split('\n').filter(Boolean);
  const keyOf = (h: Fleet['hosts'][number]) => {
    const addr = h.port === 22 ? h.address : `[${h.address}]:${h.port}`;
    const line = keys.find((l) => l.split(' ')[0] === addr);
    if (!line) throw new Error(`no known_hosts line for ${h.name} (${addr})`);
    return line.slice(line.indexOf(' ') + 1);
  };
  const knownHostsPath = path.join(dir, 'known_hosts.proxied');
  writeFileSync(knownHostsPath, fleet.hosts.map((h) => `[${at(h.name).host}]:${at(h.name).port} ${keyOf(h)}\n`).join(''));
  // The fleet's inventory with each host's ssh_host/ssh_port replaced by its proxy's.
  let inv = readFileSync(fleet.inventoryPath, 'utf8');
  for (const h of fleet.hosts) {
    const p = at(h.name);
    const before = inv;
    inv = inv.replace(`${h.name}: { ssh_host: ${h.address}, ssh_port: ${h.port} }`, `${h.name}: { ssh_host: ${p.host}, ssh_port: ${p.port} }`);
    if (inv === before) throw new Error(`${h.name} not found in ${fleet.inventoryPath}`);
  }
  const inventoryPath = path.join(dir, 'inventory.proxied.yml');
  writeFileSync(inventoryPath, inv.replace('ssh_known_hosts_file: known_hosts', `ssh_known_hosts_file: ${knownHostsPath}`)
    .replace('ssh_private_key_file: id_ed25519', `ssh_private_key_file: ${fleet.keyPath}`));
  const view: Fleet = {
    ...fleet,
    hosts: fleet.hosts.map((h) => ({ ...h, address: at(h.name).host, port: at(h.name).port })),
    inventoryPath,
    knownHostsPath,
  };
  return {
    fleet: view,
    rttMs,
    mark: () => new Map(fleet.hosts.map((h) => [h.name, at(h.name).connections.length])),
    since: (mark) => new Map(fleet.hosts.map((h) => {
      const conns = at(h.name).connections.slice(mark.get(h.name) ?? 0);
      return [h.name, { roundTrips: conns.reduce((a, c) => a + c.roundTrips, 0), conns: conns.length }];
    })),
    close: async () => {
      await Promise.all([...proxies.values()].map((p) => p.close()));
    },
  };
}

export interface RttFloor {
  /** Round trips of one connection doing one exec, per host: min/avg/max. */
  roundTrips: { min: number; avg: number; max: number };
  /** Its wall time per host (connect to close), ms: min/avg/max. */
  ms: { min: number; avg: number; max: number };
  failed: number;
}

/**
 * The RTT floor: on every host (through its proxy, `forks` at a time), a minimal ssh2 client
 * connects, verifies the host key, logs in with the fleet's key (signed at once, as OpenSSH's
 * client and fleetplan's connector do), runs `true` in one exec and disconnects. Nothing any SSH
 * tool could leave out.
 */
export async function rttFloor(px: ProxiedFleet, forks: number): Promise<RttFloor> {
  const { fleet } = px;
  const key = readFileSync(fleet.keyPath);
  const known = new Map(readFileSync(fleet.knownHostsPath, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [addr, , b64] = l.split(' ');
    return [addr!, Buffer.from(b64!, 'base64')] as const;
  }));
  const mark = px.mark();
  const times: number[] = [];
  let failed = 0;
  let next = 0;
  const one = (h: Fleet['hosts'][number]) => new Promise<void>((resolve, reject) => {
    const t0 = performance.now();
    const c = new ssh2.Client();
    c.on('error', reject);
    c.on('close', () => {
      times.push(performance.now() - t0);
      resolve();
    });
    c.on('ready', () => c.exec('true', (err, ch) => {
      if (err) return reject(err);
      ch.on('close', () => c.end()).resume();
      ch.stderr.resume();
    }));
    const want = known.get(`[${h.address}]:${h.port}`);
    // Public key straight away, as fleetplan's connector offers it (ssh2 would try "none" first: one more round trip).
    c.connect({
      host: h.address, port: h.port, username: 'root', hostVerifier: (k: Buffer) => Boolean(want?.equals(k)),
      authHandler: [{ type: 'publickey', username: 'root', key }] as unknown as ssh2.ConnectConfig['authHandler'],
    });
    signLoginAtOnce(c);
  });
  await Promise.all(Array.from({ length: Math.min(forks, fleet.hosts.length) }, async () => {
    while (next < fleet.hosts.length) {
      const h = fleet.hosts[next++]!;
      await one(h).catch(() => failed++);
    }
  }));
  const rts = [...px.since(mark).values()].map((x) => x.roundTrips);
  return { roundTrips: spread(rts), ms: spread(times), failed };
}

export function spread(xs: number[]): { min: number; avg: number; max: number } {
  if (!xs.length) return { min: 0, avg: 0, max: 0 };
  return { min: Math.min(...xs), avg: xs.reduce((a, b) => a + b, 0) / xs.length, max: Math.max(...xs) };
}
