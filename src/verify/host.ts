// One host's verify: read the relay (relayhost, TLS level, Postfix running, queue), stand the sink in
// for its smarthost (the host's sshd listens at the smarthost's loopback address and hands each
// connection back over the host's SSH connection, as `ssh -R`), submit a probe with Postfix's
// sendmail, wait for the sink to receive it, judge what arrived, and check the queue drained.
// Nothing on the host is changed but the probe it sends; a stopped Postfix gets no probe (it would
// sit in the maildrop and leave later, when nobody is listening for it).
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Connection } from '../connectors/connection.js';
import { authVerdicts, senderIp, type AuthVerdicts } from './evaluate.js';
import {
  exactForwardAddress,
  isLoopback,
  newProbeId,
  parseRelayhost,
  parseRelayState,
  type Probe,
  probeMessage,
  probeQueued,
  queueCommand,
  queueEmpty,
  relayStateScript,
  submitCommand,
  type RelayState,
} from './probe.js';
import type { Sink, SinkMessage } from './sink.js';
import { checkSmtpdCertificate, type SmtpdCertificate } from './smtpd-cert.js';
import type { Resolver } from 'node:dns/promises';

export interface HostVerifyInput {
  host: string;
  /** The domain the probe is sent from (its DKIM d=, SPF and DMARC domain). */
  domain: string;
  /** Selectors the plan has the host sign with for `domain`. */
  selectors: string[];
  become: boolean;
  /** The sink, in `sink` mode. */
  sink?: Sink;
  resolver: Resolver;
  timeoutMs: number;
  /**
   * Where the probe goes: `sink` (the sink stands in for the smarthost) or `smarthost` (the relay's
   * real smarthost, to `probeTo`; only the hand-over is observed).
   */
  mode: 'sink' | 'smarthost';
  probeTo?: string;
  /** CA bundle (PEM) the relay's own smtpd certificate is checked against (--smtpd-ca); undefined: not checked. */
  smtpdCa?: string;
}

export interface HostVerify {
  host: string;
  probe: string;
  mode: 'sink' | 'smarthost';
  postfix: 'running' | 'stopped' | 'unknown';
  relayhost: string;
  delivered: boolean;
  /** Seconds from submission to the sink's receipt. */
  seconds?: number;
  /** TLS from the relay to the smarthost (the sink): the version, and what the relay demands of its certificate. */
  tls: { version: string | null; certificate: string } | null;
  /** The relay's own smtpd certificate (--smtpd-ca); null: not checked. */
  smtpdCertificate: SmtpdCertificate | null;
  sasl: string | null;
  auth: AuthVerdicts | null;
  queue: { empty: boolean; listing: string };
  /** Why the host does not pass, one phrase each; empty: it passes. */
  problems: string[];
}

/** What the relay demands of the smarthost's certificate (Postfix's smtp_tls_security_level). */
function certificatePolicy(level: string): string {
  if (level === 'verify' || level === 'secure') return `verified by the relay (smtp_tls_security_level=${level})`;
  return `not verified by the relay (smtp_tls_security_level=${level || 'none'})`;
}

/** The deferral reasons postqueue -p gives for queued messages: the lines in parentheses. */
const queueReasons = (listing: string) => listing.split('\n').map((l) => l.trim()).filter((l) => /^\(.*\)$/.test(l));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readQueue(conn: Connection, become: boolean, settleMs: number): Promise<{ empty: boolean; listing: string }> {
  // Postfix removes the queue file just after the smarthost's 250: give it a moment.
  for (const until = Date.now() + settleMs; ; await sleep(500)) {
    const r = await conn.run(queueCommand(), { become, label: 'verify: queue' });
    const listing = r.stdout.toString().trim();
    if (queueEmpty(listing) || Date.now() >= until) return { empty: queueEmpty(listing), listing };
  }
}

