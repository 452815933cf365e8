// Facts in one round trip: one script prints raw key=value lines and identity files; a pure function
// turns them into Facts. Detection is an ordered table of rules (as Ansible's), not scattered ifs.
import { randomBytes } from 'node:crypto';
import type { Connection } from '../connectors/connection.js';
import { FactError } from '../core/errors.js';
import type { ExtendedFacts, Facts, InitSystem, OsFamily, PackageManager } from './facts.js';
import { localFacts } from './local.js';
import { freebsdNetwork, linuxNetwork, type Sections } from './network.js';
import { virtualization } from './virt.js';

// Builtins wherever they do (read, case, parameter expansion): each process costs the host ~1 ms,
// on every run. Linux gives uname's fields (system, node, release, machine, in that order) and the
// real uid under /proc, and /etc/passwd names the uid; uname(1) and id(1) are the fallback elsewhere
// (FreeBSD, kernels before kernel.arch, users only NSS knows).
export const CORE_FACTS_SCRIPT = String.raw`
_s=; _m=
if [ -r /proc/sys/kernel/arch ]; then
  { IFS= read -r _s < /proc/sys/kernel/ostype && IFS= read -r _hn < /proc/sys/kernel/hostname &&
    IFS= read -r _r < /proc/sys/kernel/osrelease && IFS= read -r _m < /proc/sys/kernel/arch; } 2>/dev/null || _s=
fi
if [ -n "$_s" ] && [ -n "$_m" ]; then set -- "$_s" "$_hn" "$_r" "$_m"; else set -- $(uname -snrm); fi
echo "system=$1"; echo "hostname=$2"; echo "kernel=$3"; echo "arch=$4"
_sys=$1; _node=$2
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
`;

/**
 * The shell variable a script run before the facts in the same exec sets to the path of the
 * postfix_version marker: engine/host-lock.ts sets it once it holds the run lock, in the root-only
 * directory it has just checked (so never in a dry run, which takes no lock, nor for a login that
 * is not root). Without it the facts run postconf as they always did.
 */
export const POSTFIX_MARKER_VAR = '_fl_pv';

/** What a Postfix version may be (3.7.11, 2.10.1, 3.9-20231012, 3.8.0-RC1): anything else is read as "". */
export const POSTFIX_VERSION = /^[0-9A-Za-z][0-9A-Za-z.+~-]{0,63}$/;

// `postconf -dh mail_version` costs the host ≈ 3.6 ms on every run (a process, Postfix's libraries,
// its defaults). Its answer changes only when postconf does, so a run holding the lock keeps it in a
// marker (postconf's path, then the version) whose mtime is set to postconf's with `touch -r`: it is
// used only when it is a root-owned regular file, not a symlink, whose mtime EQUALS postconf's
// (package managers keep the package's mtimes, so an upgrade to an older-dated binary must miss too)
// and which names the postconf found now, holding a version in POSTFIX_VERSION's characters. Any
// other case runs postconf (as without the marker) and writes the marker anew: aside, then renamed
// over a regular file or nothing (never through a symlink or into a directory). postconf is found
// with builtins over $PATH's absolute entries; when that finds none, `command -v` decides, as before.
export const POSTFIX_VERSION_SH = String.raw`_pc=
if [ -n "${'$'}{${POSTFIX_MARKER_VAR}:-}" ]; then
  _o=$IFS; IFS=:; for _d in $PATH; do case $_d in /*) [ -f "$_d/postconf" ] && [ -x "$_d/postconf" ] && { _pc=$_d/postconf; break; } ;; esac; done; IFS=$_o
fi
if [ -n "$_pc" ]; then
  _m=$${POSTFIX_MARKER_VAR}; _pv=; _l=
  if [ -f "$_m" ] && [ ! -h "$_m" ] && [ -O "$_m" ] && ! [ "$_m" -nt "$_pc" ] && ! [ "$_pc" -nt "$_m" ]; then
    { IFS= read -r _l && IFS= read -r _pv; } 2>/dev/null < "$_m"; [ "$_l" = "$_pc" ] || _pv=
  fi
  case $_pv in [!0-9A-Za-z]*|*[!0-9A-Za-z.+~-]*) _pv= ;; esac; [ ${'$'}{#_pv} -le 64 ] || _pv=
  if [ -z "$_pv" ]; then
    _pv=$("$_pc" -dh mail_version 2>/dev/null)
    case $_pv in ''|[!0-9A-Za-z]*|*[!0-9A-Za-z.+~-]*) ;; *)
      if [ ${'$'}{#_pv} -le 64 ] && { [ ! -e "$_m" ] || [ -f "$_m" ]; } && [ ! -h "$_m" ]; then
        { printf '%s\n%s\n' "$_pc" "$_pv" > "$_m.new" && touch -r "$_pc" "$_m.new" && mv -f "$_m.new" "$_m"; } 2>/dev/null
      fi ;;
    esac
  fi
  echo "postfix_version=$_pv"
else
  command -v postconf >/dev/null 2>&1 && echo "postfix_version=$(postconf -dh mail_version 2>/dev/null)"
fi`;

