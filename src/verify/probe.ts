// A verify probe: the message a relay is asked to send, and the shell it takes on the host. Postfix's
// commands are found through Postfix itself (`postconf -h command_directory`, `sendmail_path`), so
// the same script works where the OS puts them (/usr/sbin on Debian and CentOS, /usr/local/sbin on
// FreeBSD) without a table per OS.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { shQuote } from '../core/quote.js';

/** Random, lowercase hex: unique per host and run, so concurrent hosts and runs never mix at a sink. */
export const newProbeId = () => randomBytes(8).toString('hex');

/**
 * The probe's secret: 128 random bits in its body only. The id is public on the host (the envelope
 * sender in `mailq`, sendmail's arguments in `ps`), so any local user could send the sink a message
 * for it; the body is read by nobody but Postfix (stdin, then queue files only postfix and root
 * read), so a message without the token is not the probe.
 */
export const newProbeToken = () => randomBytes(16).toString('hex');

/** Where the relay's recipient of a probe lives: a reserved name (RFC 2606) that never resolves. */
export const PROBE_DOMAIN = 'verify.fleetplan.invalid';

export interface Probe {
  id: string;
  /** In the body only: what makes a message the sink receives this probe (newProbeToken). */
  token: string;
  /**
   * Envelope sender verify-<id>@<domain> (From: verify@<domain>), so DKIM (d=), SPF and DMARC all
   * concern <domain>, and the probe is known in the relay's queue by its id.
   */
  sender: string;
  recipient: string;
  message: string;
}

/** `to`: the recipient the operator names (--probe-to); by default one at PROBE_DOMAIN carrying the id. */
export function probeMessage(id: string, host: string, domain: string, now = new Date(), to?: string, token = newProbeToken()): Probe {
  const sender = `verify-${id}@${domain}`;
  const recipient = to ?? `probe-${id}@${PROBE_DOMAIN}`;
  const message = [
    `From: fleetplan verify <verify@${domain}>`,
    `To: <${recipient}>`,
    `Subject: fleetplan verify probe ${id} from ${host}`,
    `Date: ${now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${id}@${domain}>`,
    `X-Fleetplan-Probe: ${id}`,
    '',
    `A probe of fleetplan verify, sent through ${host} at ${now.toISOString()}.`,
    `Token: ${token}`,
    '',
  ].join('\n');
  return { id, token, sender, recipient, message };
}

/** The relay's smarthost as main.cf names it (`relayhost`): `[host]:port`, `host:port`, `[host]`, `host`. */
export interface NextHop {
  host: string;
  port: number;
  /** Without brackets Postfix looks the name up as an MX first. */
  mxLookup: boolean;
}

export function parseRelayhost(value: string): NextHop | undefined {
  const v = value.trim();
  if (!v) return undefined;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(v) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(v);
  if (!m) return undefined;
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 25, mxLookup: !v.startsWith('[') };
}

/** An address only the host itself reaches: where a sink can stand in for the smarthost over SSH. */
export function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === 'localhost';
}

/**
 * The loopback addresses sshd binds a remote forward to exactly as asked (GatewayPorts no, the
 * default, or clientspecified): for any other name or address — `localhost`, 127.0.0.2 — it binds
 * 127.0.0.1 and ::1, whichever it can, and reports success when either worked; a process holding the
 * port on the other one would get the relay's connection (and its SASL password). Seen with Debian's
 * OpenSSH 9.2 (`ss -ltn`): `-R localhost:p` while another user holds 127.0.0.1:p succeeds on [::1]
 * only, and `-R 127.0.0.2:p` listens on 127.0.0.1 and [::1], not 127.0.0.2.
 */
export const exactForwardAddress = (host: string) => host === '127.0.0.1' || host === '::1';

const POSTFIX_PATH = 'PATH="$PATH:/usr/sbin:/usr/local/sbin:/sbin"; export PATH';

/** Separates the sections of the relay-state script's output. */
export const SECTION = '--fleetplan-verify--';

/**
 * What verify reads of the relay before it sends: main.cf's relayhost, TLS level and myhostname, whether Postfix
 * runs, and the queue. Sections separated by SECTION lines.
 */
export function relayStateScript(): string {
  return [
    POSTFIX_PATH,
    'postconf -h relayhost smtp_tls_security_level milter_default_action myhostname 2>&1',
    `echo ${SECTION}`,
    'postfix status >/dev/null 2>&1 && echo running || echo stopped',
    `echo ${SECTION}`,
    queueCommand(),
  ].join('\n');
}

/** The queue as Postfix lists it (`postqueue -p`, what mailq prints); its exit status when it cannot. */
export function queueCommand(): string {
  return `${POSTFIX_PATH}; "$(postconf -h command_directory)/postqueue" -p 2>&1 || echo "(postqueue exited $?)"`;
}

/** Submits the probe as a local program would: Postfix's sendmail, the message on stdin. */
export function submitCommand(probe: Probe): string {
  return `${POSTFIX_PATH}; "$(postconf -h sendmail_path)" -i -f ${shQuote(probe.sender)} -- ${shQuote(probe.recipient)}`;
}

export interface RelayState {
  relayhost: string;
  tlsLevel: string;
  milterDefaultAction: string;
  /** The name smtpd announces: what its own certificate must name (verify --smtpd-ca). */
  myhostname: string;
  running: boolean;
  queue: string;
}

export function parseRelayState(out: string): RelayState {
  const [conf = '', status = '', queue = ''] = out.split(`${SECTION}\n`);
  const [relayhost = '', tlsLevel = '', milterDefaultAction = '', myhostname = ''] = conf.split('\n');
  return { relayhost, tlsLevel, milterDefaultAction, myhostname, running: status.trim() === 'running', queue: queue.trim() };
}

/** The probe (or a bounce of it) is still in a `postqueue -p` listing. */
export const probeQueued = (listing: string, probe: Probe) => listing.toLowerCase().includes(probe.sender.toLowerCase());

/** `postqueue -p` says the queue is empty (the same words on every Postfix version and OS). */
export const queueEmpty = (listing: string) => /^Mail queue is empty$/m.test(listing);
