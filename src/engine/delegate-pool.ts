// The hosts tasks are delegated to (delegate_to), for the whole run: each reached over its own
// connection — the one its own session holds when it is a host of this run and connected (one
// connection per host; its shell runs one script at a time, so execs of both never interleave), or
// one opened here for the rest of the run (a host outside the run, or the controller for localhost).
// Its facts choose its backends, as for any host. A delegate outside the run is not locked.
import path from 'node:path';
import { buildAddress } from '../connectors/address.js';
import type { Connection } from '../connectors/connection.js';
import { connect } from '../connectors/index.js';
import type { Backends } from '../backends/backends.js';
import { selectBackends } from '../backends/select.js';
import type { Facts } from '../facts/facts.js';
import { gatherFacts } from '../facts/gather.js';
import type { Inventory, Vars } from '../load/model.js';
import { connectHost, type ConnectOptions } from './connect-host.js';
import type { DelegatedFacts } from './delegated-facts.js';

import { CONTROLLER_NAMES } from '../load/delegate-check.js';

export interface DelegateHost {
  name: string;
  conn: Connection;
  facts: Facts;
  backends: Backends;
}

/**
 * A host session that lends its connection while it is connected — once connecting, when it is
 * connecting now; `undefined` when it has no connection to lend (not started yet, or ended).
 */
export interface Lender {
  lend<T>(use: (d: DelegateHost) => Promise<T>): Promise<{ value: T } | undefined>;
}

export class DelegatePool {
  private readonly own = new Map<string, Promise<DelegateHost>>();

  constructor(
    private readonly inventory: Inventory,
    private readonly extraVars: Vars,
    private readonly opts: ConnectOptions,
    private readonly lenders: (name: string) => Lender | undefined,
    /** What delegate_facts tasks set for their delegates (delegated-facts.ts). */
    readonly facts: DelegatedFacts,
  ) {}

  /** Whether `name` can be delegated to: an inventory host or the controller. */
  knows(name: string): boolean {
    return this.inventory.hosts.has(name) || CONTROLLER_NAMES.includes(name);
  }

  /** `use` with the delegate's connection, facts and backends. */
  async use<T>(name: string, use: (d: DelegateHost) => Promise<T>): Promise<T> {
    const lent = await this.lenders(name)?.lend(use);
    if (lent) return lent.value;
    let opening = this.own.get(name);
    if (!opening) {
      opening = this.open(name);
      this.own.set(name, opening);
    }
    return use(await opening);
  }

  private async open(name: string): Promise<DelegateHost> {
    const conn = this.inventory.hosts.has(name)
      ? await connectHost(this.inventory, name, this.extraVars, this.opts)
      : await connect(buildAddress(name, { connection: 'local' }, { inventoryDir: path.dirname(this.inventory.file) }));
    const { facts } = await gatherFacts(conn, name, '');
    return { name, conn, facts, backends: selectBackends(facts) };
  }

  /** The connections opened here, closed at the end of the run. */
  async close(): Promise<void> {
    const all = await Promise.allSettled(this.own.values());
    await Promise.all(all.map((r) => (r.status === 'fulfilled' ? r.value.conn.close().catch(() => undefined) : undefined)));
  }
}
