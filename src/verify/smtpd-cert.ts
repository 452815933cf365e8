// `verify --smtpd-ca <file>`: the relay's OWN certificate — the one its smtpd presents after STARTTLS
// on port 25 (seed 004's ACME certificate) — checked on the controller the way a sending MTA that
// verifies would: the chain against the operator's CA bundle, the name against the relay's
// `myhostname` (what its banner announces), the dates. The connection is opened by the host's sshd
// (`ssh -L`), so it is the relay's smtpd that is judged, from where it listens, with no port opened to
// the controller. nodemailer's SMTP client (mailauth's own dependency) speaks SMTP and STARTTLS; Node's
// TLS verifies. A loopback listener on the controller hands nodemailer's socket to the SSH channel,
// as nodemailer wants a real socket. nodemailer is imported when the check runs (as mailauth and
// smtp-server are): the bundle would otherwise load it for every command.
import { createServer, type Server, type Socket } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { Connection } from '../connectors/connection.js';

export interface SmtpdCertificate {
  ok: boolean;
  /** The name it was checked against (the relay's myhostname). */
  name: string;
  subject?: string;
  issuer?: string;
  daysLeft?: number;
  /** Why it is not OK. */
  error?: string;
}

const SMTPD_PORT = 25;
const TIMEOUT_MS = 10_000;
const DAY_MS = 86_400_000;

/**
 * A loopback port on the controller whose every connection is piped into `address:port` on the host;
 * why the host could not connect goes to `failed` (nodemailer would only see the socket close).
 */
function tunnel(conn: Connection, address: string, port: number, failed: (why: string) => void): Promise<Server> {
  const server = createServer((sock: Socket) => {
    conn.connectOnHost!(address, port).then(
      (stream) => {
        sock.pipe(stream).pipe(sock);
        const end = () => (sock.destroy(), stream.destroy());
        sock.on('error', end);
        stream.on('error', end);
        stream.on('close', () => sock.destroy());
      },
      (err: Error) => {
        failed(err.message);
        sock.destroy();
      },
    );
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok(server));
  });
}

const cn = (x: PeerCertificate['subject'] | undefined) => (x?.CN ? `CN=${Array.isArray(x.CN) ? x.CN[0] : x.CN}` : undefined);

/** STARTTLS to the relay's smtpd; the certificate checked against `ca` (PEM) and `name`. */
export async function checkSmtpdCertificate(conn: Connection, name: string, ca: string): Promise<SmtpdCertificate> {
  if (!conn.connectOnHost) return { ok: false, name, error: 'this connection type cannot reach the relay\'s smtpd' };
  if (!name) return { ok: false, name, error: 'postconf gave no myhostname to check the certificate\'s name against' };
  const { default: SMTPConnection } = await import('nodemailer/lib/smtp-connection/index.js');
  let unreachable: string | undefined;
  const server = await tunnel(conn, '127.0.0.1', SMTPD_PORT, (why) => (unreachable = why));
  let peer: PeerCertificate | undefined;
  const smtp = new SMTPConnection({
    host: '127.0.0.1',
    port: (server.address() as { port: number }).port,
    name: 'fleetplan-verify',
    requireTLS: true,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
    tls: {
      ca,
      servername: name,
      // Called once the chain verified: the certificate is kept for the report, the name checked as usual.
      checkServerIdentity: (host, cert) => {
        peer = cert;
        return checkServerIdentity(host, cert);
      },
    },
  });
  try {
    await new Promise<void>((ok, fail) => {
      smtp.once('error', fail);
      // A socket closed before the greeting ends the session without an error event.
      smtp.once('end', () => fail(new Error('the connection closed before STARTTLS')));
      smtp.connect((err) => (err ? fail(err) : ok()));
    });
    const daysLeft = Math.floor((Date.parse(peer!.valid_to) - Date.now()) / DAY_MS);
    return { ok: true, name, subject: cn(peer!.subject), issuer: cn(peer!.issuer), daysLeft };
  } catch (err) {
    return { ok: false, name, error: unreachable ?? ((err as Error).message || String(err)).replace(/^Error initiating TLS - /, '') };
  } finally {
    smtp.close();
    server.close();
  }
}
