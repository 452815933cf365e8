// Privilege escalation, in exactly one place: how a command is wrapped in sudo, su or doas, and how
// the become password reaches that program (and only it) over the command's stdin. Both transports
// use this. What each method needs on the host:
//   sudo  a sudoers rule for the login user; a password (become_password) is fed to `sudo -S`
//         after its own unique prompt, or none (`sudo -n`: NOPASSWD or a cached ticket).
//   su    from root: nothing (root becomes anyone without a password); from another login user:
//         become_password, the TARGET user's password (root's for become_user root), fed after
//         su's "Password:" prompt. The target user needs a login shell that takes `-c`.
//   doas  a doas.conf rule (FreeBSD: /usr/local/etc/doas.conf) with `nopass` for the login user:
//         doas reads a password only from a terminal, which a run never has (`doas -n`).
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { BecomeMethod, BecomeSettings, StreamedInput } from './connection.js';
import { ConnectError } from '../core/errors.js';
import { shQuote } from '../core/quote.js';

export interface WrappedCommand {
  command: string;
  /** The become target when the command was wrapped. */
  becomeUser?: string;
  becomeMethod?: BecomeMethod;
  /**
   * Present when a password must be fed. Why not just write it as the first stdin line: with
   * NOPASSWD or a cached ticket sudo never reads it, and the password would become the first line
   * of the command's input — for `sh -s` scripts, executed as a command and echoed in an error.
   * So the password is written when the method's prompt appears on stderr (sudo's is a unique one
   * of ours; su's is its fixed "Password:"), and the caller's stdin only after the command printed
   * a unique start marker.
   */
  handshake?: { prompt: string; marker: string; password: string };
}

/** "sudo -u web" / "su web" / "doas -u web", for messages. */
export function describeBecome(w: Pick<WrappedCommand, 'becomeUser' | 'becomeMethod'>): string {
  return w.becomeMethod === 'su' ? `su ${w.becomeUser}` : `${w.becomeMethod ?? 'sudo'} -u ${w.becomeUser}`;
}

/**
 * Wraps `command` for `become` unless not requested or already the target user. Whether a command
 * needs become is decided by the caller (the engine: task, play, then the host's `become` var);
 * `become.enabled` is only that host default, so it is not consulted here.
 */
export function wrapBecome(command: string, become: BecomeSettings | undefined, loginUser: string): WrappedCommand {
  if (!become || become.user === loginUser) return { command };
  const user = shQuote(become.user);
  const base = { becomeUser: become.user, becomeMethod: become.method };
  const id = randomBytes(8).toString('hex');
  const marker = `FLEETPLAN-BECOME-${id}`;
  const marked = `echo ${marker}; ${command}`;
  switch (become.method) {
    case 'doas':
      // -n: never prompt (doas would need a terminal); a rule without nopass fails at once.
      return { ...base, command: `doas -n -u ${user} -- sh -c ${shQuote(command)}` };
    case 'su':
      // From root su asks nothing. From another user it must have the password: without one, su
      // would take the first line of the script on stdin as the password.
      if (loginUser === 'root') return { ...base, command: `su ${user} -c ${shQuote(command)}` };
      if (become.password === undefined) {
        throw new ConnectError(`become_method su as ${loginUser} needs become_password (the password of ${become.user}); log in as root, or use sudo or doas`);
      }
      return { ...base, command: `LC_ALL=C su ${user} -c ${shQuote(marked)}`, handshake: { prompt: 'Password:', marker, password: become.password } };
    default:
      if (become.password === undefined) {
        // -n: fail at once ("a password is required") instead of waiting for a prompt nobody answers.
        return { ...base, command: `sudo -H -n -u ${user} -- sh -c ${shQuote(command)}` };
      }
      return {
        ...base,
        command: `sudo -H -S -p ${shQuote(`[fleetplan-sudo-${id}] password:`)} -u ${user} -- sh -c ${shQuote(marked)}`,
        handshake: { prompt: `[fleetplan-sudo-${id}] password:`, marker, password: become.password },
      };
  }
}

