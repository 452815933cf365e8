// A script carried in the exec request itself, as the command line of the shell that runs it: the
// first script of a session (the facts, the lock, a state read riding with them) costs no round trip
// of its own, and a one-shot script keeps stdin free for a streamed file.

/** The longest first script sent in the exec request (its command line stays far below Linux's 128 KiB per argument). */
export const MAX_INLINE = 24 * 1024;

/**
 * The command that starts a shell which first runs `first` (a framed script), then reads the next
 * scripts from stdin, as `sh -s` does. `first` travels as printf's format in octal escapes, so the
 * command holds only letters, digits, a few punctuation marks, backslashes and the quotes around it:
 * nothing a login shell reads differently (dash, bash, zsh, fish: test/unit/shell-session.test.ts); the
 * escaped word holds no newline and no `!` (csh reads both even between single quotes) and no `$`.
 */
export function inlineCommand(first: Buffer): string {
  return `sh -c 'eval "$(printf "$1")"; exec sh -s' sh '${printfWord(first)}'`;
}

/**
 * The command that runs `script` alone, its stdin left to the script (a streamed file's bytes: see
 * engine/streamed-write.ts); the script travels as inlineCommand's does.
 */
export function oneShotCommand(script: Buffer): string {
  if (script.length > MAX_INLINE) throw new Error(`a one-shot script of ${script.length} bytes is over ${MAX_INLINE}`);
  return `sh -c 'eval "$(printf "$1")"' sh '${printfWord(script)}'`;
}

/** Each byte as printf's format writes it: itself when plain, else a backslash and three octal digits. */
const PRINTF_BYTE: readonly string[] = Array.from({ length: 256 }, (_, b) => {
  const c = String.fromCharCode(b);
  return /[A-Za-z0-9_.,:/=+@ ]/.test(c) ? c : `\\${b.toString(8).padStart(3, '0')}`;
});

/**
 * `script` as printf's format, byte by byte from a table: the facts script is ≈ 20 KB per host, and
 * a replace calling back for each escaped byte took 5 times as long (≈ 0.5 ms per host).
 */
function printfWord(script: Buffer): string {
  let word = '';
  for (let i = 0; i < script.length; i++) word += PRINTF_BYTE[script[i]!]!;
  return word;
}
