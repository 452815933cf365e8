// Builds (once) and caches the Debian root filesystem every fleet host is overlaid on.
//
// The cache key is a hash of the recipe (suite + package list + post-install script), so editing
// any of them produces a new image instead of silently reusing a stale one.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CACHE_DIR = '/var/cache/fleetplan';
export const SUITE = 'bookworm';

export const PACKAGES = [
  'openssh-server', 'sudo', 'python3',
  // Ansible's apt module needs python3-apt (benchmark compares against Ansible).
  'python3-apt',
  'postfix', 'opendkim', 'opendkim-tools', 'libsasl2-modules',
  'systemd', 'systemd-sysv', 'dbus', 'procps', 'iproute2', 'ca-certificates',
  // SysV personality: `service`, /lib/lsb/init-functions, update-rc.d, invoke-rc.d.
  'sysvinit-utils', 'init-system-helpers',
  // apt-ftparchive indexes the hosts' local package repository.
  'apt-utils',
];

/** Packages NOT installed in the image but installable on every host from its local repository
 *  (hosts have no route to a mirror): plans and tests install these. */
export const LOCAL_REPO_PACKAGES = ['tree', 'opendmarc', 'postfix-policyd-spf-perl'];

// Runs on the controller with $1 = freshly debootstrapped target. Everything here is part of the
// cache key. Per-host state (host keys, hostname, machine-id, authorized_keys) is NOT baked in:
// fleet.ts writes it into each host's overlay upper dir at `up` time.
export const POST_INSTALL = String.raw`
set -euo pipefail
T=$1
in_root() { chroot "$T" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"; }

mount -t proc proc "$T/proc"
trap 'umount -l "$T/proc" 2>/dev/null || true; rm -f "$T/usr/sbin/policy-rc.d"' EXIT
# Package scripts must not start daemons inside the build chroot.
printf '#!/bin/sh\nexit 101\n' > "$T/usr/sbin/policy-rc.d"; chmod 755 "$T/usr/sbin/policy-rc.d"

# postfix: debootstrap cannot preseed before configuring, so preseed now and reconfigure.
# "Internet Site" gives a complete /etc/postfix/main.cf and a startable postfix.
echo fleet.test > "$T/etc/mailname"
printf '%s\n' \
  'postfix postfix/main_mailer_type select Internet Site' \
  'postfix postfix/mailname string fleet.test' \
  'postfix postfix/destinations string $myhostname, localhost.localdomain, localhost' | in_root debconf-set-selections
in_root dpkg-reconfigure -f noninteractive postfix
test -s "$T/etc/postfix/main.cf"

# Nothing autostarts at boot except the essentials: sshd is spawned per connection in inetd mode
# by the harness (so ssh.service would only be a second, conflicting daemon); postfix/opendkim stay
# installed with their units and /etc/init.d scripts but disabled, so plans start from a clean state.
in_root systemctl disable ssh.service ssh.socket postfix.service opendkim.service 2>/dev/null || true
for s in ssh postfix opendkim; do [ -e "$T/etc/init.d/$s" ] && in_root update-rc.d "$s" disable >/dev/null 2>&1 || true; done
# Periodic jobs only add noise/load to benchmarks; units that need real hardware fail in containers.
in_root systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
  fstrim.timer systemd-remount-fs.service sys-kernel-config.mount sys-kernel-debug.mount \
  sys-kernel-tracing.mount systemd-journald-audit.socket getty@tty1.service >/dev/null 2>&1 || true

# sshd: keys are per host (generated at up time), root by key only, VERBOSE so "Starting session"
# lines are logged (benchmarks count them in /var/log/sshd.log).
rm -f "$T"/etc/ssh/ssh_host_*
cat > "$T/etc/ssh/sshd_config.d/fleet.conf" <<'EOF'
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
LogLevel VERBOSE
UseDNS no
MaxSessions 64
EOF
# pam_loginuid needs audit support that containers may not have; don't let it kill sessions.
sed -i -E 's/^(session\s+)required(\s+pam_loginuid\.so)/\1optional\2/' "$T"/etc/pam.d/*

# Users: root and fleet log in by key; '*' (not '!') so sshd does not treat them as locked.
in_root useradd -m -s /bin/bash fleet
in_root usermod -p '*' fleet
in_root usermod -p '*' root
install -d -m 700 "$T/root/.ssh"
install -d -m 700 -o "$(in_root id -u fleet)" -g "$(in_root id -g fleet)" "$T/home/fleet/.ssh"
echo 'fleet ALL=(ALL:ALL) NOPASSWD: ALL' > "$T/etc/sudoers.d/fleet"; chmod 440 "$T/etc/sudoers.d/fleet"

# A local apt repository: hosts have no network, so whatever a plan installs comes from here.
# The image's own mirror entry is removed so apt-get update on a host never tries the network.
install -d "$T/srv/fleet-repo"
in_root apt-get install -y -q --download-only $LOCAL_REPO_PACKAGES
mv "$T"/var/cache/apt/archives/*.deb "$T/srv/fleet-repo/"
(cd "$T/srv/fleet-repo" && in_root sh -c 'cd /srv/fleet-repo && apt-ftparchive packages . > Packages')
: > "$T/etc/apt/sources.list"
rm -f "$T"/etc/apt/sources.list.d/*
echo 'deb [trusted=yes] file:/srv/fleet-repo ./' > "$T/etc/apt/sources.list.d/fleet-local.list"
rm -rf "$T"/var/lib/apt/lists/*
in_root apt-get update -q
in_root sh -c 'apt-cache policy tree | grep -q "Candidate: [0-9]"'

# Empty machine-id: nspawn/fleet.ts give each host its own.
: > "$T/etc/machine-id"
rm -f "$T/var/lib/dbus/machine-id"; ln -s /etc/machine-id "$T/var/lib/dbus/machine-id"
in_root apt-get clean
rm -rf "$T"/var/log/*.log "$T"/var/log/apt/* "$T/tmp/"*
`;

