// The settings an operator would otherwise repeat on every command line, and where each may come
// from: a flag, a FLEETPLAN_* environment variable, the project's fleetplan.yml, the user's
// ~/.config/fleetplan/config.yml, or the default — first found wins (docs/usage.md "Configuration").
import os from 'node:os';
import path from 'node:path';
import { MAX_TIMEOUT_SECONDS } from './common.js';

export type SettingKind = 'path' | 'paths' | 'count' | 'bool';

export interface SettingDef {
  /** The key in fleetplan.yml. */
  key: string;
  /** The commander option it stands for (its attribute name), if a command has one. */
  option?: string;
  kind: SettingKind;
  /** For `count`: the accepted range. */
  min?: number;
  max?: number;
  /** The default, as shown by `fleetplan config` (a function: it may depend on the environment). */
  fallback: () => string | number | boolean | string[] | undefined;
  help: string;
}

/** XDG_STATE_HOME (absolute only, as the spec says), else ~/.local/state. */
export function stateHome(): string {
  const xdg = process.env.XDG_STATE_HOME;
  return xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.local', 'state');
}

/** XDG_CONFIG_HOME (absolute only), else ~/.config. */
export function configHome(): string {
  const xdg = process.env.XDG_CONFIG_HOME;
  return xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config');
}

export const SETTINGS: readonly SettingDef[] = [
  { key: 'inventory', option: 'inventory', kind: 'path', fallback: () => 'inventory.yml', help: 'inventory file (-i)' },
  { key: 'forks', option: 'forks', kind: 'count', min: 1, max: 10_000, fallback: () => 50, help: 'hosts handled in parallel (-f)' },
  { key: 'roles_path', option: 'rolesPath', kind: 'paths', fallback: () => [], help: 'extra role directories, searched after those of --roles-path' },
  { key: 'vault_password_file', option: 'vaultPasswordFile', kind: 'path', fallback: () => undefined, help: 'file holding the vault passphrase' },
  { key: 'ssh_config', option: 'sshConfig', kind: 'path', fallback: () => undefined, help: 'OpenSSH client config (default ~/.ssh/config)' },
  { key: 'connect_timeout', option: 'connectTimeout', kind: 'count', min: 1, max: MAX_TIMEOUT_SECONDS, fallback: () => 10, help: 'seconds to wait for a connection' },
  { key: 'timeout', option: 'timeout', kind: 'count', min: 1, max: MAX_TIMEOUT_SECONDS, fallback: () => undefined, help: 'seconds a single remote command may run (apply)' },
  { key: 'color', option: 'color', kind: 'bool', fallback: () => true, help: 'colours on a terminal (false: never)' },
  { key: 'accept_new_hostkeys', option: 'acceptNewHostkeys', kind: 'bool', fallback: () => false, help: 'trust and record the key of a host not yet in known_hosts' },
  { key: 'history_dir', kind: 'path', fallback: () => path.join(stateHome(), 'fleetplan'), help: 'where every apply records its run (fleetplan history)' },
  { key: 'history_keep', kind: 'count', min: 0, max: 1_000_000, fallback: () => 100, help: 'runs kept in the history (older ones are pruned; 0: keep no history)' },
  { key: 'history_max_mib', kind: 'count', min: 1, max: 10_000_000, fallback: () => 1024, help: 'MiB the history may take (the oldest runs are pruned beyond)' },
  { key: 'history_max_age_days', kind: 'count', min: 1, max: 100_000, fallback: () => 90, help: 'days a run is kept in the history' },
];

/** FLEETPLAN_CONNECT_TIMEOUT for connect_timeout. */
export const envName = (key: string): string => `FLEETPLAN_${key.toUpperCase()}`;

export type SettingValue = string | number | boolean | string[];

/** Where a value came from, as `fleetplan config` prints it. */
export type Origin =
  | { kind: 'flag' }
  | { kind: 'env'; name: string }
  | { kind: 'file'; file: string; line?: number; col?: number }
  | { kind: 'default' };

export function describeOrigin(o: Origin): string {
  if (o.kind === 'flag') return 'command line';
  if (o.kind === 'env') return `environment ${o.name}`;
  if (o.kind === 'file') return `${o.file}${o.line !== undefined ? `:${o.line}` : ''}`;
  return 'default';
}

/** Why a value is not acceptable for a setting, or undefined. Numbers and booleans arrive typed from YAML. */
export function settingProblem(def: SettingDef, value: unknown): string | undefined {
  switch (def.kind) {
    case 'path':
      return typeof value === 'string' && value !== '' ? undefined : 'expected a path (a non-empty string)';
    case 'paths':
      return (typeof value === 'string' && value !== '') || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v !== ''))
        ? undefined
        : 'expected a directory or a list of directories';
    case 'count':
      return typeof value === 'number' && Number.isInteger(value) && value >= def.min! && value <= def.max!
        ? undefined
        : `expected a whole number from ${def.min} to ${def.max}`;
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'expected true or false';
  }
}

/** An environment variable's text as the setting's type, or a problem. */
export function fromEnv(def: SettingDef, text: string): { value?: SettingValue; problem?: string } {
  let value: unknown = text;
  if (def.kind === 'count') value = /^[0-9]{1,10}$/.test(text) ? Number(text) : NaN;
  if (def.kind === 'bool') value = /^(1|true|yes|on)$/i.test(text) ? true : /^(0|false|no|off)$/i.test(text) ? false : text;
  if (def.kind === 'paths') value = text.split(':').filter((p) => p !== '');
  const problem = settingProblem(def, value);
  return problem ? { problem } : { value: value as SettingValue };
}

/** Relative paths in a config file are relative to that file's directory, in the environment to the working directory; `~/` is the home directory. */
export function resolvePaths(def: SettingDef, value: SettingValue, baseDir: string): SettingValue {
  // `~/…` as a shell would expand it: a file is not read by a shell.
  const one = (p: string) => (p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : path.resolve(baseDir, p));
  if (def.kind === 'path') return one(value as string);
  if (def.kind === 'paths') return (Array.isArray(value) ? value : (value as string).split(':').filter(Boolean)).map(one);
  return value;
}
