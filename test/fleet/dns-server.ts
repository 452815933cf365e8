// A real BIND9 (`named` from Debian's bind9) on the controller, primary for the test zones, so
// `fleetplan dns --publish` sends real RFC 2136 updates signed with TSIG and the tests resolve DKIM,
// SPF and DMARC records from a real DNS server instead of fixtures.
//
// Each server gets its own loopback address 127.0.53.N (N = 1..254, from a registry in
// /run/fleetplan-dns like the fleet's 127.0.10.x) and listens there only, on port 5053 — never on
// 0.0.0.0 or port 53, never the machine's resolver — so parallel test runs never collide. named binds
// only addresses configured on an interface (unlike socat, which binds any 127/8 address), so the
// address is added to `lo` as a /32 while the server runs and removed by stop(). Its config,
// zone files, journals and log live in `<out>/dns-127.0.53.N/`. named runs in the foreground
// (`-f`) under `setpriv --pdeathsig KILL`, so it dies with the test process even when `stop()` is
// never reached.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as dnsPromises } from 'node:dns';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface TsigKey {
  name: string;
  algorithm: 'hmac-sha256';
  /** base64 */
  secret: string;
}

export interface DnsServerOptions {
  /** The fleet's out dir (or any test dir): the server's files go into `<out>/dns-<address>/`. */
  out: string;
  /** Zones served as primary, e.g. ['fleet.test', 'example.com']; each allows updates signed by the key. */
  zones: string[];
  /** The TSIG key allowed to update; generated (hmac-sha256, 32 random bytes) when absent. */
  tsig?: TsigKey;
}

export interface DnsServer {
  address: string;
  port: number;
  tsig: TsigKey;
  /** The server's directory (named.conf, zone files and their .jnl journals, named.log). */
  dir: string;
  /** The SOA serial of a zone, read by a query to this server. */
  serial(zone: string): Promise<number>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once named has exited. Idempotent. */
  stop(): Promise<void>;
}

export const DNS_PORT = 5053;
const REGISTRY = '/run/fleetplan-dns';
const READY_TIMEOUT_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Claims a free 127.0.53.N; an entry whose owner process is dead is reclaimed. */
function allocateAddress(): string {
  mkdirSync(REGISTRY, { recursive: true });
  for (let i = 1; i <= 254; i++) {
    const address = `127.0.53.${i}`;
    const f = join(REGISTRY, address);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(f, 'wx');
        writeFileSync(fd, JSON.stringify({ pid: process.pid }) + '\n');
        closeSync(fd);
        return address;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let owner: { pid?: number; named?: number } = {};
        try { owner = JSON.parse(readFileSync(f, 'utf8')); } catch { continue; /* being written */ }
        if ((owner.pid && alive(owner.pid)) || (owner.named && alive(owner.named))) break;
        try { unlinkSync(f); } catch { /* someone else reclaimed it */ }
        loopback('del', address);
      }
    }
  }
  throw new Error(`startDnsServer: no free 127.0.53.x address (registry ${REGISTRY}: ${readdirSync(REGISTRY).length} entries)`);
}

/** Adds or removes `address`/32 on lo; an address already there (or already gone) is fine. */
function loopback(action: 'add' | 'del', address: string): void {
  const r = spawnSync('ip', ['-4', 'addr', action, `${address}/32`, 'dev', 'lo'], { encoding: 'utf8' });
  if (r.status !== 0 && action === 'add' && !/File exists/.test(r.stderr)) throw new Error(`ip addr add ${address}/32 dev lo: ${r.error?.message ?? r.stderr.trim()}`);
}

function release(address: string): void {
  loopback('del', address);
  try { unlinkSync(join(REGISTRY, address)); } catch { /* gone */ }
}

const ZONE_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function zoneFile(zone: string, address: string): string {
  return [
    '$TTL 300',
    `@ IN SOA ns.${zone}. hostmaster.${zone}. ( 1 3600 600 86400 60 )`,
    `@ IN NS ns.${zone}.`,
    `ns IN A ${address}`,
    '',
  ].join('\n');
}

