#!/usr/bin/env bash
# The build's release artefacts, in dist/release/ (docs/development.md "Release artefacts"): the npm
# package and the single executable for Linux x86-64. Then the package is installed like a tool into
# a clean prefix and the installed `fleetplan` dry-runs the relay plan on a one-host test fleet.
# Needs `npm run build` first (npm test does it) and root for the test fleet.
set -euo pipefail
cd "$(dirname "$0")/.."
rel=dist/release
rm -rf "$rel"
mkdir -p "$rel"
version=$(node -p 'require("./package.json").version')
npm pack --ignore-scripts --pack-destination "$rel" >/dev/null
node scripts/sea.mjs --out "$rel/fleetplan-$version-linux-x64"

work=$(mktemp -d /tmp/fleetplan-release-XXXXXX)
cleanup() {
  node dist/test/fleet/cli.js down --out "$work/fleet" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
npm install -g --prefix "$work/prefix" --prefer-offline --no-audit --no-fund "$PWD/$rel/fleetplan-$version.tgz" >/dev/null
# From here on, fleetplan as a new user runs it: no configuration, history or cache of this machine's.
export HOME="$work/home" XDG_CONFIG_HOME="" XDG_STATE_HOME="" XDG_CACHE_HOME="" NO_COLOR=1
fleetplan="$work/prefix/bin/fleetplan"
test "$("$fleetplan" --version)" = "$version"
test "$("$rel/fleetplan-$version-linux-x64" --version)" = "$version"

node dist/test/fleet/cli.js up --os debian-systemd --out "$work/fleet" >/dev/null
"$fleetplan" init relay "$work/relays" --hosts "$work/fleet/inventory.yml" >/dev/null
FLEETPLAN_RELAY_PASSWORD=release-check "$fleetplan" apply "$work/relays/relay.yml" -i "$work/relays/inventory.yml" --check
echo "release: $rel/fleetplan-$version.tgz and $rel/fleetplan-$version-linux-x64 (installed and dry-run: ok)"
