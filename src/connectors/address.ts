// Host vars + ~/.ssh/config + defaults → one HostAddress. All validation happens here, before any
// host is contacted, so a typo in a var is an input error, not a connection failure.
import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { Secret } from '../load/secret.js';
import type { HostAddress } from './connection.js';
import { resolveSshConfig } from './ssh-config.js';

export interface BuildAddressOptions {
  inventoryDir: string;
  acceptNewHostKeys?: boolean;
  connectTimeoutMs?: number;
  sshConfigFile?: string;
  defaultUser?: string;
  connectionOverride?: 'ssh' | 'local';
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** fleetplan's var names first; the Ansible names are accepted for operators bringing inventories over. */
const ALIASES: Record<string, string[]> = {
  ssh_host: ['ansible_host', 'ansible_ssh_host'],
  ssh_port: ['ansible_port', 'ansible_ssh_port'],
  ssh_user: ['ansible_user', 'ansible_ssh_user'],
  ssh_private_key_file: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
  ssh_known_hosts_file: [],
  ssh_proxy_jump: [],
  ssh_password: ['ansible_password', 'ansible_ssh_pass'],
  connection: ['ansible_connection'],
  become: ['ansible_become'],
  become_user: ['ansible_become_user'],
  become_password: ['ansible_become_password', 'ansible_become_pass'],
  become_method: ['ansible_become_method'],
};

/** Every variable buildAddress reads, in both spellings (what `fleetplan init --hosts` carries over). */
export const CONNECTION_VARS: readonly string[] = Object.entries(ALIASES).flatMap(([name, aliases]) => [name, ...aliases]);
/** The connection variables naming controller files, which are relative to the inventory's directory. */
export const CONNECTION_PATH_VARS: readonly string[] = ['ssh_private_key_file', ...ALIASES.ssh_private_key_file!, 'ssh_known_hosts_file'];
/** The ones saying where the host is: they belong to each host, never to a group. */
export const HOST_ADDRESS_VARS: readonly string[] = ['ssh_host', ...ALIASES.ssh_host!];

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p;
}

/** `~` expands; relative paths are relative to the inventory, not to wherever fleetplan was started. */
function resolvePath(p: string, base: string): string {
  const e = expandHome(p);
  return isAbsolute(e) ? e : resolve(base, e);
}

export function buildAddress(name: string, vars: Record<string, unknown>, opts: BuildAddressOptions): HostAddress {
  const bad = (v: string, want: string, got: unknown) =>
    new InputError(`host ${name}: ${v} must be ${want}, got ${JSON.stringify(got)}`, { host: name });

  /** The value of a var under its name or an alias, with the name actually used (for messages). */
  const get = (key: string): [string, unknown] | undefined => {
    for (const k of [key, ...(ALIASES[key] ?? [])]) if (vars[k] !== undefined && vars[k] !== null) return [k, vars[k]];
    return undefined;
  };
  const str = (key: string): string | undefined => {
    const v = get(key);
    if (!v) return undefined;
    if (v[1] instanceof Secret && v[1].toString() !== '') return v[1].toString(); // e.g. from an encrypted host_vars file
    if (typeof v[1] !== 'string' || v[1] === '') throw bad(v[0], 'a non-empty string', v[1]);
    return v[1];
  };
  const bool = (key: string): boolean | undefined => {
    const v = get(key);
    if (!v) return undefined;
    if (typeof v[1] === 'boolean') return v[1];
    if (typeof v[1] === 'string' && /^(true|yes|false|no)$/i.test(v[1])) return /^(true|yes)$/i.test(v[1]);
    throw bad(v[0], 'true or false', v[1]);
  };
  const port = (): number | undefined => {
    const v = get('ssh_port');
    if (!v) return undefined;
    const n = typeof v[1] === 'string' && /^\d+$/.test(v[1]) ? Number(v[1]) : v[1];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) throw bad(v[0], 'a port number (1-65535)', v[1]);
    return n;
  };
  const secret = (key: string): string | undefined => {
    const v = get(key);
    if (!v) return undefined;
    if (typeof v[1] === 'number' || v[1] instanceof Secret) return String(v[1]);
    // Never echo a secret's value into an error message.
    if (typeof v[1] !== 'string') throw new InputError(`host ${name}: ${v[0]} must be a string`, { host: name });
    return v[1];
  };

  const connVar = get('connection');
  if (connVar && connVar[1] !== 'ssh' && connVar[1] !== 'local') throw bad(connVar[0], '"ssh" or "local"', connVar[1]);
  const connection = opts.connectionOverride ?? (connVar?.[1] as 'ssh' | 'local' | undefined) ?? 'ssh';

  const method = str('become_method');
  if (method !== undefined && method !== 'sudo') throw bad(get('become_method')![0], '"sudo" (the only method supported)', method);
  const becomePassword = secret('become_password');
  const become = {
    enabled: bool('become') ?? false,
    user: str('become_user') ?? 'root',
    method: 'sudo' as const,
    ...(becomePassword !== undefined ? { password: becomePassword } : {}),
  };

  const knownVar = str('ssh_known_hosts_file');
  const common = {
    acceptNewHostKeys: opts.acceptNewHostKeys ?? false,
    connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };

  if (connection === 'local') {
    return {
      name, connection, host: 'localhost', port: 0, user: userInfo().username,
      identityFiles: [], useAgent: false, knownHostsFiles: [], ...common, become,
    };
  }

  const sshHost = str('ssh_host');
  const explicitPort = port();
  const explicitUser = str('ssh_user');
  const keyVar = get('ssh_private_key_file');
  let keys: string[] | undefined;
  if (keyVar) {
    const list = Array.isArray(keyVar[1]) ? keyVar[1] : [keyVar[1]];
    if (list.length === 0 || list.some((k) => typeof k !== 'string' || k === '')) throw bad(keyVar[0], 'a path or a list of paths', keyVar[1]);
    keys = (list as string[]).map((k) => resolvePath(k, opts.inventoryDir));
  }
  const password = secret('ssh_password');

  const base = resolveTransport(sshHost ?? name, opts, {
    ...(explicitPort !== undefined ? { port: explicitPort } : {}),
    ...(explicitUser !== undefined ? { user: explicitUser } : {}),
    ...(keys ? { identityFiles: keys } : {}),
  });
  if (knownVar) base.knownHostsFiles = dedupe([resolvePath(knownVar, opts.inventoryDir), ...base.knownHostsFiles]);

  const jumpSpec = str('ssh_proxy_jump') ?? base.proxyJumpSpec;
  const proxyJump = jumpSpec ? buildJumpChain(name, jumpSpec, opts, base.knownHostsFiles, common) : undefined;

  return {
    name,
    connection,
    host: base.host,
    port: base.port,
    user: base.user,
    identityFiles: base.identityFiles,
    useAgent: !!process.env.SSH_AUTH_SOCK,
    ...(password !== undefined ? { password } : {}),
    knownHostsFiles: base.knownHostsFiles,
    ...common,
    ...(proxyJump ? { proxyJump } : {}),
    become,
  };
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

