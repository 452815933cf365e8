// Facts in one round trip: one script prints raw key=value lines and identity files; a pure function
// turns them into Facts. Detection is an ordered table of rules (as Ansible's), not scattered ifs.
import { randomBytes } from 'node:crypto';
import type { Connection } from '../connectors/connection.js';
import { FactError } from '../core/errors.js';
import type { Facts, InitSystem, OsFamily, PackageManager } from './facts.js';

// Builtins wherever they do (read, case, parameter expansion): each process costs the host ~1 ms,
// on every run. Linux gives uname's fields (system, node, release, machine, in that order) and the
// real uid under /proc, and /etc/passwd names the uid; uname(1) and id(1) are the fallback elsewhere
// (FreeBSD, kernels before kernel.arch, users only NSS knows).
export const FACTS_SCRIPT = String.raw`
_s=; _m=
if [ -r /proc/sys/kernel/arch ]; then
  { IFS= read -r _s < /proc/sys/kernel/ostype && IFS= read -r _hn < /proc/sys/kernel/hostname &&
    IFS= read -r _r < /proc/sys/kernel/osrelease && IFS= read -r _m < /proc/sys/kernel/arch; } 2>/dev/null || _s=
fi
if [ -n "$_s" ] && [ -n "$_m" ]; then set -- "$_s" "$_hn" "$_r" "$_m"; else set -- $(uname -snrm); fi
echo "system=$1"; echo "hostname=$2"; echo "kernel=$3"; echo "arch=$4"
_uid=; _user=
[ -r /proc/self/status ] && while read -r _k _v _x; do case $_k in Uid:) _uid=$_v; break ;; esac; done < /proc/self/status
case $_uid in
  ''|*[!0-9]*) _uid= ;;
  *) while IFS=: read -r _pn _px _pu _x; do [ "$_pu" = "$_uid" ] && { _user=$_pn; break; }; done 2>/dev/null < /etc/passwd ;;
esac
if [ -n "$_user" ]; then echo "uid=$_uid"; echo "user=$_user"
else
  _i=$(id); _i=${'$'}{_i#uid=}; echo "uid=${'$'}{_i%%[!0-9]*}"
  case "${'$'}{_i%% *}" in *\(*\)) _u=${'$'}{_i%% *}; _u=${'$'}{_u#*\(}; echo "user=${'$'}{_u%\)}" ;; esac
fi
[ -d /run/systemd/system ] && echo "run_systemd=1"
[ -r /proc/1/comm ] && { IFS= read -r _l < /proc/1/comm; echo "pid1=$_l"; }
command -v freebsd-version >/dev/null 2>&1 && echo "freebsd_version=$(freebsd-version)"
for c in apt-get dnf yum pkg systemctl service chkconfig update-rc.d sysrc; do
  command -v "$c" >/dev/null 2>&1 && echo "has_$c=1"
done
[ -r /etc/redhat-release ] && { IFS= read -r _l < /etc/redhat-release; echo "redhat_release=$_l"; }
[ -r /etc/debian_version ] && { IFS= read -r _l < /etc/debian_version; echo "debian_version=$_l"; }
if [ -r /etc/os-release ]; then
  while IFS= read -r _l || [ -n "$_l" ]; do echo "os_release.$_l"; done < /etc/os-release
fi
exit 0
`;

export type Raw = Record<string, string>;

/** KEY=value lines; os-release values may be quoted. */
export function parseRaw(text: string): Raw {
  const raw: Raw = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]!)) {
      value = value.slice(1, -1);
    }
    raw[line.slice(0, eq).trim()] = value;
  }
  return raw;
}

interface Identity {
  os_family: OsFamily;
  distribution: string;
  distribution_version: string;
}

export const FAMILY_OF_ID: Record<string, OsFamily> = {
  debian: 'Debian', ubuntu: 'Debian', raspbian: 'Debian', linuxmint: 'Debian',
  centos: 'RedHat', rhel: 'RedHat', fedora: 'RedHat', rocky: 'RedHat', almalinux: 'RedHat', ol: 'RedHat',
  freebsd: 'FreeBSD',
};