/** Pipes one forwarded connection from the host into the sink's port on the controller. */
function toSink(port: number): (stream: Duplex) => void {
  return (stream) => {
    const sock = netConnect(port, '127.0.0.1');
    stream.pipe(sock).pipe(stream);
    const end = () => {
      sock.destroy();
      stream.destroy();
    };
    sock.on('error', end);
    stream.on('error', end);
  };
}

export async function verifyHost(conn: Connection, input: HostVerifyInput): Promise<HostVerify> {
  const id = newProbeId();
  const state = parseRelayState((await conn.script(relayStateScript(), { become: input.become, label: 'verify: relay state' })).stdout.toString());
  const result: HostVerify = {
    host: input.host,
    probe: id,
    mode: input.mode,
    postfix: state.running ? 'running' : 'stopped',
    relayhost: state.relayhost,
    delivered: false,
    tls: null,
    smtpdCertificate: null,
    sasl: null,
    auth: null,
    queue: { empty: queueEmpty(state.queue), listing: state.queue },
    problems: [],
  };
  const blocked = whyNoProbe(state, conn, input.mode);
  if (blocked) {
    result.problems.push(blocked);
    if (!result.queue.empty) result.problems.push(`queue not empty: ${queueReasons(state.queue)[0] ?? state.queue.split('\n')[0]}`);
    return result;
  }
  if (input.smtpdCa !== undefined) {
    result.smtpdCertificate = await checkSmtpdCertificate(conn, state.myhostname, input.smtpdCa);
    if (!result.smtpdCertificate.ok) result.problems.push(`smtpd certificate for ${state.myhostname}: ${result.smtpdCertificate.error}`);
  }
  const probe = probeMessage(id, input.host, input.domain, new Date(), input.probeTo);
  if (input.mode === 'smarthost') return viaSmarthost(conn, input, probe, result);
  const hop = parseRelayhost(state.relayhost)!;
  // Refused when something on the host already listens there (sshd cannot bind it): that process
  // would get the relay's connection — the probe and the SASL password — so no probe is sent.
  const listener = await conn.listenOnHost!(hop.host, hop.port, toSink(input.sink!.port)).catch((e: Error) => {
    result.problems.push(`${e.message}: no probe sent (whatever listens there would receive it, and the relay's SASL login)`);
    return undefined;
  });
  if (!listener) return result;
  let msg: SinkMessage | undefined;
  try {
    const sent = Date.now();
    if (!(await submit(conn, input, probe, result))) return result;
    msg = await input.sink!.waitFor(probe, input.timeoutMs).catch((e: Error) => {
      result.problems.push(`not delivered: ${e.message}`);
      return undefined;
    });
    if (msg) {
      result.delivered = true;
      result.seconds = Math.round((msg.receivedAt - sent) / 100) / 10;
    }
  } finally {
    await listener.close();
  }
  const forged = input.sink!.forged(probe);
  if (forged) result.problems.push(`${forged} message(s) for probe ${id} reached the sink without its token: not the relay's probe (someone on the host read the id from the queue or ps?)`);
  result.queue = await readQueue(conn, input.become, msg ? 5000 : 0);
  if (!result.queue.empty) result.problems.push(`queue not empty${queueReasons(result.queue.listing).length ? `: ${queueReasons(result.queue.listing)[0]}` : ''}`);
  if (msg) await judge(result, msg, state, input, hop.host);
  return result;
}

/** Postfix's sendmail takes the probe; false (and why, in the result) when it refuses. */
async function submit(conn: Connection, input: HostVerifyInput, probe: Probe, result: HostVerify): Promise<boolean> {
  const sub = await conn.run(submitCommand(probe), { stdin: probe.message, become: input.become, label: 'verify: submit the probe' });
  if (sub.exitCode === 0) return true;
  result.problems.push(`sendmail refused the probe (exit ${sub.exitCode}): ${sub.stderr.trim() || sub.stdout.toString().trim()}`);
  return false;
}

