// A real SMTP smarthost (STARTTLS + SASL AUTH) running INSIDE a test host's network namespace,
// so that host's Postfix reaches it at [127.0.0.1]:2525 without the host having any network.
// The server (smarthost-server.ts) is started with `nsenter -n` only: it shares the controller's
// mount namespace, so it runs the controller's node and writes its records straight into `dir`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SmarthostAuthAttempt, SmarthostRecord, SmarthostServerConfig } from './smarthost-server.js';

export type { SmarthostAuthAttempt, SmarthostRecord } from './smarthost-server.js';

export interface SmarthostOptions {
  /** Controller-side pid of any process in the target network namespace (FleetHost.pid). */
  netnsPid: number;
  /** Port on the namespace's 127.0.0.1. Default 2525. */
  port?: number;
  /** username -> password accepted by AUTH. */
  users: Record<string, string>;
  /** Where the cert, config, log and messages.jsonl go (created if missing). */
  dir: string;
  /** How long to wait for the READY line. Default 15 s. */
  readyTimeoutMs?: number;
}

export interface Smarthost {
  port: number;
  /** The self-signed server certificate (PEM); give it to Postfix as smtp_tls_CAfile to verify. */
  caCertPath: string;
  /** stderr of the server (auth results, accepted messages, errors). */
  logPath: string;
  messages(): Promise<SmarthostRecord[]>;
  /** AUTH attempts, successful or not. */
  authAttempts(): Promise<SmarthostAuthAttempt[]>;
  /** Resolves with all messages once at least n were accepted; rejects after timeoutMs. */
  waitForMessages(n: number, timeoutMs?: number): Promise<SmarthostRecord[]>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
}

const SERVER_JS = fileURLToPath(new URL('./smarthost-server.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readJsonl<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

function tail(path: string, n = 20): string {
  try { return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).join('\n'); } catch { return ''; }
}

/** Self-signed cert for CN=smarthost.test with SAN IP:127.0.0.1 (what Postfix connects to). */
function makeCert(dir: string): { keyPath: string; certPath: string } {
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '7',
    '-subj', '/CN=smarthost.test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:smarthost.test',
    '-keyout', keyPath, '-out', certPath], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`openssl req failed: ${r.error?.message ?? r.stderr.trim()}`);
  return { keyPath, certPath };
}

export async function startSmarthost(opts: SmarthostOptions): Promise<Smarthost> {
  const port = opts.port ?? 2525;
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(`/proc/${opts.netnsPid}/ns/net`)) throw new Error(`startSmarthost: no process ${opts.netnsPid} (netnsPid)`);
  if (!existsSync(SERVER_JS)) throw new Error(`startSmarthost: ${SERVER_JS} missing (build with tsc first)`);
  const { keyPath, certPath } = makeCert(dir);
  const cfg: SmarthostServerConfig = { host: '127.0.0.1', port, users: opts.users, dir, keyPath, certPath };
  const cfgPath = join(dir, 'smarthost.json');
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  const logPath = join(dir, 'smarthost.log');
  const logFd = openSync(logPath, 'a');

  // nsenter without --fork execs node in place (only a PID namespace would need a fork), so
  // child.pid is the server itself and signals reach it directly. stdin is a pipe the server
  // watches: if this process dies, the pipe closes and the server exits.
  const child: ChildProcess = spawn('nsenter', ['-t', String(opts.netnsPid), '-n', '--', process.execPath, SERVER_JS, cfgPath],
    { stdio: ['pipe', 'pipe', logFd] });
  closeSync(logFd);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitP = new Promise<void>((res) => {
    child.once('exit', (code, signal) => { exited = { code, signal }; res(); });
    // spawn failure (e.g. no nsenter) emits 'error' and possibly no 'exit'.
    child.once('error', (e) => { process.stderr.write(`smarthost: ${e.message}\n`); exited ??= { code: null, signal: null }; res(); });
  });

  // Readiness: the READY line is printed from listen()'s callback, inside the namespace, so the
  // port is bound by then. stdout keeps being drained afterwards so the pipe never fills.
  let out = '';
  const ready = new Promise<void>((res, rej) => {
    const timeoutMs = opts.readyTimeoutMs ?? 15_000;
    const timer = setTimeout(() => rej(new Error(`smarthost not ready after ${timeoutMs} ms on 127.0.0.1:${port} in netns of pid ${opts.netnsPid}\n--- ${logPath} ---\n${tail(logPath)}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^READY \d+$/m.test(out)) { clearTimeout(timer); res(); }
    });
    void exitP.then(() => {
      clearTimeout(timer);
      rej(new Error(`smarthost exited before ready (code ${exited?.code}, signal ${exited?.signal})\n--- ${logPath} ---\n${tail(logPath)}`));
    });
  });

  let stopped: Promise<void> | undefined;
  const stop = () => stopped ??= (async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitP;
      clearTimeout(killer);
    }
    child.stdin?.destroy();
    child.stdout?.destroy();
  })();

  try {
    await ready;
  } catch (e) {
    await stop();
    throw e;
  }

  const messagesPath = join(dir, 'messages.jsonl');
  const messages = async () => readJsonl<SmarthostRecord>(messagesPath);
  return {
    port,
    caCertPath: certPath,
    logPath,
    messages,
    authAttempts: async () => readJsonl<SmarthostAuthAttempt>(join(dir, 'auth.jsonl')),
    waitForMessages: async (n, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = await messages();
        if (m.length >= n) return m;
        if (exited) throw new Error(`smarthost exited (code ${exited.code}) while waiting for ${n} message(s)\n${tail(logPath)}`);
        if (Date.now() > deadline) throw new Error(`smarthost: ${m.length} of ${n} message(s) after ${timeoutMs} ms\n--- ${logPath} ---\n${tail(logPath)}`);
        await sleep(200);
      }
    },
    stop,
  };
}
