// The end of a host (src/engine/host-session.ts finish): the run lock's release is sent with the end
// of the connection, not awaited on its own — and a release that failed is still reported, naming
// the host and the lock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CommandResult, Connection } from '../../src/connectors/connection.js';
import { ConnectError } from '../../src/core/errors.js';
import type { RunEvent } from '../../src/engine/events.js';
import { newOwner } from '../../src/engine/host-lock.js';
import { HostSession, type RunScope } from '../../src/engine/host-session.js';

function ended(release: (text: string) => Promise<CommandResult>) {
  const order: string[] = [];
  const conn: Connection = {
    label: 'web1 (root@127.0.0.1:22)',
    execCount: 1,
    run: () => Promise.reject(new Error('not used')),
    script: (text) => {
      order.push('release sent');
      return release(String(text)).finally(() => order.push('release answered'));
    },
    close: async () => {
      order.push('close');
    },
  };
  const events: RunEvent[] = [];
  const session = new HostSession('web1', 1, { emit: (e: RunEvent) => events.push(e), opts: {} } as unknown as RunScope);
  Object.assign(session, { conn, ctx: { lock: { owner: newOwner(), breakLock: false, parent: '/var/run/fleetplan', become: false } } });
  return { session, events, order };
}

test('the release goes out before the close, which does not wait for its answer', async () => {
  let answer!: (r: CommandResult) => void;
  const { session, events, order } = ended(() => new Promise((r) => (answer = r)));
  const finishing = session.finish();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['release sent', 'close'], 'closed right behind the release');
  answer({ stdout: Buffer.alloc(0), stderr: '', exitCode: 0, ms: 1 });
  await finishing;
  assert.ok(!events.some((e) => e.type === 'host-note'), 'a release that worked says nothing');
  assert.ok(events.some((e) => e.type === 'host-done'));
});

test('a release that failed is reported: host and lock named', async () => {
  const { session, events } = ended(() => Promise.reject(new ConnectError('connection to web1 lost', { host: 'web1' })));
  await session.finish();
  const note = events.find((e) => e.type === 'host-note');
  assert.ok(note && note.type === 'host-note', JSON.stringify(events));
  assert.equal(note.host, 'web1');
  assert.match(note.note, /run lock \/var\/run\/fleetplan\/lock was not released \(.*connection to web1 lost.*\)/);
  assert.match(note.note, /remove it and \/var\/run\/fleetplan\/lock\.[0-9a-f]{16} on the host, or re-run with --break-lock/, 'the record file (the lock\'s second name) is named too');
  assert.ok(events.some((e) => e.type === 'host-done'), 'the host still ends');
});
