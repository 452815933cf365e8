// The pieces of "where and how often" that need no host: serial batch sizes, the semaphore behind
// --forks and throttle, a batch's meeting points, and how become wraps a command per method.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batches } from '../../src/engine/run.js';
import { Semaphore } from '../../src/engine/semaphore.js';
import { PlayBatch } from '../../src/engine/play-batch.js';
import { becomeRefusal, wrapBecome } from '../../src/connectors/become.js';
import { becomeTarget, type BecomeSettings } from '../../src/connectors/connection.js';
import { buildAddress } from '../../src/connectors/address.js';
import type { TaskDef } from '../../src/load/model.js';

test('serial as a list: the sizes in turn, the last repeating; percentages of the play hosts', () => {
  const hosts = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.deepEqual(batches(hosts, [1, 3]), [[1], [2, 3, 4], [5, 6, 7], [8, 9, 10]]);
  assert.deepEqual(batches(hosts, [1, '50%']), [[1], [2, 3, 4, 5, 6], [7, 8, 9, 10]]);
  assert.deepEqual(batches(hosts, [2]), batches(hosts, 2));
  assert.deepEqual(batches([1, 2], [5, 1]), [[1, 2]]);
});

test('Semaphore: at most n at once, first come first served', async () => {
  const s = new Semaphore(2);
  let now = 0;
  let most = 0;
  const order: number[] = [];
  await Promise.all(
    [0, 1, 2, 3, 4].map((i) =>
      s.with(async () => {
        now++;
        most = Math.max(most, now);
        order.push(i);
        await new Promise((r) => setTimeout(r, 5));
        now--;
      }),
    ),
  );
  assert.equal(most, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
});

test('PlayBatch.until gives the --forks slot back while waiting, so hosts without a slot can come', async () => {
  const forks = new Semaphore(1);
  const batch = new PlayBatch(['a', 'b'], forks);
  const def = { name: 't' } as TaskDef;
  const seen: string[] = [];
  const host = (h: string) =>
    forks.with(async () => {
      batch.finish(def, h);
      await batch.until(() => (batch.unfinished(def).length === 0 ? true : undefined));
      seen.push(h);
    });
  await Promise.all([host('a'), host('b')]);
  assert.deepEqual(seen.sort(), ['a', 'b']);
});

test('PlayBatch: a host that left is waited for no more', async () => {
  const batch = new PlayBatch(['a', 'b'], new Semaphore(2));
  const def = { name: 't' } as TaskDef;
  batch.finish(def, 'a');
  const waiting = batch.until(() => (batch.unfinished(def).length === 0 ? 'go' : undefined));
  batch.leave('b');
  assert.equal(await waiting, 'go');
});

const host: BecomeSettings = { enabled: true, user: 'root', method: 'sudo' };

test('become: sudo, doas and su wrap the command; a task may change user and method', () => {
  assert.match(wrapBecome('id', host, 'fleet').command, /^sudo -H -n -u root -- sh -c id$/);
  assert.match(wrapBecome('id', becomeTarget(host, { method: 'doas', user: 'www' }), 'fleet').command, /^doas -n -u www -- sh -c id$/);
  assert.equal(wrapBecome('id', becomeTarget(host, { method: 'su', user: 'fleet' }), 'root').command, 'su fleet -c id');
  assert.equal(wrapBecome('id', becomeTarget(host, { method: 'doas' }), 'root').command, 'id', 'already root: nothing to wrap');
  assert.equal(becomeTarget(host, false), undefined);
});

test('become_method from the inventory: sudo, su or doas (ansible_become_method too)', () => {
  const opts = { inventoryDir: '/tmp' };
  assert.equal(buildAddress('web1', { become_method: 'doas' }, opts).become.method, 'doas');
  assert.equal(buildAddress('web1', { ansible_become_method: 'su', ansible_become_user: 'www' }, opts).become.user, 'www');
  assert.equal(buildAddress('web1', {}, opts).become.method, 'sudo');
});

test('become: su from a non-root login needs the password, fed after its prompt, never on the command line', () => {
  assert.throws(() => wrapBecome('sh -s', { ...host, method: 'su' }, 'fleet'), /su as fleet needs become_password/);
  const w = wrapBecome('sh -s', { ...host, method: 'su', password: 's3cret' }, 'fleet');
  assert.equal(w.handshake?.prompt, 'Password:');
  assert.doesNotMatch(w.command, /s3cret/);
});

test('become: each method\'s own refusals are told apart from the command\'s output', () => {
  assert.match(becomeRefusal('doas: Authorization required\n', 'doas')!, /nopass/);
  assert.match(becomeRefusal('su: user nosuch does not exist or the user entry does not contain all the required fields\n', 'su')!, /does not exist/);
  assert.equal(becomeRefusal('grep: su: no such file\n', 'su'), undefined);
});
