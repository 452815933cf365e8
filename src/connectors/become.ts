// Privilege escalation, in exactly one place: how a command is wrapped in sudo, and how the sudo
// password reaches sudo (and only sudo) over the command's stdin. Both transports use this.
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { BecomeSettings } from './connection.js';
import { shQuote } from '../core/quote.js';

export interface WrappedCommand {
  command: string;
  /** The sudo target when the command was wrapped. */
  becomeUser?: string;
  /**
   * Present when a password must be fed. Why not just write it as the first stdin line: with
   * NOPASSWD or a cached ticket sudo never reads it, and the password would become the first line
   * of the command's input — for `sh -s` scripts, executed as a command and echoed in an error.
   * So sudo gets a unique prompt (sent on stderr by `-S`); the password is written when that
   * prompt appears, and the caller's stdin only after the command printed a unique start marker.
   */
  handshake?: { prompt: string; marker: string; password: string };
}

/**
 * Wraps `command` for `become` unless not requested or already the target user. Whether a command
 * needs become is decided by the caller (the engine: task, play, then the host's `become` var);
 * `become.enabled` is only that host default, so it is not consulted here.
 */
export function wrapBecome(command: string, become: BecomeSettings | undefined, loginUser: string): WrappedCommand {
  if (!become || become.user === loginUser) return { command };
  const user = shQuote(become.user);
  if (become.password === undefined) {
    // -n: fail at once ("a password is required") instead of waiting for a prompt nobody answers.
    return { command: `sudo -H -n -u ${user} -- sh -c ${shQuote(command)}`, becomeUser: become.user };
  }
  const id = randomBytes(8).toString('hex');
  const prompt = `[fleetplan-sudo-${id}] password:`;
  const marker = `FLEETPLAN-BECOME-${id}`;
  return {
    command: `sudo -H -S -p ${shQuote(prompt)} -u ${user} -- sh -c ${shQuote(`echo ${marker}; ${command}`)}`,
    becomeUser: become.user,
    handshake: { prompt, marker, password: become.password },
  };
}

/** sudo's own failure messages (not the command's): these make a become failure, not a result. */
const SUDO_FAILURE =
  /^sudo: (a password is required|a terminal is required|no tty present|\d+ incorrect password attempts?|no password was provided|sorry, you must have a tty)|is not in the sudoers file|is not allowed to (execute|run sudo)|^(sh: )?(\d+: )?sudo: (command )?not found/im;

/** sudo's reason when its output says it refused (the command never ran); undefined otherwise. */
export function sudoRefusal(stderr: string): string | undefined {
  if (!SUDO_FAILURE.test(stderr)) return undefined;
  const why = stderr.trim().split('\n').slice(-2).join(' ').trim();
  return /password is required|terminal is required|no tty/i.test(stderr) ? `${why} (set become_password, or allow NOPASSWD for this user)` : why;
}

export interface ExecIo {
  stdout(): Buffer;
  stderr(): string;
  /** Why sudo refused, when it did (the command itself never ran); undefined otherwise. */
  becomeFailure(exitCode: number): string | undefined;
}

/**
 * Wires one process's streams (an ssh2 channel or a child process): collects stdout as bytes and
 * stderr as text, writes stdin, and plays the sudo password handshake when there is one.
 */
export function attachIo(
  stdin: Writable,
  stdout: Readable,
  stderr: Readable,
  wrapped: WrappedCommand,
  input: string | Buffer | undefined,
): ExecIo {
  const out: Buffer[] = [];
  let err = '';
  let passwordSent = false;
  let badPassword = false;
  const hs = wrapped.handshake;
  let started = !hs;
  let pre = Buffer.alloc(0);
  stdin.on('error', () => {}); // the process may exit before reading all input: not our failure
  if (!hs) stdin.end(input ?? undefined);

  stdout.on('data', (d: Buffer) => {
    if (started) return void out.push(d);
    pre = Buffer.concat([pre, d]);
    const head = Buffer.from(`${hs!.marker}\n`);
    if (pre.length < head.length) return;
    started = true;
    out.push(pre.subarray(pre.subarray(0, head.length).equals(head) ? head.length : 0));
    stdin.end(input ?? undefined);
  });
  stderr.setEncoding('utf8');
  stderr.on('data', (d: string) => {
    err += d;
    if (!hs || started || !err.includes(hs.prompt)) return;
    err = err.replace(hs.prompt, '');
    if (!passwordSent) {
      passwordSent = true;
      stdin.write(`${hs.password}\n`);
    } else {
      // Prompted again: the password was wrong. EOF makes sudo give up instead of waiting.
      badPassword = true;
      stdin.end();
    }
  });

  return {
    stdout: () => (started ? Buffer.concat(out) : pre),
    stderr: () => err,
    becomeFailure(exitCode) {
      if (!wrapped.becomeUser) return undefined;
      const why = err.trim().split('\n').slice(-2).join(' ').trim();
      if (badPassword) return `incorrect become password (${why || 'sudo refused'})`;
      // With a handshake, a command that never printed the marker never ran: sudo failed.
      if (hs && !started && exitCode !== 0) return why || `sudo exited with ${exitCode}`;
      if (!hs && exitCode !== 0) return sudoRefusal(err);
      return undefined;
    },
  };
}