/** The become programs' own failure messages (not the command's): these make a become failure, not a result. */
const REFUSAL: Record<BecomeMethod, RegExp> = {
  sudo: /^sudo: (a password is required|a terminal is required|no tty present|\d+ incorrect password attempts?|no password was provided|sorry, you must have a tty)|is not in the sudoers file|is not allowed to (execute|run sudo)|^(sh: )?(\d+: )?sudo: (command )?not found/im,
  doas: /^doas: (Authorization required|Operation not permitted|a tty is required|not permitted|[^\n]*doas\.conf)|^(sh: )?(\d+: )?doas: (command )?not found/im,
  su: /^su: (user [^\n]* does not exist|Authentication failure|must be run from a terminal|Sorry|unknown login)|^(sh: )?(\d+: )?su: (command )?not found/im,
};

/** Why the become program refused, when its output says so (the command never ran); undefined otherwise. */
export function becomeRefusal(stderr: string, method: BecomeMethod = 'sudo'): string | undefined {
  if (!REFUSAL[method].test(stderr)) return undefined;
  const why = stderr.trim().split('\n').slice(-2).join(' ').trim();
  if (method === 'sudo' && /password is required|terminal is required|no tty/i.test(stderr)) return `${why} (set become_password, or allow NOPASSWD for this user)`;
  if (method === 'doas' && /Authorization required|tty/i.test(stderr)) return `${why} (doas needs a "permit nopass" rule for this user: it reads passwords only from a terminal)`;
  return why;
}

/** sudo's reason when its output says it refused (the command never ran); undefined otherwise. */
export function sudoRefusal(stderr: string): string | undefined {
  return becomeRefusal(stderr, 'sudo');
}

export interface ExecIo {
  stdout(): Buffer;
  stderr(): string;
  /** Why the become program refused, when it did (the command itself never ran); undefined otherwise. */
  becomeFailure(exitCode: number): string | undefined;
}

/**
 * Wires one process's streams (an ssh2 channel or a child process): collects stdout as bytes and
 * stderr as text, writes stdin, and plays the password handshake when there is one.
 */
export function attachIo(
  stdin: Writable,
  stdout: Readable,
  stderr: Readable,
  wrapped: WrappedCommand,
  input: string | Buffer | StreamedInput | undefined,
): ExecIo {
  const out: Buffer[] = [];
  let err = '';
  let passwordSent = false;
  let badPassword = false;
  const hs = wrapped.handshake;
  let started = !hs;
  let pre = Buffer.alloc(0);
  stdin.on('error', () => {}); // the process may exit before reading all input: not our failure
  const feed = () => {
    if (input === undefined || typeof input === 'string' || Buffer.isBuffer(input)) return void stdin.end(input);
    // A source that fails midway ends the input: the command sees fewer bytes than it was told and fails.
    const source = input.open();
    source.on('error', () => stdin.end());
    // A command that ended before reading everything: the rest is not read.
    stdin.once('close', () => source.destroy());
    source.pipe(stdin);
  };
  if (!hs) feed();

  stdout.on('data', (d: Buffer) => {
    if (started) return void out.push(d);
    pre = Buffer.concat([pre, d]);
    const head = Buffer.from(`${hs!.marker}\n`);
    if (pre.length < head.length) return;
    started = true;
    out.push(pre.subarray(pre.subarray(0, head.length).equals(head) ? head.length : 0));
    feed();
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
      const method = wrapped.becomeMethod ?? 'sudo';
      if (badPassword) return `incorrect become password (${why || `${method} refused`})`;
      // With a handshake, a command that never printed the marker never ran: the become program failed.
      if (hs && !started && exitCode !== 0) return why || `${method} exited with ${exitCode}`;
      if (!hs && exitCode !== 0) return becomeRefusal(err, method);
      return undefined;
    },
  };
}
