// Control characters from hosts made visible for the console (src/report/visible.ts), copying only
// what changes: the event the other reporters hold is never modified.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { visible, visibleDeep } from '../../src/report/visible.js';

test('visible: controls as pictures, newline and tab kept', () => {
  assert.equal(visible('a\x1b[2J\r\x00\x7f\x9b\u202eb\n\tc'), 'a␛[2J␍␀␡<U+009B><U+202E>b\n\tc');
  assert.equal(visible('plain'), 'plain');
});

test('visibleDeep: an event with nothing to change is returned as it is, not copied', () => {
  const event = { type: 'task-result', result: { host: 'h', changes: [{ path: '/etc/x', diff: '-a\n+b\n' }], n: 3, ok: true, none: null } };
  assert.equal(visibleDeep(event), event);
  const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: ['x', 1] });
  assert.equal(visibleDeep(bare), bare);
});

test('visibleDeep: copies the path to a changed string (values and keys), shares the rest, leaves the original as it was', () => {
  const kept = { path: '/etc/y', diff: 'same\n' };
  const event = { type: 'task-result', result: { host: 'h', changes: [kept, { path: '/etc/x', diff: '+\x1b]0;owned\x07\n' }], extra: { 'k\x1b': 1 } } };
  const before = JSON.stringify(event);
  const shown = visibleDeep(event);
  assert.deepEqual(shown, { type: 'task-result', result: { host: 'h', changes: [kept, { path: '/etc/x', diff: '+␛]0;owned␇\n' }], extra: { 'k␛': 1 } } });
  assert.equal(JSON.stringify(event), before, 'the original is unchanged');
  assert.notEqual(shown.result, event.result);
  assert.equal(shown.result.changes[0], kept, 'an unchanged element is shared');
  assert.deepEqual(Object.keys(shown.result), ['host', 'changes', 'extra'], 'keys keep their order');
  const instance = new Date(0);
  assert.equal(visibleDeep({ at: instance }).at, instance, 'class instances are left alone');
});
