// delegate_facts' store: what a play set for a delegate is read from the next play on — in hostvars
// (everything from earlier plays, later values over earlier) and once by the delegate's own variables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DelegatedFacts } from '../../src/engine/delegated-facts.js';
import type { Play } from '../../src/load/model.js';

const plays = [{ name: 'one' }, { name: 'two' }, { name: 'three' }] as unknown as Play[];
const [one, two, three] = plays as [Play, Play, Play];

test('delegated facts are read from the next play on, never in the play that set them', () => {
  const f = new DelegatedFacts({ plays });
  f.set('b', one, { peer: 'a', n: 1 });
  assert.equal(f.before('b', one), undefined);
  assert.equal(f.take('b', one), undefined);
  assert.deepEqual(f.before('b', two), { peer: 'a', n: 1 });
  assert.equal(f.before('c', two), undefined, 'only the delegate has them');
  f.set('b', two, { n: 2 });
  assert.deepEqual(f.before('b', two), { peer: 'a', n: 1 }, 'what play two sets is not read in play two');
  assert.deepEqual(f.before('b', three), { peer: 'a', n: 2 }, 'later values over earlier');
});

test("the delegate's own variables take each play's facts once (its own later set_fact is not overwritten again)", () => {
  const f = new DelegatedFacts({ plays });
  f.set('b', one, { peer: 'a' });
  assert.deepEqual(f.take('b', two), { peer: 'a' });
  f.set('b', two, { n: 2 });
  assert.deepEqual(f.take('b', three), { n: 2 }, 'only what is new since');
  assert.equal(f.take('b', three), undefined);
});
