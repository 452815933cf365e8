// POSIX sh helpers defined once at the top of every batched script. Everything a host runs must work
// with dash, busybox-free Debian minbase and FreeBSD's /bin/sh alike, so GNU and BSD variants are
// chosen here once per script (one probe, not one per file: each fork+exec costs the host ~1-5 ms).
// Hashes read stdin so that no file name (a newline, a backslash) can change sha256sum's output.
export const PRELUDE = String.raw`
if stat -L -c '%F' / >/dev/null 2>&1; then
  _fp_stat() { stat -L -c '%F|%a|%U|%G|%s' "$1"; }
else
  _fp_stat() { stat -L -f '%HT|%Lp|%Su|%Sg|%z' "$1"; }
fi
if command -v sha256sum >/dev/null 2>&1; then
  _fp_sha() { set -- $(sha256sum < "$1"); printf '%s\n' "$1"; }
elif command -v sha256 >/dev/null 2>&1; then
  _fp_sha() { sha256 -q "$1"; }
else
  _fp_sha() { set -- $(openssl dgst -sha256 -r < "$1"); printf '%s\n' "$1"; }
fi
`;
