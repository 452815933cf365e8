// POSIX shell quoting. Commands run under whatever /bin/sh the host has (dash, FreeBSD sh), so only
// single quotes are used — never bash's $'…', which those shells do not understand.

/** Characters that never need quoting in any POSIX shell context. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one word for a POSIX shell: safe words stay bare (readable logs), the rest are '…' with ' as '\''. */
export function shQuote(s: string): string {
  if (SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
