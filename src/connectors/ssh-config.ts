// ~/.ssh/config lookup, so hosts reachable with plain `ssh alias` are reachable by fleetplan too.
import { readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import SSHConfig from 'ssh-config';
import { InputError } from '../core/errors.js';

export interface SshConfigResult {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles?: string[];
  /** As written: "user@host:port", an alias, or a comma list of hops. */
  proxyJump?: string;
  /** UserKnownHostsFile may list several files. */
  userKnownHostsFile?: string[];
}

export function defaultSshConfigFile(): string {
  return `${homedir()}/.ssh/config`;
}

/** Parsed files, keyed by path and invalidated by mtime: 500 hosts must not mean 500 parses. */
const cache = new Map<string, { mtimeMs: number; config: SSHConfig }>();

function load(file: string): SSHConfig | undefined {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return undefined; // no config file: nothing to resolve
  }
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.config;
  const config = SSHConfig.parse(readFileSync(file, 'utf8'));
  cache.set(file, { mtimeMs, config });
  return config;
}

/** OpenSSH's ~ and %-tokens that make sense before connecting (%h host, %r user, %u local user, %d home). */
function expand(s: string, alias: string, user: string | undefined): string {
  const out = s.replace(/%([%hnrud])/g, (m, t: string) =>
    t === '%' ? '%' : t === 'h' || t === 'n' ? alias : t === 'r' ? (user ?? m) : t === 'u' ? userInfo().username : homedir(),
  );
  return out.startsWith('~/') || out === '~' ? homedir() + out.slice(1) : out;
}

const list = (v: string | string[] | undefined): string[] | undefined =>
  v === undefined ? undefined : (Array.isArray(v) ? v : [v]);

export function resolveSshConfig(hostAlias: string, file: string = defaultSshConfigFile()): SshConfigResult {
  const config = load(file);
  if (!config) return {};
  // matchExec off: resolving an address must not run `Match exec` commands during validation.
  const c = config.compute(hostAlias, { ignoreCase: true, matchExec: false });
  const first = (k: string): string | undefined => list(c[k])?.[0];
  const r: SshConfigResult = {};
  const user = first('user');
  if (user !== undefined) r.user = user;
  const hostName = first('hostname');
  if (hostName !== undefined) r.hostName = expand(hostName, hostAlias, user);
  const port = first('port');
  if (port !== undefined) {
    if (!/^\d+$/.test(port) || +port < 1 || +port > 65535) {
      throw new InputError(`${file}: Port for Host ${hostAlias} must be a number 1-65535, got "${port}"`, { pos: { file } });
    }
    r.port = Number(port);
  }
  const ids = list(c['identityfile']);
  if (ids) r.identityFiles = ids.filter((f) => f.toLowerCase() !== 'none').map((f) => expand(f, hostAlias, user));
  const jump = first('proxyjump');
  if (jump !== undefined && jump.toLowerCase() !== 'none') r.proxyJump = jump;
  const kh = list(c['userknownhostsfile']);
  if (kh) r.userKnownHostsFile = kh.flatMap((f) => f.split(/\s+/)).filter(Boolean).map((f) => expand(f, hostAlias, user));
  return r;
}
