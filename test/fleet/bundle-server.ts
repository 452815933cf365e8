// HTTPS servers for `fleetplan pull`'s tests: one process per network namespace (a test host's,
// entered with `nsenter -n`, or the controller's own), serving two directories at two loopback
// addresses of that namespace — BUNDLE_ADDRESS for bundles, DIGEST_ADDRESS for their sha256sum files
// (pull refuses a digest from the bundle's own host). A throw-away CA made with openssl signs the
// certificate of both; hosts trust it through pull's --ca-file. Under `setpriv --pdeathsig KILL`, so
// a server dies with the test process; `stop()` ends it earlier.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Inside a host's namespace its loopback is its own: no other test's server can be there. */
export const BUNDLE_ADDRESS = '127.0.60.1';
export const DIGEST_ADDRESS = '127.0.60.2';
/** On the controller (tests without a fleet): addresses no other test uses. */
export const LOCAL_BUNDLE_ADDRESS = '127.0.61.1';
export const LOCAL_DIGEST_ADDRESS = '127.0.61.2';
export const PORT = 8443;

const here = path.dirname(fileURLToPath(import.meta.url));

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.error?.message ?? r.stderr.trim()}`);
}

export interface TestCa {
  ca: string;
  cert: string;
  key: string;
}

/** A CA and one certificate, for the addresses given, signed by it. */
export function makeTestCa(dir: string, addresses: string[]): TestCa {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=fleetplan pull test CA', '-keyout', f('ca.key'), '-out', f('ca.pem')]);
  openssl(['req', ...ec, '-subj', `/CN=${addresses[0]}`, '-keyout', f('key.pem'), '-out', f('server.csr')]);
  writeFileSync(f('san.ext'), `subjectAltName=${addresses.map((a) => `IP:${a}`).join(',')}\n`);
  openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('san.ext'), '-out', f('cert.pem')]);
  return { ca: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem') };
}

export interface BundleServer {
  stop(): Promise<void>;
  /** What it wrote to stderr so far (requests served, tunnels opened). */
  log(): string;
}

/** Serves `dirs` (address → directory); in the network namespace of `netnsPid` when given. */
export function startBundleServer(opts: { tls: TestCa; dirs: Record<string, string>; netnsPid?: number; log: string }): Promise<BundleServer> {
  const args = [path.join(here, 'https-static.js'), opts.tls.cert, opts.tls.key, String(PORT), ...Object.entries(opts.dirs).map(([a, d]) => `${a}=${d}`)];
  return startHelper('bundle server', args, opts.netnsPid, opts.log);
}

/** The host's HTTPS_PROXY in its own namespace: a CONNECT proxy at PROXY_ADDRESS:PROXY_PORT (connect-proxy.ts); its log lists the tunnels. */
export const PROXY_ADDRESS = '127.0.62.1';
export const PROXY_PORT = 3128;
export function startConnectProxy(opts: { netnsPid: number; log: string }): Promise<BundleServer> {
  return startHelper('CONNECT proxy', [path.join(here, 'connect-proxy.js'), PROXY_ADDRESS, String(PROXY_PORT)], opts.netnsPid, opts.log);
}

/** A helper process (a node script printing "ready"), in `netnsPid`'s network namespace when given; stop() writes its stderr to `log`. */
async function startHelper(what: string, args: string[], netnsPid: number | undefined, log: string): Promise<BundleServer> {
  const cmd = ['setpriv', '--pdeathsig', 'KILL', '--', process.execPath, ...args];
  const full = netnsPid === undefined ? cmd : ['nsenter', '-t', String(netnsPid), '-n', '--', ...cmd];
  const child: ChildProcess = spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const stop = () =>
    new Promise<void>((res) => {
      writeFileSync(log, stderr);
      if (child.exitCode !== null || child.signalCode !== null) return res();
      child.once('exit', () => res());
      child.kill('SIGKILL');
    });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready after 10 s: ${stderr}`)), 10_000);
    child.stdout!.on('data', (d) => String(d).includes('ready') && (clearTimeout(timer), resolve()));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${what} exited (${code}): ${stderr}`))));
  });
  return { stop, log: () => stderr };
}