function namedConf(dir: string, address: string, port: number, zones: string[], tsig: TsigKey): string {
  const zoneBlocks = zones.map((z) => `zone "${z}" {\n  type primary;\n  file "${join(dir, `${z}.zone`)}";\n  allow-update { key "${tsig.name}"; };\n};`);
  return [
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${join(dir, 'named.pid')}";`,
    `  session-keyfile "${join(dir, 'session.key')}";`,
    `  managed-keys-directory "${dir}";`,
    `  listen-on port ${port} { ${address}; };`,
    '  listen-on-v6 { none; };',
    '  recursion no;',
    '  allow-query { 127.0.0.0/8; };',
    '  allow-transfer { none; };',
    '  notify no;',
    '  dnssec-validation no;',
    '};',
    'controls { };',
    `key "${tsig.name}" {\n  algorithm ${tsig.algorithm};\n  secret "${tsig.secret}";\n};`,
    `logging {\n  channel log { file "${join(dir, 'named.log')}"; severity info; print-time yes; print-category yes; };\n  category default { log; };\n  category update { log; };\n  category security { log; };\n};`,
    ...zoneBlocks,
    '',
  ].join('\n');
}

function tail(path: string, n = 15): string {
  try { return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).join('\n'); } catch { return ''; }
}

async function querySerial(address: string, port: number, zone: string): Promise<number> {
  // A new resolver per query: c-ares caches answers, and a test reads the serial before and after.
  const resolver = new dnsPromises.Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`${address}:${port}`]);
  return (await resolver.resolveSoa(zone)).serial;
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  if (opts.zones.length === 0) throw new Error('startDnsServer: no zones');
  for (const z of opts.zones) if (!ZONE_NAME.test(z)) throw new Error(`startDnsServer: bad zone name ${JSON.stringify(z)}`);
  const tsig: TsigKey = opts.tsig ?? { name: 'fleetplan-test', algorithm: 'hmac-sha256', secret: randomBytes(32).toString('base64') };
  if (!/^[a-z0-9][a-z0-9.-]*$/i.test(tsig.name) || !/^[A-Za-z0-9+/=]+$/.test(tsig.secret)) throw new Error('startDnsServer: bad TSIG key name or secret');
  if (!existsSync('/usr/sbin/named')) throw new Error('startDnsServer: /usr/sbin/named missing (apt-get install bind9)');
  const address = allocateAddress();
  const port = DNS_PORT;
  const dir = join(resolve(opts.out), `dns-${address}`);
  let child: ChildProcess | undefined;
  try {
    loopback('add', address);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const z of opts.zones) writeFileSync(join(dir, `${z}.zone`), zoneFile(z, address));
    const conf = join(dir, 'named.conf');
    writeFileSync(conf, namedConf(dir, address, port, opts.zones, tsig), { mode: 0o600 });
    const check = spawnSync('named-checkconf', ['-z', conf], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`named-checkconf ${conf}: ${(check.stdout + check.stderr).trim()}`);
    const stderr = openSync(join(dir, 'named.stderr'), 'a');
    // -f foreground, -4 IPv4 only, -n 1 one worker (2-core shared machine), -c our config.
    child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', '/usr/sbin/named', '-f', '-4', '-n', '1', '-c', conf], { stdio: ['ignore', stderr, stderr] });
    closeSync(stderr);
    writeFileSync(join(REGISTRY, address), JSON.stringify({ pid: process.pid, named: child.pid, dir }) + '\n');
    await waitReady(child, address, port, opts.zones, dir);
  } catch (e) {
    if (child) await stopChild(child);
    release(address);
    throw e;
  }
  const proc = child;
  let stopped: Promise<void> | undefined;
  return {
    address,
    port,
    tsig,
    dir,
    serial: (zone) => querySerial(address, port, zone),
    stop: () => (stopped ??= stopChild(proc).finally(() => release(address))),
  };
}

async function waitReady(child: ChildProcess, address: string, port: number, zones: string[], dir: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`named exited (${child.exitCode ?? child.signalCode}) before serving:\n${tail(join(dir, 'named.stderr'))}\n${tail(join(dir, 'named.log'))}`);
    }
    try {
      for (const z of zones) await querySerial(address, port, z);
      return;
    } catch (e) {
      last = (e as Error).message;
      await sleep(100);
    }
  }
  throw new Error(`named on ${address}:${port} not answering SOA queries after ${READY_TIMEOUT_MS} ms (${last}):\n${tail(join(dir, 'named.log'))}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(kill); res(); });
    child.kill('SIGTERM');
  });
}