/** Ordered: the first rule that recognises the host wins. */
const IDENTITY_RULES: Array<(raw: Raw) => Identity | undefined> = [
  // FreeBSD: uname says so; freebsd-version gives the userland version (14.1-RELEASE-p3).
  (raw) =>
    raw.system === 'FreeBSD'
      ? { os_family: 'FreeBSD', distribution: 'freebsd', distribution_version: raw.freebsd_version || raw.kernel || '' }
      : undefined,
  // Anything with /etc/os-release (CentOS 7+, Debian, Ubuntu).
  (raw) => {
    const id = raw['os_release.ID']?.toLowerCase();
    if (!id) return undefined;
    const like = (raw['os_release.ID_LIKE'] ?? '').toLowerCase().split(/\s+/);
    const family = FAMILY_OF_ID[id] ?? like.map((l) => FAMILY_OF_ID[l]).find(Boolean) ?? 'unknown';
    // CentOS 7's VERSION_ID is "7"; the full version is in redhat-release ("7.9.2009").
    const rhFull = raw.redhat_release?.match(/release\s+([\d.]+)/)?.[1];
    const debFull = id === 'debian' ? raw.debian_version?.match(/^[\d.]+$/)?.[0] : undefined;
    return { os_family: family, distribution: id, distribution_version: rhFull ?? debFull ?? raw['os_release.VERSION_ID'] ?? '' };
  },
  // CentOS 6 and older RHEL: no os-release, only "CentOS release 6.10 (Final)".
  (raw) => {
    const m = raw.redhat_release?.match(/^(.*?)\s+(?:Linux\s+)?release\s+([\d.]+)/i);
    if (!m) return undefined;
    const name = m[1]!.toLowerCase();
    const distribution = name.includes('centos') ? 'centos' : name.includes('red hat') ? 'rhel' : name.split(/\s+/)[0]!;
    return { os_family: 'RedHat', distribution, distribution_version: m[2]! };
  },
  (raw) => (raw.debian_version ? { os_family: 'Debian', distribution: 'debian', distribution_version: raw.debian_version } : undefined),
];

const INIT_RULES: Array<(raw: Raw, family: OsFamily) => InitSystem | undefined> = [
  (raw) => (raw.run_systemd ? 'systemd' : undefined),
  (_raw, family) => (family === 'FreeBSD' ? 'bsdrc' : undefined),
  (raw) => (raw.has_service || raw.has_chkconfig || raw['has_update-rc.d'] ? 'sysv' : undefined),
];

const PKG_RULES: Array<(raw: Raw, family: OsFamily, major: number) => PackageManager | undefined> = [
  (raw, family) => (family === 'FreeBSD' && raw.has_pkg ? 'pkg' : undefined),
  (raw, family) => (family === 'Debian' && raw['has_apt-get'] ? 'apt' : undefined),
  // RHEL 8+ ships dnf with yum as an alias; 7 and older use yum.
  (raw, family, major) => (family === 'RedHat' && raw.has_dnf && (major >= 8 || !raw.has_yum) ? 'dnf' : undefined),
  (raw, family) => (family === 'RedHat' && raw.has_yum ? 'yum' : undefined),
  (raw) => (raw['has_apt-get'] ? 'apt' : raw.has_dnf ? 'dnf' : raw.has_yum ? 'yum' : raw.has_pkg ? 'pkg' : undefined),
];

export function factsFromRaw(raw: Raw): Facts {
  const identity: Identity = IDENTITY_RULES.map((r) => r(raw)).find(Boolean) ?? {
    os_family: 'unknown',
    distribution: 'unknown',
    distribution_version: '',
  };
  const major = Number(identity.distribution_version.match(/^\d+/)?.[0] ?? 0);
  return {
    hostname: raw.hostname ?? '',
    system: raw.system ?? '',
    kernel: raw.kernel ?? '',
    arch: raw.arch ?? '',
    ...identity,
    distribution_major: major,
    init: INIT_RULES.map((r) => r(raw, identity.os_family)).find(Boolean) ?? 'unknown',
    pkg_mgr: PKG_RULES.map((r) => r(raw, identity.os_family, major)).find(Boolean) ?? 'unknown',
    user: raw.user ?? '',
    uid: Number(raw.uid ?? -1),
  };
}

export function parseFacts(text: string): Facts {
  return factsFromRaw(parseRaw(text));
}

/**
 * Facts in one exec. `extra` is more sh run first in the same exec (the run lock) whose key=value
 * lines come back in `extra`, so taking the lock costs no extra round trip. A random marker line
 * separates the two: nothing `extra` prints can be taken for a fact.
 */
export async function gatherFacts(conn: Connection, host: string, extra = ''): Promise<{ facts: Facts; raw: Raw; extra: Raw }> {
  const mark = `@@facts-${randomBytes(8).toString('hex')}`;
  const res = await conn.script(extra ? `${extra}\necho ${mark}\n${FACTS_SCRIPT}` : FACTS_SCRIPT, { label: 'gather facts' });
  if (res.exitCode !== 0) {
    throw new FactError(`facts script exited ${res.exitCode}: ${res.stderr.trim().slice(0, 300)}`, { host });
  }
  const out = res.stdout.toString();
  const at = extra ? out.indexOf(`${mark}\n`) : 0;
  if (at < 0) throw new FactError(`facts script printed nothing recognisable`, { host });
  const raw = parseRaw(extra ? out.slice(at + mark.length + 1) : out);
  const facts = factsFromRaw(raw);
  if (!facts.system) throw new FactError(`facts script printed nothing recognisable`, { host });
  return { facts, raw, extra: extra ? parseRaw(out.slice(0, at)) : {} };
}
