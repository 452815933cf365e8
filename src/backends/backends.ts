// Per-OS behaviour lives in small backends chosen once per host from facts (src/backends/select.ts),
// never in `if` chains inside operations or roles.
import type { StateQuery } from '../state/query.js';

export interface PackageState {
  /** Installed version, or null when not installed. */
  installed: string | null;
  /** Version the package manager would install or upgrade to, when it knows (for `latest`). */
  candidate?: string | null;
}

export interface PackageBackend {
  readonly name: string;
  /** One query reading the state of all these packages at once; `candidate` also asks what an upgrade would install. */
  query(names: string[], opts?: { candidate?: boolean }): StateQuery<Record<string, PackageState>>;
  install(names: string[]): string;
  remove(names: string[]): string;
  /** Upgrade to the newest available version. */
  upgrade(names: string[]): string;
}

export interface ServiceState {
  /** The init system knows the service (unit file / init script exists). */
  exists: boolean;
  running: boolean;
  enabled: boolean;
}

export type ServiceAction = 'start' | 'stop' | 'restart' | 'reload' | 'enable' | 'disable';

export interface InitBackend {
  readonly name: string;
  /** One query reading the state of all these services at once. */
  query(names: string[]): StateQuery<Record<string, ServiceState>>;
  command(action: ServiceAction, service: string): string;
}

/** Creating users and groups and changing membership (useradd/usermod on Linux, pw on FreeBSD). */
export interface AccountsBackend {
  readonly name: string;
  createGroup(group: string, opts: { system?: boolean; gid?: number }): string;
  createUser(user: string, opts: { system?: boolean; uid?: number; home?: string; shell?: string; group?: string }): string;
  /** Add the user to these supplementary groups, keeping the others. */
  addToGroups(user: string, groups: string[]): string;
  removeFromGroup(user: string, group: string): string;
  removeUser(user: string): string;
  removeGroup(group: string): string;
}

export interface Backends {
  package: PackageBackend;
  init: InitBackend;
  accounts: AccountsBackend;
}
