// Network facts from what the facts script printed: on Linux the kernel's own tables under /proc/net
// (read with shell builtins — no process on the host), on FreeBSD `ifconfig` and `netstat -rn`. Pure
// functions of the printed lines, so each OS's parsing is tested from captured output.
import type { DefaultRoute, ExtendedFacts } from './facts.js';

export type NetworkFacts = Pick<ExtendedFacts, 'default_ipv4' | 'default_ipv6' | 'all_ipv4_addresses' | 'all_ipv6_addresses' | 'interfaces'>;

/** The lines the script printed under each prefix (`r4=...`), in order. */
export type Sections = Record<string, string[]>;

/** /proc/net/route's little-endian hex (010200C0) as a dotted quad (192.0.2.1). */
function hex4(h: string): number {
  return Number.parseInt(h, 16) >>> 0;
}
function dotted(le: number): string {
  return [le & 255, (le >>> 8) & 255, (le >>> 16) & 255, le >>> 24].join('.');
}
function quadLE(addr: string): number {
  const [a, b, c, d] = addr.split('.').map(Number) as [number, number, number, number];
  return (a | (b << 8) | (c << 16) | (d << 24)) >>> 0;
}

/** 32 hex digits as the compressed IPv6 text form (RFC 5952: the longest run of zero groups becomes ::). */
export function ipv6Text(hex: string): string {
  const groups = (hex.match(/.{4}/g) ?? []).map((g) => Number.parseInt(g, 16).toString(16));
  let best = -1, bestLen = 1;
  for (let i = 0; i < groups.length; ) {
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

const uniq = (xs: string[]) => [...new Set(xs)];

/** Linux: r4 = /proc/net/route, r6 = default lines of /proc/net/ipv6_route, a6 = /proc/net/if_inet6, ft = /proc/net/fib_trie. */
export function linuxNetwork(s: Sections): NetworkFacts {
  const routes = (s.r4 ?? [])
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && /^[0-9A-Fa-f]{8}$/.test(f[1]!) && (Number.parseInt(f[3]!, 16) & 1) === 1)
    .map((f) => ({ iface: f[0]!, dest: hex4(f[1]!), gw: hex4(f[2]!), metric: Number(f[6]), mask: hex4(f[7]!) }));
  // fib_trie: an address line ("|-- 192.0.2.2") followed by "/32 host LOCAL" is one of the host's own.
  const v4: string[] = [];
  let cur: string | undefined;
  for (const l of s.ft ?? []) {
    const m = /\|-- (\d+\.\d+\.\d+\.\d+)/.exec(l);
    if (m) cur = m[1];
    else if (cur && /\/32 host LOCAL/.test(l)) v4.push(cur);
  }
  const ifaceOf = (addr: string): string | undefined => {
    if (addr.startsWith('127.')) return 'lo';
    const a = quadLE(addr);
    const connected = routes.filter((r) => r.gw === 0 && r.mask !== 0 && ((a & r.mask) >>> 0) === r.dest);
    return connected.sort((x, y) => popcount(y.mask) - popcount(x.mask))[0]?.iface;
  };
  const addrs4 = uniq(v4).map((address) => ({ address, iface: ifaceOf(address) }));
  const def4 = routes.filter((r) => r.dest === 0 && r.mask === 0).sort((a, b) => a.metric - b.metric)[0];
  const default_ipv4: DefaultRoute = def4
    ? { address: addrs4.find((a) => a.iface === def4.iface)?.address, interface: def4.iface, gateway: def4.gw ? dotted(def4.gw) : undefined }
    : {};

  const addrs6 = (s.a6 ?? [])
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 6 && /^[0-9a-f]{32}$/i.test(f[0]!))
    .map((f) => ({ address: ipv6Text(f[0]!.toLowerCase()), scope: f[3]!, iface: f[5]! }));
  // Up (RTF_UP 0x1) and not a reject route (RTF_REJECT 0x200: the kernel's "no route" default on lo).
  const def6 = (s.r6 ?? [])
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 10 && f[9] !== 'lo' && (Number.parseInt(f[8]!, 16) & 0x201) === 1)
    .map((f) => ({ gw: f[4]!, metric: Number.parseInt(f[5]!, 16), iface: f[9]! }))
    .sort((a, b) => a.metric - b.metric)[0];
  const default_ipv6: DefaultRoute = def6
    ? {
        address: (addrs6.find((a) => a.iface === def6.iface && a.scope === '00') ?? addrs6.find((a) => a.iface === def6.iface))?.address,
        interface: def6.iface,
        gateway: /^0+$/.test(def6.gw) ? undefined : ipv6Text(def6.gw.toLowerCase()),
      }
    : {};
  return {
    default_ipv4: clean(default_ipv4),
    default_ipv6: clean(default_ipv6),
    all_ipv4_addresses: addrs4.filter((a) => !a.address.startsWith('127.')).map((a) => a.address),
    all_ipv6_addresses: uniq(addrs6.filter((a) => a.address !== '::1').map((a) => a.address)),
    interfaces: uniq(['lo', ...addrs4.flatMap((a) => (a.iface ? [a.iface] : [])), ...routes.map((r) => r.iface), ...addrs6.map((a) => a.iface)]),
  };
}

function popcount(n: number): number {
  let c = 0;
  for (; n; n >>>= 1) c += n & 1;
  return c;
}

/** FreeBSD: if = `ifconfig` output, nr = `netstat -rn` output. */
export function freebsdNetwork(s: Sections): NetworkFacts {
  const addrs: { iface: string; family: 4 | 6; address: string }[] = [];
  const interfaces: string[] = [];
  let iface = '';
  for (const l of s.if ?? []) {
    const head = /^([A-Za-z0-9_.-]+): flags=/.exec(l);
    if (head) interfaces.push((iface = head[1]!));
    const m = /^\s+inet(6?) ([0-9a-fA-F.:]+)(?:%\S+)?\s/.exec(`${l} `);
    if (m && iface) addrs.push({ iface, family: m[1] ? 6 : 4, address: m[2]! });
  }
  const defaults: Record<4 | 6, DefaultRoute> = { 4: {}, 6: {} };
  let family: 4 | 6 | undefined;
  for (const l of s.nr ?? []) {
    if (/^Internet:/.test(l)) family = 4;
    else if (/^Internet6:/.test(l)) family = 6;
    const f = l.trim().split(/\s+/);
    if (family && f[0] === 'default' && f.length >= 4 && !defaults[family].interface) {
      const gw = f[1]!.replace(/%.*$/, '');
      defaults[family] = { interface: f[3]!, gateway: gw.startsWith('link#') ? undefined : gw };
    }
  }
  for (const fam of [4, 6] as const) {
    const d = defaults[fam];
    if (!d.interface) continue;
    const on = addrs.filter((a) => a.family === fam && a.iface === d.interface);
    d.address = (on.find((a) => !a.address.startsWith('fe80:')) ?? on[0])?.address;
  }
  return {
    default_ipv4: clean(defaults[4]),
    default_ipv6: clean(defaults[6]),
    all_ipv4_addresses: addrs.filter((a) => a.family === 4 && !a.address.startsWith('127.')).map((a) => a.address),
    all_ipv6_addresses: uniq(addrs.filter((a) => a.family === 6 && a.address !== '::1').map((a) => a.address)),
    interfaces,
  };
}

/** No `undefined` members: a template sees only what is known. */
function clean(r: DefaultRoute): DefaultRoute {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
}
