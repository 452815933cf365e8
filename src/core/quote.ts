// POSIX shell quoting. Commands run under whatever /bin/sh the host has (dash, FreeBSD sh), so only
// single quotes are used — never bash's $'…', which those shells do not understand.

/** Characters that never need quoting in any POSIX shell context. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one word for a POSIX shell: safe words stay bare (readable logs), the rest are '…' with ' as '\''. */
export function shQuote(s: string): string {
  if (SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Longest command string fleetplan places in a host script (an operator's `cmd:`, a guard, a `validate:`). */
export const MAX_COMMAND_BYTES = 64 * 1024;

/**
 * An operator's command string as ONE quoted word, run by `eval` in a subshell: whatever it holds (a stray `)`, an
 * unclosed here-document, `exit`, the framing's own markers) is parsed only inside that subshell, so it can fail
 * alone but never touch the script around it. `eval` is a builtin: unlike `sh -c '…'`, the command never appears in
 * a process's argv (`ps`), which matters when a template put a secret into it. The script's own variables stay
 * visible (validate's `"$_fp_t"`).
 */
export function evalWord(command: string): string {
  if (command.includes('\0')) throw new Error('a command cannot contain a NUL byte');
  if (Buffer.byteLength(command) > MAX_COMMAND_BYTES) {
    throw new Error(`a command is ${Buffer.byteLength(command)} bytes long; at most ${MAX_COMMAND_BYTES} are accepted`);
  }
  return `(eval ${shQuote(command)})`;
}

/** shQuote for bytes that need not be UTF-8 (a whole script): `'` becomes `'\''`, every other byte passes as is. */
export function shQuoteBytes(bytes: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from("'")];
  let from = 0;
  for (let i = bytes.indexOf(0x27); i >= 0; i = bytes.indexOf(0x27, i + 1)) {
    parts.push(bytes.subarray(from, i), Buffer.from(`'\\''`));
    from = i + 1;
  }
  parts.push(bytes.subarray(from), Buffer.from("'"));
  return Buffer.concat(parts);
}
