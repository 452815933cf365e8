// Queries of one name group are read by one merged query; every query asked still gets exactly its names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planBatch } from '../../src/state/batch.js';
import { groupedByName, StateView, type StateQuery } from '../../src/state/query.js';

const reads: string[][] = [];
/** A by-name query whose "host" knows a and b; its script lists the names it was asked for. */
const byName = (names: string[]): StateQuery<Record<string, number>> => {
  reads.push(names);
  return {
    key: `fake:${names.join(',')}`,
    script: `echo ${names.join(' ')}`,
    parse: (out) => Object.fromEntries(out.toString().trim().split(' ').filter((n) => n === 'a' || n === 'b').map((n) => [n, n.length])),
  };
};
const plain: StateQuery = { key: 'plain', script: 'echo x', parse: (out) => out.toString().trim() };

test('one merged query per group, in first-seen position; ungrouped queries untouched', () => {
  const q1 = groupedByName('g', ['a'], byName);
  const q2 = groupedByName('g', ['b', 'zz'], byName);
  const q3 = groupedByName('other', ['a'], byName);
  reads.length = 0;
  const batch = planBatch([q1, plain, q2, q3]);
  assert.deepEqual(batch.run.map((q) => q.script), ['echo a b zz', 'echo x', 'echo a']);
  assert.deepEqual(reads, [['a', 'b', 'zz']]);
  const view = new StateView();
  batch.store(view, [{ out: Buffer.from('a b zz\n'), exitCode: 0 }, { out: Buffer.from('x\n'), exitCode: 0 }, { out: Buffer.from('a\n'), exitCode: 0 }]);
  assert.deepEqual(view.get(q1), { a: 1 });
  assert.deepEqual(view.get(q2), { b: 1 }, 'a name the host does not know stays absent');
  assert.deepEqual(view.get(q3), { a: 1 });
  assert.equal(view.get(plain), 'x');
});

test('a group of one runs its own query; a parser error names the query run', () => {
  const q = groupedByName('solo', ['a'], byName);
  const batch = planBatch([q]);
  assert.equal(batch.run[0], q);
  const bad: StateQuery = { key: 'bad', script: 'true', parse: () => { throw new Error('boom'); } };
  assert.throws(() => planBatch([bad]).store(new StateView(), [{ out: Buffer.alloc(0), exitCode: 0 }]), /cannot read bad: boom/);
});
