// A script carried in the exec request itself, as the command line of the shell that runs it: the
// first script of a session (the facts, the lock, a state read riding with them) costs no round trip
// of its own, and a one-shot script keeps stdin free for a streamed file.

/** The longest first script sent in the exec request (its command line stays far below Linux's 128 KiB per argument). */
export const MAX_INLINE = 24 * 1024;

/**
 * How the shell that ran the first script goes on reading the next ones from stdin, as `sh -s` does.
 * Where stdin is a pipe (an OpenSSH session's: its session.c makes pipes; sudo's relay) an ash-family
 * sh (dash, FreeBSD's sh, busybox) reads it itself with `.`, which parses and runs each command as it
 * arrives: no second `sh` start (≈ 0.5 ms of the host's CPU per run). bash, zsh and the ksh family read a sourced file
 * to its end before running any of it (here: never, the session would hang), and a socket (a local
 * child's stdin, libuv's socketpair) cannot be opened as /dev/stdin on Linux: they `exec sh -s`.
 * The first sh's command line (the first script, never secret) then stays in the process list for
 * the session.
 */
const READ_ON =
  'if [ -p /dev/stdin ] && [ -z "${BASH_VERSION-}${ZSH_VERSION-}${KSH_VERSION-}${YASH_VERSION-}${POSH_VERSION-}" ]; then . /dev/stdin; else exec sh -s; fi';

/**
 * The command that starts a shell which first runs `first` (a framed script), then reads the next
 * scripts from stdin (READ_ON). `first` travels as printf's format, every byte a login shell could
 * read differently escaped in octal (printfWord): the command holds no `'` beyond the quotes around
 * its words, and nothing dash, bash, zsh, fish, csh or tcsh reads differently between single quotes
 * (test/unit/shell-session.test.ts).
 */
export function inlineCommand(first: Buffer): string {
  // `set --` in the eval, after printf has read $1: the first script and those after it see no
  // positional parameters, as every script on stdin did under `sh -s`.
  return `sh -c 'eval "set --; $(printf "$1")"; ${READ_ON}' sh '${printfWord(first)}'`;
}

/**
 * The command that runs `script` alone, its stdin left to the script (a streamed file's bytes: see
 * engine/streamed-write.ts); the script travels as inlineCommand's does.
 */
export function oneShotCommand(script: Buffer): string {
  if (script.length > MAX_INLINE) throw new Error(`a one-shot script of ${script.length} bytes is over ${MAX_INLINE}`);
  return `sh -c 'eval "$(printf "$1")"' sh '${printfWord(script)}'`;
}

/**
 * Each byte as printf's format writes it: itself when it is printable ASCII that every login shell
 * takes literally between single quotes and printf copies, else a backslash and three octal digits.
 * Escaped: `'` (ends the quotes), `\` (fish reads `\\` and `\'` between single quotes; printf's
 * escapes), `%` (printf's conversions), `!` (csh's history, even between single quotes), newline (csh
 * refuses it between quotes), tab, controls and bytes over 0x7e (a login shell's locale may not take
 * them). Printable text is most of a script: ≈ 4 % of the facts script's bytes need an escape;
 * escaping all punctuation as well made the word 1.5 times as long for the login shell, sh and printf.
 */
const PRINTF_BYTE: readonly string[] = Array.from({ length: 256 }, (_, b) => {
  const c = String.fromCharCode(b);
  return b >= 0x20 && b < 0x7f && !`'\\%!`.includes(c) ? c : `\\${b.toString(8).padStart(3, '0')}`;
});

/**
 * `script` as printf's format, byte by byte from a table: the facts script is ≈ 20 KB per host, and
 * a replace calling back for each escaped byte took 5 times as long (≈ 0.5 ms per host). A leading
 * `-` is escaped too: printf would take the format for an option.
 */
function printfWord(script: Buffer): string {
  let word = script[0] === 0x2d ? '\\055' : '';
  for (let i = word ? 1 : 0; i < script.length; i++) word += PRINTF_BYTE[script[i]!]!;
  return word;
}
