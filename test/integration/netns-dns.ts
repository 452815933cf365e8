// A real BIND9 INSIDE a test host's network namespace, at 127.0.0.1:53 there, serving one zone from a
// zone file: what the host's own resolvers (Postfix's SPF policy daemon, OpenDMARC) query, since a
// host cannot reach anything outside its namespace (test/fleet/dns-server.ts serves the controller).
// Started as smarthost.ts starts its server: `nsenter -n` only, so named is the controller's and its
// files stay on the controller; under `setpriv --pdeathsig KILL`, so it dies with the test process.
// The address is the namespace's own loopback: no two hosts' servers can collide.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess } from '../run-process.js';

export interface NetnsDns {
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `records`: relative owner name → TXT value, e.g. `{ good: 'v=spf1 ip4:192.0.2.25 -all' }`. */
export async function startNetnsDns(opts: { netnsPid: number; dir: string; zone: string; records: Record<string, string> }): Promise<NetnsDns> {
  const { dir, zone } = opts;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const txt = Object.entries(opts.records).map(([name, value]) => `${name} IN TXT "${value.replace(/(["\\])/g, '\\$1')}"`);
  writeFileSync(join(dir, `${zone}.zone`), ['$TTL 60', `@ IN SOA ns.${zone}. hostmaster.${zone}. ( 1 3600 600 86400 60 )`, `@ IN NS ns.${zone}.`, 'ns IN A 127.0.0.1', ...txt, ''].join('\n'));
  const conf = join(dir, 'named.conf');
  writeFileSync(conf, [
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${join(dir, 'named.pid')}";`,
    `  session-keyfile "${join(dir, 'session.key')}";`,
    `  managed-keys-directory "${dir}";`,
    '  listen-on port 53 { 127.0.0.1; };',
    '  listen-on-v6 { none; };',
    '  recursion no;',
    '  allow-query { any; };',
    '  notify no;',
    '  dnssec-validation no;',
    '};',
    'controls { };',
    `logging { channel log { file "${join(dir, 'named.log')}"; severity info; print-time yes; }; category default { log; }; };`,
    `zone "${zone}" { type primary; file "${join(dir, `${zone}.zone`)}"; };`,
    '',
  ].join('\n'));
  const err = openSync(join(dir, 'named.stderr'), 'a');
  const child: ChildProcess = spawn('nsenter', ['-t', String(opts.netnsPid), '-n', '--', 'setpriv', '--pdeathsig', 'KILL', '--', '/usr/sbin/named', '-f', '-4', '-n', '1', '-c', conf], { stdio: ['ignore', err, err] });
  closeSync(err);
  const stop = () =>
    new Promise<void>((res) => {
      if (child.exitCode !== null || child.signalCode !== null) return res();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => (clearTimeout(kill), res()));
      child.kill('SIGTERM');
    });
  for (const until = Date.now() + 20_000; Date.now() < until; await sleep(100)) {
    if (child.exitCode !== null) break;
    const r = await runProcess('nsenter', ['-t', String(opts.netnsPid), '-n', '--', 'dig', '+short', '+time=1', '+tries=1', '@127.0.0.1', 'SOA', zone], { timeoutMs: 5000 });
    if (r.code === 0 && r.stdout.trim()) return { stop };
  }
  await stop();
  let log = '';
  try { log = readFileSync(join(dir, 'named.stderr'), 'utf8') + readFileSync(join(dir, 'named.log'), 'utf8'); } catch { /* none yet */ }
  throw new Error(`named in the namespace of pid ${opts.netnsPid} did not answer for ${zone}:\n${log.slice(-2000)}`);
}