// What plans read beyond the OS identity: fqdn, addresses and routes, virtualization, local facts,
// the Postfix version (postconf -d: the compiled-in value, readable even before main.cf exists).
// Linux's network tables come from /proc/net with builtins (no process); FreeBSD's from ifconfig and
// netstat. Tables are read up to a cap, so a router's full routing table cannot stall the run.
// Local facts: only regular files (find -type f does not follow symlinks) owned by root and not
// group/world-writable, in a directory that is the same; the ansible directory first, so a file of
// the same stem under /etc/fleetplan wins.
export const EXTENDED_FACTS_SCRIPT = String.raw`
echo extended=1
[ -r /etc/hosts ] && while IFS= read -r _l; do case $_l in \#*) ;; *"${'$'}{_node%%.*}"*) echo "hosts=$_l" ;; esac; done < /etc/hosts
if [ -r /proc/net/route ]; then
  _n=0; while IFS= read -r _l && [ $_n -lt 4096 ]; do _n=$((_n+1)); echo "r4=$_l"; done < /proc/net/route
  [ -r /proc/net/fib_trie ] && { _n=0; while IFS= read -r _l && [ $_n -lt 16384 ]; do _n=$((_n+1)); case $_l in *'|-- '*|*'/32 host LOCAL'*) echo "ft=$_l" ;; esac; done < /proc/net/fib_trie; }
  [ -r /proc/net/if_inet6 ] && while IFS= read -r _l; do echo "a6=$_l"; done < /proc/net/if_inet6
  [ -r /proc/net/ipv6_route ] && { _n=0; while IFS= read -r _l && [ $_n -lt 4096 ]; do _n=$((_n+1)); case $_l in '00000000000000000000000000000000 00 '*) echo "r6=$_l" ;; esac; done < /proc/net/ipv6_route; }
elif command -v ifconfig >/dev/null 2>&1; then
  ifconfig 2>/dev/null | while IFS= read -r _l; do echo "if=$_l"; done
  netstat -rn 2>/dev/null | while IFS= read -r _l; do echo "nr=$_l"; done
fi
for _f in /run/systemd/container /run/host/container-manager; do
  [ -r $_f ] && { IFS= read -r _l < $_f; echo "virt_container=$_l"; break; } 2>/dev/null
done
_l=; { IFS= read -r _l < /proc/1/environ; } 2>/dev/null
case $_l in *container=*) _l=$(tr '\000' '\n' < /proc/1/environ 2>/dev/null); echo "virt_environ=${'$'}{_l#*container=}" | { IFS= read -r _l; echo "$_l"; } ;; esac
[ -e /.dockerenv ] && echo virt_dockerenv=1
[ -e /run/.containerenv ] && echo virt_containerenv=1
[ -d /proc/vz ] && [ ! -d /proc/bc ] && echo virt_openvz=1
[ -d /proc/xen ] && echo virt_xen=1
for _k in sys_vendor:dmi_vendor product_name:dmi_product; do
  [ -r /sys/class/dmi/id/${'$'}{_k%%:*} ] && { IFS= read -r _l < /sys/class/dmi/id/${'$'}{_k%%:*}; echo "${'$'}{_k#*:}=$_l"; } 2>/dev/null
done
if [ "$_sys" = FreeBSD ]; then
  echo "bsd_jailed=$(sysctl -n security.jail.jailed 2>/dev/null)"; echo "bsd_vm_guest=$(sysctl -n kern.vm_guest 2>/dev/null)"
fi
${POSTFIX_VERSION_SH}
for _d in /etc/ansible/facts.d /etc/fleetplan/facts.d; do
  [ -d "$_d" ] || continue
  [ -n "$(find "$_d" -maxdepth 0 -type d -user 0 ! -perm -g+w ! -perm -o+w 2>/dev/null)" ] || continue
  find "$_d" -maxdepth 1 -type f -user 0 ! -perm -g+w ! -perm -o+w \( -name '*.json' -o -name '*.fact' \) 2>/dev/null | while IFS= read -r _f; do
    if [ -r "$_f" ]; then
      echo "lf=$_f"; _n=0
      while { IFS= read -r _l || [ -n "$_l" ]; } && [ $_n -lt 10000 ]; do _n=$((_n+1)); echo "ll=$_l"; done < "$_f"
    else echo "le=$_f"; fi
  done
done
`;

/** Everything: what \`fleetplan facts\` and a play that gathers facts run. */
export const FACTS_SCRIPT = `${CORE_FACTS_SCRIPT}${EXTENDED_FACTS_SCRIPT}exit 0\n`;

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