/**
 * --smarthost: the probe goes to the relay's real smarthost, for `probeTo`. What the relay's queue
 * shows is all there is to see: the probe (known by its envelope sender) gone from it means the
 * smarthost took it; a deferral's reason is reported. TLS, SASL, DKIM, SPF and DMARC are left unjudged.
 */
async function viaSmarthost(conn: Connection, input: HostVerifyInput, probe: Probe, result: HostVerify): Promise<HostVerify> {
  const sent = Date.now();
  if (!(await submit(conn, input, probe, result))) return result;
  for (;;) {
    result.queue = await readQueue(conn, input.become, 0);
    if (!probeQueued(result.queue.listing, probe)) {
      result.delivered = true;
      result.seconds = Math.round((Date.now() - sent) / 100) / 10;
      break;
    }
    if (Date.now() - sent >= input.timeoutMs) {
      const why = queueReasons(result.queue.listing)[0];
      result.problems.push(`not handed to the smarthost within ${Math.round(input.timeoutMs / 1000)} s${why ? `: ${why}` : ''}`);
      return result;
    }
    await sleep(500);
  }
  if (!result.queue.empty) result.problems.push('queue not empty');
  return result;
}

/** Why no probe is sent: the relay cannot relay, or the sink cannot stand in for its smarthost. */
function whyNoProbe(state: RelayState, conn: Connection, mode: HostVerifyInput['mode']): string | undefined {
  if (!state.running) return 'Postfix is not running (postfix status): no probe sent';
  const hop = parseRelayhost(state.relayhost);
  if (!hop) return `main.cf has no smarthost (relayhost = ${state.relayhost || 'empty'}): nothing to verify`;
  if (mode === 'smarthost') return undefined;
  if (!isLoopback(hop.host)) {
    return `relayhost ${state.relayhost} is not on the host's loopback: the sink can only stand in for a smarthost the relay reaches on its own loopback (a tunnelled or staging smarthost); --smarthost sends through the real one`;
  }
  if (!exactForwardAddress(hop.host)) {
    return `relayhost ${state.relayhost}: the sink stands in only at [127.0.0.1] or [::1]: for ${hop.host} the host's sshd would listen on 127.0.0.1 and ::1, whichever it can bind, and a process holding the port on the other could take the relay's connection (name the smarthost by that address, or use --smarthost-to)`;
  }
  if (!conn.listenOnHost) return 'the sink is reached over the host\'s SSH connection; this connection type cannot listen on the host';
  return undefined;
}

async function judge(result: HostVerify, msg: SinkMessage, state: RelayState, input: HostVerifyInput, smarthost: string): Promise<void> {
  const p = result.problems;
  result.tls = { version: msg.tls, certificate: certificatePolicy(state.tlsLevel) };
  result.sasl = msg.user || null;
  if (!msg.tls) p.push('sent without TLS');
  if (!msg.user) p.push('no SASL authentication');
  const ip = await senderIp(smarthost, input.resolver);
  const auth = await authVerdicts(msg.raw, { sender: msg.mailFrom, ip, helo: smarthost, resolver: input.resolver });
  result.auth = auth;
  if (auth.dkim.result !== 'pass') {
    const dead = state.milterDefaultAction === 'accept' && auth.dkim.result === 'none' ? ' (milter_default_action=accept: is the DKIM milter running?)' : '';
    p.push(`DKIM ${auth.dkim.result}${auth.dkim.comment ? `: ${auth.dkim.comment}` : ''}${dead}`);
  } else if (input.selectors.length && !input.selectors.includes(auth.dkim.selector ?? '')) {
    p.push(`DKIM signed with selector ${auth.dkim.selector}, the plan has ${input.selectors.join(', ')}`);
  }
  if (auth.spf.result !== 'pass') p.push(`SPF ${auth.spf.result}${auth.spf.comment ? `: ${auth.spf.comment}` : ''}`);
  if (auth.dmarc.result !== 'pass') p.push(`DMARC ${auth.dmarc.result}${auth.dmarc.comment ? `: ${auth.dmarc.comment}` : ''}`);
}