export function recipeHash(): string {
  return createHash('sha256')
    .update(JSON.stringify({ suite: SUITE, packages: PACKAGES, local: LOCAL_REPO_PACKAGES, script: POST_INSTALL }))
    .digest('hex').slice(0, 16);
}

export function rootfsPath(): string {
  return join(CACHE_DIR, `rootfs-${recipeHash()}`);
}

/** The Debian mirror apt on this controller uses (deb822 .sources or one-line .list). */
export function hostMirror(): string {
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  const d = '/etc/apt/sources.list.d';
  if (existsSync(d)) for (const f of readdirSync(d).sort()) if (/\.(list|sources)$/.test(f)) files.push(join(d, f));
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    // deb822 stanzas: pick the one whose Suites include the bare suite (not -security).
    for (const stanza of text.split(/\n\s*\n/)) {
      const uris = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? [];
      if (uris && suites.includes(SUITE) && /^Types:.*\bdeb\b/m.test(stanza)) return uris;
    }
    for (const line of text.split('\n')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim());
      if (m && m[2] === SUITE) return m[1]!;
    }
  }
  throw new Error(`no apt source for Debian ${SUITE} found in /etc/apt/sources.list(.d)`);
}

function run(cmd: string, args: string[], logFd: number, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', logFd, logFd], env });
    p.on('error', reject);
    p.on('exit', (code, sig) => code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code ?? sig}`)));
  });
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Return the cached rootfs, building it first if needed. Safe against concurrent builders: each
 *  builds into its own temp dir and the atomic rename decides the winner. */
export async function ensureRootfs(opts: { log?: (msg: string) => void } = {}): Promise<string> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[rootfs] ${m}\n`));
  const final = rootfsPath();
  if (existsSync(join(final, '.fleetplan-complete'))) return final;
  mkdirSync(CACHE_DIR, { recursive: true });

  // Leftovers of builders that died mid-way (their pid is in the name).
  for (const e of readdirSync(CACHE_DIR)) {
    const m = /^\.build-[0-9a-f]+-(\d+)$/.exec(e);
    if (m && !pidAlive(Number(m[1]))) {
      await run('umount', ['-l', join(CACHE_DIR, e, 'proc')], openSync('/dev/null', 'w')).catch(() => {});
      rmSync(join(CACHE_DIR, e), { recursive: true, force: true });
    }
  }

  const hash = recipeHash();
  const tmp = join(CACHE_DIR, `.build-${hash}-${process.pid}`);
  const logPath = join(CACHE_DIR, `build-${hash}.log`);
  const logFd = openSync(logPath, 'a');
  const mirror = hostMirror();
  log(`building ${final} from ${mirror} (log: ${logPath}); takes a few minutes the first time`);
  const t0 = Date.now();
  try {
    await run('debootstrap', ['--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, tmp, mirror], logFd,
      { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' });
    const script = join(CACHE_DIR, `.post-install-${process.pid}.sh`);
    writeFileSync(script, POST_INSTALL, { mode: 0o755 });
    try { await run('bash', [script, tmp], logFd, { ...process.env, LOCAL_REPO_PACKAGES: LOCAL_REPO_PACKAGES.join(' ') }); } finally { rmSync(script, { force: true }); }
    writeFileSync(join(tmp, '.fleetplan-complete'), `${hash}\n`);
    try {
      renameSync(tmp, final);
    } catch (e) {
      // Another builder won the race (or a stale incomplete dir is in the way).
      if (existsSync(join(final, '.fleetplan-complete'))) rmSync(tmp, { recursive: true, force: true });
      else { rmSync(final, { recursive: true, force: true }); renameSync(tmp, final); }
    }
    log(`built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return final;
  } catch (e) {
    await run('umount', ['-l', join(tmp, 'proc')], logFd).catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`rootfs build failed: ${(e as Error).message}; see ${logPath}`);
  } finally {
    closeSync(logFd);
  }
}

// `node dist/test/fleet/rootfs.js` builds/reuses the image and prints its path.
if (import.meta.url === `file://${process.argv[1]}`) {
  ensureRootfs().then((p) => console.log(p), (e) => { console.error(e.message); process.exit(1); });
}
