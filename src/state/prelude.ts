// POSIX sh helpers defined once at the top of every batched script. Everything a host runs must work
// with dash, busybox-free Debian minbase and FreeBSD's /bin/sh alike, so GNU and BSD variants are
// chosen here, without a probe process where the tool itself can tell (each fork+exec costs the host ~1 ms).
// Both read many files in one process (src/state/file-state.ts) and print each file's name after its
// fields, so that the output can be matched to the paths asked even when one of them vanished.
// `_fp_stat` never follows a symbolic link (lstat): a link is reported as one, with its own owner
// (docs/security.md, "Symlinks and paths a host user controls"). The fields after the size are
// uid:gid:raw mode in hex (sticky bit included):link count.
import { NO_FOLLOW } from './no-follow.js';

/**
 * `_fp_sha FILE...`: `<sha256 hex> <name>` per file, with whichever tool the host has (GNU, BSD, or
 * OpenSSL). Also defined alone where a script checks what it received (engine/executor.ts).
 * `_fp_shx` is the same for use inside `$(…)` only: it execs the tool in place of the command
 * substitution's shell (a function call there costs a fork of its own, ≈ 0.2 ms of the host's CPU).
 */
export const SHA_FUNCTION = String.raw`if command -v sha256sum >/dev/null 2>&1; then
  _fp_sha() { sha256sum -- "$@"; }; _fp_shx() { exec sha256sum -- "$@"; }
elif command -v sha256 >/dev/null 2>&1; then
  _fp_sha() { sha256 -r -- "$@"; }; _fp_shx() { exec sha256 -r -- "$@"; }
else
  _fp_sha() { for _fp_f; do _fp_h=$(openssl dgst -sha256 -r < "$_fp_f") && printf '%s  %s\n' "${'$'}{_fp_h%% *}" "$_fp_f"; done; }; _fp_shx() { _fp_sha "$@"; }
fi`;

export const PRELUDE = String.raw`
_fp_stat() {
  # GNU's syntax first; BSD stat rejects -c before printing anything, and then runs with its own.
  stat -c '%F|%a|%U|%G|%s|%u:%g:%f:%h|%n' -- "$@" 2>/dev/null || stat -f '%HT|%Lp|%Su|%Sg|%z|%u:%g:%Xp:%l|%N' -- "$@"
}
${SHA_FUNCTION}
${NO_FOLLOW}`;
