// The one interface every transport implements: the engine never knows whether it talks SSH or runs locally.
import type { Duplex, Readable } from 'node:stream';
import { OperationError } from '../core/errors.js';

/** What a remote command produced. A non-zero exit is a result, not an exception. */
export interface CommandResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
  /** Signal name when the remote process was killed by one. */
  signal?: string;
  ms: number;
}

export interface ExecOptions {
  /**
   * Bytes written to the command's stdin and then closed. Long scripts go here (to `sh -s`),
   * never into the command string: Linux caps one argument at 128 KiB.
   */
  stdin?: string | Buffer | StreamedInput;
  /**
   * Wrap the command in privilege escalation as configured for the host (true), or as another
   * user or method than the host's (a task's become_user / become_method).
   */
  become?: BecomeRequest;
  /** What this exec is for, for --verbose ("facts", "read state", the task's commands). Not sent anywhere. */
  label?: string;
  /**
   * For --verbose: the exit status worth reporting, when the exec's own is not it (a task's change
   * script always exits 0 and carries its commands' status in its output). Not sent anywhere.
   */
  reportedExit?: (result: CommandResult) => number;
  /** Give up after this many milliseconds (the channel is closed, the result is an error). */
  timeoutMs?: number;
  /**
   * The script holds nothing secret, so when it is the first of its shell it may travel in the exec
   * request that starts the shell (saving that round trip), where the host's process list shows it
   * while it runs. Scripts with secrets never set it: they reach the host on stdin only.
   */
  public?: boolean;
  /**
   * Run it only if it can travel in the exec request of a shell not started yet, right behind the
   * scripts already asked for there in this same tick (so in that shell, in order, at no round trip
   * of its own): it must be `public` and small enough. Otherwise it is not sent at all and the promise
   * rejects with NotSentError. For a state read made ahead of the facts (src/engine/first-read.ts).
   */
  rideAlong?: boolean;
}

/**
 * Input too large to hold: `open()` is called once the command runs (after a become handshake) and its
 * stream is piped to the command's stdin with backpressure, a chunk at a time (copy's large files).
 */
export interface StreamedInput {
  open(): Readable;
}

/** A `rideAlong` script that could not ride along: nothing of it reached the host. */
export class NotSentError extends Error {}

/** A script's options: those of a command, less stdin (the script is what the shell reads). */
export type ScriptOptions = Omit<ExecOptions, 'stdin'>;

export interface Connection {
  /** Human label for errors: "web1 (root@127.0.10.1:22)". */
  readonly label: string;
  /** Runs one command string through the remote user's shell. One exec channel per call. */
  run(command: string, opts?: ExecOptions): Promise<CommandResult>;
  /**
   * Runs a POSIX sh script, as `sh -s` would. Scripts share one `sh` per identity (login or become
   * user) for the connection's life, so all of a run's scripts cost one exec session
   * (src/connectors/shell-session.ts).
   */
  script(text: string | Buffer, opts?: ScriptOptions): Promise<CommandResult>;
  close(): Promise<void>;
  /**
   * Closes this connection and opens a new one to the same host with the same settings (the engine's
   * connections only: the reboot operation waits for the host to come back through it). Throws when
   * the host cannot be reached; the old connection is closed whatever happens.
   */
  reconnect?(): Promise<void>;
  /** How many exec sessions this connection opened (for --verbose and tests, not for the benchmark). */
  readonly execCount: number;
  /** How many commands and scripts were started on it (the engine's connections count them: a state read's freshness, refresh.ts). */
  readonly started?: number;
  /**
   * Listens on `address:port` of the host and hands every connection made there to `accept`, as
   * `ssh -R` does (SSH connections; `fleetplan verify` reaches its sink this way). Absent: the transport
   * cannot. Throws when the host refuses (port in use, forwarding disabled).
   */
  listenOnHost?(address: string, port: number, accept: (stream: Duplex) => void): Promise<HostListener>;
  /**
   * A TCP connection the host opens to `address:port`, handed back as a stream, as `ssh -L` does
   * (SSH connections; `fleetplan verify --smtpd-ca` checks the relay's own smtpd this way). Absent:
   * the transport cannot. Throws when the host refuses (nothing listening, forwarding disabled).
   */
  connectOnHost?(address: string, port: number): Promise<Duplex>;
}

/** A listener `listenOnHost` opened; close() stops it (connections already accepted go on). */
export interface HostListener {
  close(): Promise<void>;
}

/** How become reaches the other user (src/connectors/become.ts says what each needs). */
export type BecomeMethod = 'sudo' | 'su' | 'doas';

export interface BecomeSettings {
  enabled: boolean;
  /** Target user, default root. */
  user: string;
  method: BecomeMethod;
  /** Sent on stdin after the method's prompt (sudo -S, su), never on the command line. */
  password?: string;
}

/** Become as the host is set up (true), or with another user and/or method; false/absent: the login user. */
export type BecomeRequest = boolean | { user?: string; method?: BecomeMethod };

/** The become a command asked for, over the host's settings; undefined: none. */
export function becomeTarget(host: BecomeSettings, req: BecomeRequest | undefined): BecomeSettings | undefined {
  if (!req) return undefined;
  if (req === true) return host;
  return { ...host, ...(req.user ? { user: req.user } : {}), ...(req.method ? { method: req.method } : {}) };
}

/** Everything needed to reach one host, after inventory vars and ~/.ssh/config are merged. */
export interface HostAddress {
  /** Inventory name of the host. */
  name: string;
  connection: 'ssh' | 'local';
  host: string;
  port: number;
  user: string;
  /** Private key paths to try, in order. */
  identityFiles: string[];
  /** Use $SSH_AUTH_SOCK when set. */
  useAgent: boolean;
  password?: string;
  /** Passphrase for encrypted identity files (otherwise such keys need ssh-agent). */
  identityPassphrase?: string;
  /** known_hosts files consulted, in order; the first is where --accept-new-hostkeys writes. */
  knownHostsFiles: string[];
  /** Trust-on-first-use for hosts absent from every known_hosts file. */
  acceptNewHostKeys: boolean;
  /** A jump host ("user@host:port"), as OpenSSH ProxyJump; resolved through ~/.ssh/config too. */
  proxyJump?: HostAddress;
  connectTimeoutMs: number;
  become: BecomeSettings;
  /** -vvvv: the SSH library's protocol messages for this host (handshake, authentication, channels). */
  debug?: (line: string) => void;
}

/** A command ran longer than its `timeoutMs`; its channel was closed. The host itself is still reachable. */
export class CommandTimeoutError extends OperationError {}

/** "web1 (root@127.0.10.1:22)" — the label every connector error starts from. */
export function addressLabel(addr: HostAddress): string {
  return addr.connection === 'local' ? `${addr.name} (local)` : `${addr.name} (${addr.user}@${addr.host}:${addr.port})`;
}
