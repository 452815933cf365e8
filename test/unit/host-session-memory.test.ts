// A run over 1000 hosts keeps only what its reports need of a finished host (issue 19): the host's
// connection and context are let go at its end, and waiting for a connection with a signal handler
// in place (the command line's Interrupt) does not tie the connection to the run-long interrupt.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Connection } from '../../src/connectors/connection.js';
import type { RunEvent } from '../../src/engine/events.js';
import { HostSession, interruptible, type RunScope } from '../../src/engine/host-session.js';
import { Interrupt } from '../../src/engine/interrupt.js';
import type { RunOptions } from '../../src/engine/options.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Whether the object behind `ref` was collected (after the current job, whose WeakRef targets are kept). */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 5 && ref.deref(); i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
  return ref.deref() === undefined;
}

function connection(): Connection {
  return {
    label: 'web1 (root@127.0.0.1:22)', execCount: 1, buffer: Buffer.alloc(1 << 20),
    run: () => Promise.reject(new Error('not used')),
    script: () => Promise.reject(new Error('not used')),
    close: async () => undefined,
  } as Connection;
}

test('a finished host lets go of its connection and context', async () => {
  const events: RunEvent[] = [];
  const session = new HostSession('web1', 1, { emit: (e: RunEvent) => events.push(e), opts: {} } as unknown as RunScope);
  let conn: Connection | undefined = connection();
  let ctx: object | undefined = { stats: session.stats, state: Buffer.alloc(1 << 20) };
  const refs = { conn: new WeakRef(conn), ctx: new WeakRef(ctx) };
  Object.assign(session, { conn, ctx });
  conn = undefined; ctx = undefined;
  await session.finish();
  assert.ok(events.some((e) => e.type === 'host-done'), 'the host ended');
  assert.ok(await collected(refs.conn), 'the connection is not kept after the host ended');
  assert.ok(await collected(refs.ctx), 'the context is not kept after the host ended');
  assert.ok(session.stats, 'the counts stay for the recap');
});

test('waiting for a connection under an interrupt does not keep it for the rest of the run', async () => {
  const interrupt = new Interrupt();
  let conn: Connection | undefined = connection();
  const ref = new WeakRef(conn);
  assert.equal(await interruptible(Promise.resolve(conn), { interrupt } as RunOptions), conn);
  conn = undefined;
  assert.ok(await collected(ref), 'the run-long interrupt holds no connection');
  // And a signal still stops a connect that has not come back (the connection is closed when it does).
  let closed = false;
  let arrive!: (c: Connection) => void;
  const waiting = interruptible(new Promise<Connection>((r) => (arrive = r)), { interrupt } as RunOptions);
  interrupt.request('SIGINT');
  assert.equal(await waiting, undefined);
  arrive({ ...connection(), close: async () => { closed = true; } });
  await new Promise((r) => setImmediate(r));
  assert.ok(closed, 'the late connection is closed');
  // After the signal, a new connect is not waited for at all.
  assert.equal(await interruptible(new Promise<Connection>(() => undefined), { interrupt } as RunOptions), undefined);
});
