// Run by `npm test` and `npm run demo` before anything else, and by `npm run fleet -- up`: makes sure
// this controller can host a test fleet (Debian packages installed, base rootfs cached) so that no
// step is hidden from a fresh machine and the first integration test doesn't time out building it. Without root/namespaces it explains why and exits 0 so the integration tests skip
// themselves with the same reason; with CI=true that is a failure instead (CI must not silently
// skip the integration suite).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { ensureRootfs } from './rootfs.js';

// chromium: the HTML report test (test/integration/report.test.ts) renders a real report in it.
// zsh and fish: the completion tests run the generated scripts in the real shells.
// pebble, certbot (+ its RFC 2136 plugin), openssl: the ACME certificate test (test/integration/acme.test.ts).
export const DEBIAN_PACKAGES = ['debootstrap', 'systemd-container', 'socat', 'openssh-client', 'iproute2', 'util-linux', 'mount', 'chromium', 'zsh', 'fish', 'bind9', 'bind9-utils', 'bind9-dnsutils', 'pebble', 'certbot', 'python3-certbot-dns-rfc2136', 'openssl', 'csh', 'tcsh'];

/** Why the fleet cannot run on this controller, or undefined if it can. Cheap; used by tests. */
export function unsupportedReason(): string | undefined {
  if (process.platform !== 'linux') return `test fleet needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'test fleet needs root (namespaces, overlay mounts, binding 127.0.10.x:22); run npm test as root';
  if (!existsSync('/usr/bin/dpkg-query')) return 'test fleet needs a Debian/Ubuntu controller (dpkg, apt, debootstrap)';
  try {
    if (!/\toverlay$/m.test(readFileSync('/proc/filesystems', 'utf8'))) return 'kernel has no overlayfs support';
  } catch { return 'cannot read /proc/filesystems'; }
  const r = spawnSync('unshare', ['--fork', '--pid', '--mount', '--uts', '--net', '--ipc', 'true'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `cannot create namespaces (unshare: ${r.error?.message ?? r.stderr.trim()}); containers without CAP_SYS_ADMIN cannot host the fleet`;
  return undefined;
}

/** Message for tests: skip normally, but fail under CI=true. */
export function skipOrFail(reason: string): string | never {
  if (process.env.CI === 'true') throw new Error(`CI=true but the test fleet cannot run: ${reason}`);
  return reason;
}

function missingPackages(): string[] {
  return DEBIAN_PACKAGES.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

function apt(args: string[]) {
  // Wait for another apt/dpkg run (a second test run, unattended-upgrades) instead of failing at once.
  const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (${r.status ?? r.error?.message})`);
}

/**
 * Make this controller able to host a test fleet: install the missing Debian packages, then build
 * (or reuse) the cached base rootfs. Returns why it cannot, instead, when it is not root on a
 * Debian/Ubuntu machine with namespaces and overlayfs (nothing is installed then).
 */
export async function ensurePrereqs(log: (msg: string) => void): Promise<string | undefined> {
  // Root + dpkg are needed to install anything; check those before namespaces (unshare may be
  // what's missing).
  const early = process.getuid?.() !== 0 || !existsSync('/usr/bin/dpkg-query') ? unsupportedReason() : undefined;
  if (early) return early;
  const missing = missingPackages();
  if (missing.length) {
    log(`installing ${missing.join(' ')}`);
    apt(['update']);
    apt(['install', '-y', '--no-install-recommends', ...missing]);
  }
  const reason = unsupportedReason();
  if (reason) return reason;
  await ensureRootfs({ log: (m) => log(`rootfs: ${m}`) });
  return undefined;
}

async function main() {
  const reason = await ensurePrereqs((m) => console.error(`[prereqs] ${m}`));
  if (reason) {
    if (process.env.CI === 'true') { console.error(`[prereqs] FAIL (CI=true): ${reason}`); process.exit(1); }
    console.error(`[prereqs] test fleet unavailable, integration tests will be skipped: ${reason}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => { console.error(`[prereqs] ${(e as Error).message}`); process.exit(1); });
}
