// Per-OS behaviour lives in small backends chosen once per host from facts (src/backends/select.ts),
// never in `if` chains inside operations or roles.
import type { StateQuery } from '../state/query.js';
import type { FollowUp } from '../core/change.js';
import type { NameGrammar } from './names.js';

export interface PackageState {
  /** Installed version, or null when not installed. */
  installed: string | null;
  /** Version the package manager would install or upgrade to, when it knows (for `latest`). */
  candidate?: string | null;
}

/** A `state:` of the package operation. */
export type PackageWanted = 'present' | 'absent' | 'latest';

export interface PackageBackend {
  readonly name: string;
  /** The package names its tool accepts; every command and query checks its names against it. */
  readonly names: NameGrammar;
  /** The states this backend can really ensure; the package operation refuses the others. */
  readonly supports: readonly PackageWanted[];
  /** Where the package database and sources live: only a change there (or a command) alters the query's answer. */
  readonly statePaths: readonly string[];
  /** One query reading the state of all these packages at once; `candidate` also asks what an upgrade would install. */
  query(names: string[], opts?: { candidate?: boolean }): StateQuery<Record<string, PackageState>>;
  install(names: string[]): string;
  remove(names: string[]): string;
  /** Refreshing the repository indexes (update_cache); absent: this backend has no cache to refresh. */
  readonly cache?: PackageCache;
}

/** How a package manager refreshes its indexes, and the stamp file whose age says when it last did. */
export interface PackageCache {
  /** The refresh command; the package operation touches `stamp` after it succeeds. */
  readonly update: string;
  /** The file whose modification time is the last successful refresh. */
  readonly stamp: string;
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
  /** The service names it accepts; every command and query checks its names against it. */
  readonly names: NameGrammar;
  /** The actions this backend can run; the service operation refuses a task needing another. */
  readonly supports: readonly ServiceAction[];
  /** Where service definitions and boot settings live: only a change there (or a command) alters the query's answer. */
  readonly statePaths: readonly string[];
  /** One query reading the state of all these services at once. */
  query(names: string[]): StateQuery<Record<string, ServiceState>>;
  command(action: ServiceAction, service: string): string;
  /** What must run once after the play when one of `actions` ran (the engine runs it, deduplicated). */
  readonly followUp?: { actions: readonly ServiceAction[] } & FollowUp;
}

/** What the user and group operations may ask of an accounts backend. */
export type AccountsCapability = 'users' | 'groups' | 'supplementary groups';

/** Creating users and groups and changing membership (useradd/usermod on Linux, pw on FreeBSD). */
export interface AccountsBackend {
  readonly name: string;
  /** The user and group names it accepts; every command checks its names against it. */
  readonly names: NameGrammar;
  /** What this backend can manage; the user and group operations refuse the rest. */
  readonly supports: readonly AccountsCapability[];
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

/**
 * Fails, naming the backend and what it can do, when an operation needs something the backend does
 * not declare — instead of running a command that would silently do less than the plan says.
 */
export function requireSupport<C extends string>(backend: { name: string; supports: readonly C[] }, kind: string, wanted: C): void {
  if (!backend.supports.includes(wanted)) {
    throw new Error(`the ${kind} backend ${backend.name} cannot do '${wanted}' (it supports: ${backend.supports.join(', ')})`);
  }
}
