// POSIX sh helpers defined once at the top of every batched script. Everything a host runs must work
// with dash, busybox-free Debian minbase and FreeBSD's /bin/sh alike, so GNU and BSD variants are
// chosen here once instead of in every snippet.
export const PRELUDE = String.raw`
_fp_stat() {
  if stat -L -c '%F|%a|%U|%G|%s' / >/dev/null 2>&1; then
    stat -L -c '%F|%a|%U|%G|%s' "$1"
  else
    stat -L -f '%HT|%Lp|%Su|%Sg|%z' "$1"
  fi
}
_fp_sha() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v sha256 >/dev/null 2>&1; then sha256 -q "$1"
  else openssl dgst -sha256 -r "$1" | cut -d' ' -f1
  fi
}
`;
