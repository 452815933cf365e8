// Host vars + ~/.ssh/config + defaults → one HostAddress. All validation happens here, before any
// host is contacted, so a typo in a var is an input error, not a connection failure.
import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { connectionVars, type ConnectionVar, type ConnectionVarName } from './connection-vars.js';
import { reveal } from '../core/secret.js';
import type { BecomeMethod, HostAddress } from './connection.js';
import { resolveSshConfig } from './ssh-config.js';
import { SSH_ARGS_VARS, SshArgsError, proxyJumpFromSshArgs } from './ssh-args.js';

export interface BuildAddressOptions {
  inventoryDir: string;
  acceptNewHostKeys?: boolean;
  connectTimeoutMs?: number;
  sshConfigFile?: string;
  defaultUser?: string;
  connectionOverride?: 'ssh' | 'local';
  /** The command line's -u, --private-key, -k, --become-user, --become-method, -K: used where no variable says. */
  commandLine?: CommandLineConnection;
  /** -vvvv: where the SSH library's protocol messages go, per host. */
  sshDebug?: (host: string, line: string) => void;
}

/**
 * Connection settings given on the command line. As in Ansible, they are the lowest precedence: a
 * connection variable (any spelling, any layer, -e included) wins; they win over ~/.ssh/config.
 */
export interface CommandLineConnection {
  user?: string;
  /** Absolute (the command line resolves it against the working directory). */
  privateKeyFile?: string;
  password?: unknown;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: BecomeMethod;
  becomePassword?: unknown;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Every variable buildAddress reads, in both spellings (what `fleetplan init --hosts` carries over). */
export const CONNECTION_VARS: readonly string[] = Object.entries(connectionVars).flatMap(([name, v]) => [name, ...(v as ConnectionVar).aliases]);
/** The connection variables naming controller files, which are relative to the inventory's directory. */
export const CONNECTION_PATH_VARS: readonly string[] = ['ssh_private_key_file', ...connectionVars.ssh_private_key_file.aliases, 'ssh_known_hosts_file'];
/** The ones saying where the host is: they belong to each host, never to a group. */
export const HOST_ADDRESS_VARS: readonly string[] = ['ssh_host', ...connectionVars.ssh_host.aliases];

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p;
}

/** `~` expands; relative paths are relative to the inventory, not to wherever fleetplan was started. */
function resolvePath(p: string, base: string): string {
  const e = expandHome(p);
  return isAbsolute(e) ? e : resolve(base, e);
}

/** Ansible's other names for an SSH transport (`ansible_connection=smart` is its default): all SSH here. */
const ANSIBLE_SSH_CONNECTIONS = ['smart', 'paramiko', 'paramiko_ssh', 'ansible.builtin.ssh', 'ansible.builtin.paramiko_ssh'];

export function buildAddress(name: string, given: Record<string, unknown>, opts: BuildAddressOptions): HostAddress {
  const ansibleConnection = reveal(given.ansible_connection);
  const vars = typeof ansibleConnection === 'string' && ANSIBLE_SSH_CONNECTIONS.includes(ansibleConnection) ? { ...given, ansible_connection: 'ssh' } : given;
  const bad = (v: string, want: string, got: unknown) =>
    new InputError(`host ${name}: ${v} must be ${want}, got ${JSON.stringify(got)}`, { host: name });

  /**
   * A connection var (connectors/connection-vars.ts) under its name or an Ansible alias, checked against
   * its declared schema (Secrets unwrapped), with the name actually used (for messages).
   */
  const get = (key: ConnectionVarName): [string, unknown] | undefined => {
    const decl: ConnectionVar = connectionVars[key];
    for (const k of [key, ...decl.aliases]) {
      if (vars[k] === undefined || vars[k] === null) continue;
      const value = reveal(vars[k]);
      if (decl.schema.safeParse(value).success) return [k, value];
      // Never echo a secret's value into an error message.
      if (decl.secret) throw new InputError(`host ${name}: ${k} must be ${decl.expects}`, { host: name });
      throw bad(k, decl.expects, vars[k]);
    }
    return undefined;
  };
  const str = (key: ConnectionVarName): string | undefined => get(key)?.[1] as string | undefined;
  const bool = (key: ConnectionVarName): boolean | undefined => {
    const v = get(key)?.[1];
    return typeof v === 'string' ? /^(true|yes)$/i.test(v) : (v as boolean | undefined);
  };
  const port = (): number | undefined => {
    const v = get('ssh_port')?.[1];
    return v === undefined ? undefined : Number(v);
  };
  const secret = (key: ConnectionVarName): string | undefined => {
    const v = get(key)?.[1];
    return v === undefined ? undefined : String(v);
  };

  const connVar = str('connection') as 'ssh' | 'local' | undefined; // checked even when overridden
  const connection = opts.connectionOverride ?? connVar ?? 'ssh';

  const cli = opts.commandLine ?? {};
  const becomePassword = secret('become_password') ?? (cli.becomePassword !== undefined ? String(reveal(cli.becomePassword)) : undefined);
  const become = {
    enabled: bool('become') ?? cli.become ?? false,
    user: str('become_user') ?? cli.becomeUser ?? 'root',
    method: (str('become_method') ?? cli.becomeMethod ?? 'sudo') as BecomeMethod,
    ...(becomePassword !== undefined ? { password: becomePassword } : {}),
  };

  const knownVar = str('ssh_known_hosts_file');
  const sshDebug = opts.sshDebug;
  const common = {
    acceptNewHostKeys: opts.acceptNewHostKeys ?? false,
    connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    ...(sshDebug ? { debug: (line: string) => sshDebug(name, line) } : {}),
  };

  if (connection === 'local') {
    return {
      name, connection, host: 'localhost', port: 0, user: userInfo().username,
      identityFiles: [], useAgent: false, knownHostsFiles: [], ...common, become,
    };
  }

  const sshHost = str('ssh_host');
  const explicitPort = port();
  const explicitUser = str('ssh_user') ?? cli.user;
  const keyVar = (get('ssh_private_key_file')?.[1] ?? cli.privateKeyFile) as string | string[] | undefined;
  const keys = keyVar === undefined ? undefined : (Array.isArray(keyVar) ? keyVar : [keyVar]).map((k) => resolvePath(k, opts.inventoryDir));
  const password = secret('ssh_password') ?? (cli.password !== undefined ? String(reveal(cli.password)) : undefined);

  const base = resolveTransport(sshHost ?? name, opts, {
    ...(explicitPort !== undefined ? { port: explicitPort } : {}),
    ...(explicitUser !== undefined ? { user: explicitUser } : {}),
    ...(keys ? { identityFiles: keys } : {}),
  });
  if (knownVar) base.knownHostsFiles = dedupe([resolvePath(knownVar, opts.inventoryDir), ...base.knownHostsFiles]);

  const jumpSpec = str('ssh_proxy_jump') ?? sshArgsJump(name, vars) ?? base.proxyJumpSpec;
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

/** A jump host from Ansible's ansible_ssh_*_args (ssh-args.ts); what cannot be honoured is an input error. */
function sshArgsJump(name: string, vars: Record<string, unknown>): string | undefined {
  let jump: string | undefined;
  for (const k of SSH_ARGS_VARS) {
    const v = reveal(vars[k]);
    if (typeof v !== 'string' || !v.trim()) continue;
    try {
      jump = proxyJumpFromSshArgs(k, v) ?? jump;
    } catch (err) {
      if (err instanceof SshArgsError) throw new InputError(`host ${name}: ${err.message}`, { host: name });
      throw err;
    }
  }
  return jump;
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