interface Transport {
  host: string;
  port: number;
  user: string;
  identityFiles: string[];
  knownHostsFiles: string[];
  proxyJumpSpec?: string;
}

/** Explicit values > ~/.ssh/config for `alias` > defaults, for one hop. */
function resolveTransport(
  alias: string,
  opts: BuildAddressOptions,
  explicit: { port?: number; user?: string; identityFiles?: string[] },
): Transport {
  const cfg = resolveSshConfig(alias, opts.sshConfigFile);
  const ssh = `${homedir()}/.ssh`;
  return {
    host: cfg.hostName ?? alias,
    port: explicit.port ?? cfg.port ?? 22,
    user: explicit.user ?? cfg.user ?? opts.defaultUser ?? userInfo().username,
    identityFiles:
      explicit.identityFiles ??
      cfg.identityFiles ??
      ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((k) => `${ssh}/${k}`).filter((k) => existsSync(k)),
    knownHostsFiles: cfg.userKnownHostsFile ?? [`${ssh}/known_hosts`],
    ...(cfg.proxyJump ? { proxyJumpSpec: cfg.proxyJump } : {}),
  };
}

/** "[user@]host[:port]", or "[user@][ipv6]:port". */
function parseHop(owner: string, spec: string): { user?: string; host: string; port?: number } {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:@]+)(?::(\d+))?$/.exec(spec.trim());
  if (!m) throw new InputError(`host ${owner}: ssh_proxy_jump hop "${spec}" is not [user@]host[:port]`, { host: owner });
  const port = m[3] !== undefined ? Number(m[3]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) throw new InputError(`host ${owner}: ssh_proxy_jump port in "${spec}" is out of range`, { host: owner });
  return { ...(m[1] ? { user: m[1] } : {}), host: m[2]!.replace(/^\[|\]$/g, ''), ...(port !== undefined ? { port } : {}) };
}

/**
 * "a,b" means: reach a, from a reach b, from b reach the target — so the returned hop is b with
 * proxyJump a. Each hop is looked up in ~/.ssh/config like `ssh -J` does (its own ProxyJump included).
 */
function buildJumpChain(
  owner: string,
  spec: string,
  opts: BuildAddressOptions,
  knownHostsFiles: string[],
  common: { acceptNewHostKeys: boolean; connectTimeoutMs: number },
  depth = 0,
): HostAddress | undefined {
  if (depth > 8) throw new InputError(`host ${owner}: ProxyJump chain is too long (a loop in ~/.ssh/config?)`, { host: owner });
  let prev: HostAddress | undefined;
  for (const hopSpec of spec.split(',')) {
    const hop = parseHop(owner, hopSpec);
    const t = resolveTransport(hop.host, opts, { ...(hop.port ? { port: hop.port } : {}), ...(hop.user ? { user: hop.user } : {}) });
    const before = prev ?? (t.proxyJumpSpec ? buildJumpChain(owner, t.proxyJumpSpec, opts, knownHostsFiles, common, depth + 1) : undefined);
    prev = {
      name: hop.host,
      connection: 'ssh',
      host: t.host,
      port: t.port,
      user: t.user,
      identityFiles: t.identityFiles,
      useAgent: !!process.env.SSH_AUTH_SOCK,
      knownHostsFiles: dedupe([...knownHostsFiles, ...t.knownHostsFiles]),
      ...common,
      ...(before ? { proxyJump: before } : {}),
      become: { enabled: false, user: 'root', method: 'sudo' },
    };
  }
  return prev;
}
