// One host for the whole run: its connection, facts, backends, variables and run lock — what every
// play and task on it shares. Made once, when the host starts (facts and, for a real run, the lock,
// in one exec). What lives for one play (the state read, the dry run's predictions, handler
// notifications) is in play-context.ts.
import type { Connection } from '../connectors/connection.js';
import { OperationError } from '../core/errors.js';
import { acquireScript, describeOwner, lockProblem, readLock, staleToken, takeoverScript, type LockOwner, type LockState } from './host-lock.js';
import type { Facts } from '../facts/facts.js';
import { gatherFacts, parseRaw } from '../facts/gather.js';
import { selectBackends } from '../backends/select.js';
import type { Backends } from '../backends/backends.js';
import type { Emit, HostStats } from './events.js';
import type { HostScope } from './host-scope.js';
import type { DelegatePool } from './delegate-pool.js';
import type { RunOptions } from './options.js';

export interface HostContext {
  host: string;
  conn: Connection;
  facts: Facts;
  backends: Backends;
  opts: RunOptions;
  emit: Emit;
  stats: HostStats;
  /** The host's variables for a task of this role (or of the play itself), all layers merged, facts included (host-scope.ts). */
  scope: HostScope;
  /** The hosts of delegate_to tasks (delegate-pool.ts). */
  delegates?: DelegatePool;
  /** A dry run: the last task any play on this host would change (dry-run.ts), across its plays. */
  dryRunChanges?: { last?: string };
  /** The run lock this run holds on the host (a real run), and whether it was taken through become. */
  lock?: HostLock & { become: LockBecome };
}

type HostBase = Omit<HostContext, 'facts' | 'backends' | 'scope' | 'lock' | 'delegates'>;

/** What rides with the facts (first-read.ts): sent in the tick that asks for them; its context taken when the facts allow. */
export interface AlongFacts {
  send(base: HostBase): void;
  /** The facts, scope and backends to use instead of those of `gathered`, or undefined. */
  take(gathered: Facts): Pick<HostContext, 'facts' | 'backends' | 'scope'> | undefined;
  /** The host did not start (facts or lock failed). */
  drop(): void;
}

export interface HostLock {
  owner: LockOwner;
  breakLock: boolean;
  /** The lock's directory on the host; tests point it elsewhere. Default LOCK_PARENT. */
  parent?: string;
}

/**
 * Facts (and, for a real run, the host's run lock, in the same exec; with `along`, what rides with
 * them: the first play's state read, first-read.ts); throws when the host is locked.
 */
export async function startHost(
  base: HostBase,
  scopeFor: (facts: Facts) => HostContext['scope'],
  lock?: HostLock,
  allFacts = true,
  along?: AlongFacts,
): Promise<HostContext> {
  const t0 = Date.now();
  const lockScript = lock ? acquireScript(lock.owner, lock.breakLock, lock.parent) : '';
  const gathering = gatherFacts(base.conn, base.host, lockScript, allFacts);
  // In the same tick: it travels in the exec request with the facts and the lock.
  if (allFacts) along?.send(base);
  let gathered: Awaited<typeof gathering>;
  let held: (HostLock & { become: LockBecome }) | undefined;
  try {
    gathered = await gathering;
    held = lock && (await takeLock(base, lock, readLock(gathered.extra)));
  } catch (err) {
    along?.drop();
    throw err;
  }
  // check_mode is the run's, not the host's: a fact so that plans read it as Ansible's ansible_check_mode.
  const facts = { ...gathered.facts, check_mode: base.opts.check };
  base.emit({ type: 'host-facts', host: base.host, facts, ms: Date.now() - t0 });
  const taken = allFacts ? along?.take(gathered.facts) : undefined;
  if (taken) return { ...base, ...taken, lock: held };
  return { ...base, facts, backends: selectBackends(facts), scope: scopeFor(facts), lock: held };
}

/** How the run lock is taken and released: as the login user, or become root. */
type LockBecome = false | { user: 'root' };

/**
 * The rest of taking the lock, only when the facts exec did not: as root through become for a
 * non-root login (in the become shell the tasks use), and the takeover of a lock left by a dead run
 * of this controller (one more exec, only in that case). Throws naming why the host is not ours.
 */
async function takeLock(base: Pick<HostContext, 'conn' | 'host' | 'emit'>, lock: HostLock, first: LockState): Promise<HostLock & { become: LockBecome }> {
  let state = first;
  // The lock lives in root's directory: become root, whatever user the tasks become (-b --become-user postgres).
  const become: LockBecome = state.kind === 'needroot' ? { user: 'root' } : false;
  const run = async (script: string, label: string) => {
    try {
      return readLock(parseRaw((await base.conn.script(script, { become, label })).stdout.toString()));
    } catch (err) {
      if (!become) throw err;
      throw new OperationError(`the run lock needs root on the host and become failed: ${(err as Error).message}`, { host: base.host });
    }
  };
  if (become) state = await run(acquireScript(lock.owner, lock.breakLock, lock.parent), 'take run lock (become)');
  const stale = staleToken(state);
  if (stale && state.kind === 'held' && state.owner) {
    const dead = describeOwner(state.owner);
    state = await run(takeoverScript(lock.owner, stale, lock.parent), 'take over stale run lock');
    if (state.kind === 'acquired') base.emit({ type: 'host-note', host: base.host, note: `took over a stale run lock (${dead}, no longer running)` });
  }
  const problem = lockProblem(state, lock.parent);
  if (problem) throw new OperationError(problem, { host: base.host });
  return { ...lock, become };
}
