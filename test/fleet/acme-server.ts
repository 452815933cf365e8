// A real ACME server (`pebble` from Debian) on the controller, so the ACME certificate tests issue
// and renew from a CA that speaks the protocol Let's Encrypt does, and check the DNS-01 challenge
// for real: pebble resolves `_acme-challenge.<domain>` through the test fleet's BIND9
// (dns-server.ts) — the record certbot published there by RFC 2136.
//
// Pebble listens on 127.0.54.1 (a loopback address no other test server uses; Go binds any 127/8
// address without it being on `lo`) on two free ports: the ACME directory and the management
// interface that hands out the issuing root. Its own HTTPS certificate comes from a throw-away CA
// made here with openssl; clients trust it through `caBundle`. Its files live in
// `<out>/acme-<port>/`; it runs under `setpriv --pdeathsig KILL`, so it dies with the test process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Agent, get } from 'node:https';

export interface AcmeServer {
  /** The ACME directory URL certbot is pointed at. */
  directoryUrl: string;
  /** The CA bundle that verifies pebble's own HTTPS (REQUESTS_CA_BUNDLE for certbot). */
  caBundle: string;
  /** The root that issued the relays' certificates (PEM), to verify their chains against. */
  issuingRoot(): Promise<string>;
  stop(): Promise<void>;
}

const ADDRESS = '127.0.54.1';
const READY_TIMEOUT_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, ADDRESS, () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.error?.message ?? r.stderr.trim()}`);
}

/** A CA and a certificate for ADDRESS signed by it: pebble's HTTPS identity. */
function makeTlsIdentity(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-days', '30', '-subj', '/CN=fleetplan test ACME server CA', '-keyout', f('ca.key'), '-out', f('ca.pem')]);
  openssl(['req', ...ec, '-subj', `/CN=${ADDRESS}`, '-keyout', f('key.pem'), '-out', f('server.csr')]);
  writeFileSync(f('san.ext'), `subjectAltName=IP:${ADDRESS},DNS:localhost\n`);
  openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '30', '-extfile', f('san.ext'), '-out', f('cert.pem')]);
  return { ca: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem') };
}

function fetchText(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = get(url, { agent: new Agent({ ca: readFileSync(ca) }), timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', fail);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** Starts pebble resolving through `dns` (the fleet's BIND9: `address:port`). */
export async function startAcmeServer(opts: { out: string; dns: { address: string; port: number } }): Promise<AcmeServer> {
  const [port, management] = [await freePort(), await freePort()];
  const dir = join(resolve(opts.out), `acme-${port}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tls = makeTlsIdentity(dir);
  const config = join(dir, 'pebble-config.json');
  writeFileSync(
    config,
    JSON.stringify({ pebble: { listenAddress: `${ADDRESS}:${port}`, managementListenAddress: `${ADDRESS}:${management}`, certificate: tls.cert, privateKey: tls.key, httpPort: 5002, tlsPort: 5001, ocspResponderURL: '', externalAccountBindingRequired: false } }, null, 1),
  );
  const log = openSync(join(dir, 'pebble.log'), 'a');
  // NOSLEEP: no random pause before each validation; NONCEREJECT=0: no deliberately refused nonces
  // (certbot retries them, but every retry is time in a suite with a budget).
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'pebble', '-config', config, '-dnsserver', `${opts.dns.address}:${opts.dns.port}`], {
    stdio: ['ignore', log, log],
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
  });
  closeSync(log);
  const directoryUrl = `https://${ADDRESS}:${port}/dir`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pebble exited (${child.exitCode}):\n${readFileSync(join(dir, 'pebble.log'), 'utf8').slice(-2000)}`);
    const r = await fetchText(directoryUrl, tls.ca).catch(() => undefined);
    if (r?.status === 200) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`pebble on ${directoryUrl} not answering after ${READY_TIMEOUT_MS} ms`);
    }
    await sleep(100);
  }
  let stopped: Promise<void> | undefined;
  return {
    directoryUrl,
    caBundle: tls.ca,
    issuingRoot: async () => (await fetchText(`https://${ADDRESS}:${management}/roots/0`, tls.ca)).body,
    stop: () => (stopped ??= stopChild(child)),
  };
}
