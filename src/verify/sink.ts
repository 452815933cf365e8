// The sink `fleetplan verify` runs: an SMTP server standing in for the relays' smarthost, listening on
// the controller's loopback (a port the OS picks) and fed by each host's SSH connection (`ssh -R`, see
// host.ts). It speaks what a smarthost must: STARTTLS (smtp-server's own self-signed certificate)
// and SASL AUTH, which it requires before MAIL FROM, and records per message what the relay did:
// the TLS protocol, the SASL identity (the password is not judged here: the sink does not know it,
// and compares nothing it would have to be given), the envelope and the raw message. Messages are
// matched to hosts by the probe id in their recipient address, so hosts and concurrent runs never mix,
// and count as the probe only when their body carries its secret token (probe.ts newProbeToken): the
// id is public on the host, so anyone there who can connect to the forwarded port could send one.
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { SMTPServerSession } from 'smtp-server';

export interface SinkMessage {
  /** The SASL identity the relay authenticated as; '' when it did not (the sink refuses that). */
  user: string;
  /** The negotiated TLS protocol (e.g. "TLSv1.3"), null when the relay sent in plain text. */
  tls: string | null;
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
  receivedAt: number;
}

export interface Sink {
  port: number;
  /**
   * The message whose recipient carries the probe's id and whose body its token, once it arrived;
   * rejects after timeoutMs.
   */
  waitFor(probe: { id: string; token: string }, timeoutMs: number): Promise<SinkMessage>;
  /** How many messages for this probe's id arrived without its token (forged: not the relay's probe). */
  forged(probe: { id: string; token: string }): number;
  stop(): Promise<void>;
}

/** The probe id carried in a recipient address `probe-<id>@…`. */
const probeIdOf = (address: string) => /^probe-([a-z0-9]+)@/i.exec(address)?.[1];

export async function startSink(): Promise<Sink> {
  // Loaded when a sink starts (an external of the bundle): never at fleetplan's startup.
  const { SMTPServer } = await import('smtp-server');
  // Per probe id, every message that arrived for it (the probe's is the one with its token).
  const received = new Map<string, SinkMessage[]>();
  const waiters = new Map<string, (m: SinkMessage) => void>();
  const protocols = new Map<string, string | null>();
  const deliver = (m: SinkMessage) => {
    for (const id of m.rcptTo.map(probeIdOf)) {
      if (!id) continue;
      received.set(id, [...(received.get(id) ?? []), m]);
      waiters.get(id)?.(m);
    }
  };
  const carries = (m: SinkMessage, token: string) => m.raw.includes(`Token: ${token}`);
  const server = new SMTPServer({
    name: 'fleetplan-verify.invalid',
    banner: 'fleetplan verify sink',
    secure: false,
    authOptional: false,
    allowInsecureAuth: false,
    authMethods: ['PLAIN', 'LOGIN'],
    size: 1 << 20,
    logger: false,
    // The relay's TLS: onSecure sees the socket, whose getProtocol() is the negotiated version.
    onSecure(socket, session, cb) {
      protocols.set(session.id, (socket as TLSSocket).getProtocol?.() ?? null);
      cb();
    },
    onAuth(auth, _session, cb) {
      cb(null, { user: auth.username ?? '' });
    },
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (e) => cb(e));
      stream.on('end', () => {
        deliver({
          user: String(session.user ?? ''),
          tls: session.secure ? (protocols.get(session.id) ?? null) : null,
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          receivedAt: Date.now(),
        });
        cb(null, 'Queued');
      });
    },
    onClose(session) {
      protocols.delete(session.id);
    },
  });
  return new Promise<Sink>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      server.on('error', () => undefined); // a client's broken connection is that host's result, not the run's
      resolve({
        port: (server.server.address() as AddressInfo).port,
        waitFor: ({ id, token }, timeoutMs) =>
          new Promise<SinkMessage>((done, fail) => {
            const got = received.get(id)?.find((m) => carries(m, token));
            if (got) return done(got);
            const timer = setTimeout(() => {
              waiters.delete(id);
              fail(new Error(`no probe reached the sink within ${Math.round(timeoutMs / 1000)} s`));
            }, timeoutMs);
            waiters.set(id, (m) => {
              if (!carries(m, token)) return;
              clearTimeout(timer);
              waiters.delete(id);
              done(m);
            });
          }),
        forged: ({ id, token }) => (received.get(id) ?? []).filter((m) => !carries(m, token)).length,
        stop: () =>
          new Promise<void>((done) => {
            setTimeout(done, 2000).unref(); // close() waits for open sessions: never hang the run on one
            server.close(() => done());
          }),
      });
    });
  });
}
