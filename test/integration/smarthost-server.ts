// The smarthost program. smarthost.ts runs it as
//   nsenter -t <host PID 1> -n -- node smarthost-server.js <config.json>
// i.e. inside a test host's NETWORK namespace only: it listens on that host's 127.0.0.1 while
// still seeing the controller's filesystem (node, node_modules, the config and the output dir).
//
// Protocol with the parent: prints `READY <port>` on stdout once listening; everything else
// (smtp-server's log, errors) goes to stderr. Exits on SIGTERM/SIGINT or when stdin closes
// (the parent died), so a crashed test never leaves a server behind.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface SmarthostServerConfig {
  host: string;
  port: number;
  users: Record<string, string>;
  dir: string;
  keyPath: string;
  certPath: string;
}

/** One accepted message in messages.jsonl. */
export interface SmarthostRecord {
  user: string;
  /** The session was TLS (STARTTLS) when the message was sent. */
  secure: boolean;
  /** e.g. "TLSv1.3"; null without TLS. */
  tlsProtocol: string | null;
  from: string | null;
  to: string[];
  /** The message exactly as received (after dot-unstuffing), base64. */
  raw: string;
  receivedAt: string;
}

/** One AUTH attempt in auth.jsonl (lets a test tell "rejected login" from "never connected"). */
export interface SmarthostAuthAttempt {
  user: string;
  method: string;
  ok: boolean;
  secure: boolean;
  at: string;
}

function main() {
  const cfgPath = process.argv[2];
  if (!cfgPath) throw new Error('usage: smarthost-server.js <config.json>');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as SmarthostServerConfig;
  const messagesPath = join(cfg.dir, 'messages.jsonl');
  const authPath = join(cfg.dir, 'auth.jsonl');
  // session.tlsOptions is getCipher(), whose `version` is the cipher's minimum protocol, not the
  // negotiated one; onSecure gets the socket, so remember getProtocol() per session.
  const protocols = new Map<string, string | null>();
  const log = (...a: unknown[]) => process.stderr.write(`[smarthost ${new Date().toISOString()}] ${a.map(String).join(' ')}\n`);

  const server = new SMTPServer({
    name: 'smarthost.test',
    banner: 'fleetplan test smarthost',
    key: readFileSync(cfg.keyPath),
    cert: readFileSync(cfg.certPath),
    secure: false, // plain SMTP + STARTTLS, like a submission-port smarthost
    authOptional: false, // MAIL FROM before AUTH -> 530
    allowInsecureAuth: false, // AUTH before STARTTLS -> 538, and AUTH not advertised in plaintext
    authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'], // CRAM-MD5 works: validatePassword(plaintext)
    size: 25 << 20,
    logger: false,
    onSecure(socket, session, cb) {
      protocols.set(session.id, (socket as import('node:tls').TLSSocket).getProtocol?.() ?? null);
      cb();
    },
    onAuth(auth, session, cb) {
      const user = auth.username ?? '';
      const expected = Object.prototype.hasOwnProperty.call(cfg.users, user) ? cfg.users[user] : undefined;
      const ok = expected !== undefined && (auth.method === 'CRAM-MD5' ? auth.validatePassword(expected) : auth.password === expected);
      appendFileSync(authPath, JSON.stringify({ user, method: auth.method, ok, secure: !!session.secure, at: new Date().toISOString() } satisfies SmarthostAuthAttempt) + '\n');
      log(`AUTH ${auth.method} ${user} ${ok ? 'ok' : 'FAILED'}`);
      if (!ok) return cb(new Error('Invalid username or password'));
      cb(null, { user });
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (e) => cb(e));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) return cb(Object.assign(new Error('Message too big'), { responseCode: 552 }));
        const rec: SmarthostRecord = {
          user: String(session.user ?? ''),
          secure: !!session.secure,
          tlsProtocol: session.secure ? protocols.get(session.id) ?? null : null,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('base64'),
          receivedAt: new Date().toISOString(),
        };
        // Synchronous: the record is on disk before the client sees 250, so a test that saw the
        // queue empty can read it at once.
        appendFileSync(messagesPath, JSON.stringify(rec) + '\n');
        log(`accepted message from ${rec.from} to ${rec.to.join(',')} as ${rec.user}`);
        cb(null, 'Queued');
      });
    },
    onClose(session) { protocols.delete(session.id); },
  });
  let listening = false;
  server.on('error', (e) => {
    log(`${listening ? 'server error' : 'listen failed'}: ${e.message}`);
    if (!listening) process.exit(2); // the parent reports "exited before ready" with this log
  });

  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${why})`);
    // close() waits for open connections; don't let a stuck client hold the test up.
    setTimeout(() => process.exit(0), 2000).unref();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.stdin.on('end', () => stop('parent went away'));
  process.stdin.on('error', () => stop('parent went away'));
  process.stdin.resume();

  server.listen(cfg.port, cfg.host, () => {
    listening = true;
    process.stdout.write(`READY ${cfg.port}\n`);
  });
}

main();