export function factsFromRaw(raw: Raw, sections: Sections = {}): Facts {
  const identity: Identity = IDENTITY_RULES.map((r) => r(raw)).find(Boolean) ?? {
    os_family: 'unknown',
    distribution: 'unknown',
    distribution_version: '',
  };
  const majorText = identity.distribution_version.match(/^\d+/)?.[0] ?? '';
  const major = Number(majorText || 0);
  const node = raw.hostname ?? '';
  const facts: Facts = {
    hostname: node.split('.')[0]!,
    system: raw.system ?? '',
    kernel: raw.kernel ?? '',
    arch: raw.arch ?? '',
    ...identity,
    distribution_major: major,
    distribution_major_version: majorText,
    distribution_release: RELEASE_RULES.map((r) => r(raw, identity)).find((x) => x !== undefined) ?? '',
    init: INIT_RULES.map((r) => r(raw, identity.os_family)).find(Boolean) ?? 'unknown',
    pkg_mgr: PKG_RULES.map((r) => r(raw, identity.os_family, major)).find(Boolean) ?? 'unknown',
    user: raw.user ?? '',
    uid: Number(raw.uid ?? -1),
  };
  return raw.extended ? { ...facts, ...extendedFacts(raw, sections, node) } : facts;
}

/** Ordered: FreeBSD's release, os-release's codename, redhat-release's "(name)" (Core, Final, Blue Onyx), the first word of os-release VERSION's "(name)" (Debian 8: jessie). */
const RELEASE_RULES: Array<(raw: Raw, id: Identity) => string | undefined> = [
  (raw, id) => (id.os_family === 'FreeBSD' ? raw.kernel || id.distribution_version : undefined),
  (raw) => raw['os_release.VERSION_CODENAME'] || raw['os_release.UBUNTU_CODENAME'] || undefined,
  (raw) => raw.redhat_release?.match(/\(([^)]+)\)/)?.[1],
  (raw) => raw['os_release.VERSION']?.match(/\(([^)]+)\)/)?.[1]?.split(/[ ,]/)[0]?.toLowerCase(),
];

function extendedFacts(raw: Raw, sections: Sections, node: string): ExtendedFacts {
  const fqdn = fqdnOf(node, sections.hosts ?? []);
  const net = sections.if || sections.nr ? freebsdNetwork(sections) : linuxNetwork(sections);
  const local = localFacts(sections.local ?? []);
  return {
    fqdn,
    domain: fqdn.includes('.') ? fqdn.slice(fqdn.indexOf('.') + 1) : '',
    ...net,
    ...virtualization(raw),
    // A forged or garbled version (from the marker or postconf) is no version: nothing odd reaches a template.
    postfix_version: POSTFIX_VERSION.test(raw.postfix_version ?? '') ? raw.postfix_version! : '',
    local: Object.fromEntries(Object.keys(local).sort().map((k) => [k, local[k]])),
  };
}

/**
 * As Python's socket.getfqdn() (Ansible's ansible_fqdn) but from /etc/hosts only — a run never waits
 * on DNS: the node name when it has a dot, else the first dotted name on the first hosts line that
 * lists it.
 */
function fqdnOf(node: string, hostsLines: readonly string[]): string {
  if (node.includes('.')) return node;
  for (const l of hostsLines) {
    const names = l.replace(/#.*$/, '').trim().split(/\s+/).slice(1);
    if (names.includes(node)) return names.find((n) => n.includes('.')) ?? node;
  }
  return node;
}

/** The repeated lines of the facts output by prefix (r4=, ft=, ...; lf=/ll=/le= together as `local`). */
export function sectionsOf(text: string): Sections {
  const out: Sections = {};
  for (const line of text.split('\n')) {
    const m = /^(r4|r6|a6|ft|if|nr|hosts|lf|ll|le)=/.exec(line);
    if (!m) continue;
    const key = m[1] === 'lf' || m[1] === 'll' || m[1] === 'le' ? 'local' : m[1]!;
    (out[key] ??= []).push(key === 'local' ? line : line.slice(m[0].length));
  }
  return out;
}

export function parseFacts(text: string): Facts {
  return factsFromRaw(parseRaw(text), sectionsOf(text));
}

/**
 * Facts in one exec. `extra` is more sh run first in the same exec (the run lock) whose key=value
 * lines come back in `extra`, so taking the lock costs no extra round trip. A random marker line
 * separates the two: nothing `extra` prints can be taken for a fact.
 */
export async function gatherFacts(conn: Connection, host: string, extra = '', extended = true): Promise<{ facts: Facts; raw: Raw; extra: Raw }> {
  const mark = `@@facts-${randomBytes(8).toString('hex')}`;
  const script = extended ? FACTS_SCRIPT : `${CORE_FACTS_SCRIPT}exit 0\n`;
  const res = await conn.script(extra ? `${extra}\necho ${mark}\n${script}` : script, { label: 'gather facts', public: true });
  if (res.exitCode !== 0) {
    throw new FactError(`facts script exited ${res.exitCode}: ${res.stderr.trim().slice(0, 300)}`, { host });
  }
  const out = res.stdout.toString();
  const at = extra ? out.indexOf(`${mark}\n`) : 0;
  if (at < 0) throw new FactError(`facts script printed nothing recognisable`, { host });
  const text = extra ? out.slice(at + mark.length + 1) : out;
  const raw = parseRaw(text);
  const facts = factsFromRaw(raw, sectionsOf(text));
  if (!facts.system) throw new FactError(`facts script printed nothing recognisable`, { host });
  return { facts, raw, extra: extra ? parseRaw(out.slice(0, at)) : {} };
}
