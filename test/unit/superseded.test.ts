// When a restart/reload handler is redundant: its service was (re)started by a task after every change
// that notified it — and only then.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FreshConfig } from '../../src/engine/superseded.js';

const SVC = 'service:postfix';

test('a start after the notifying change supersedes the restart handler', () => {
  const f = new FreshConfig();
  f.changed('main.cf', ['restart postfix']);
  f.changed('postfix runs', [], [SVC]);
  assert.deepEqual(f.supersession(['restart postfix'], SVC), { by: 'postfix runs', resource: SVC });
});

test('a change notifying after the start keeps the handler', () => {
  const f = new FreshConfig();
  f.changed('postfix runs', [], [SVC]);
  f.changed('main.cf', ['restart postfix']);
  assert.equal(f.supersession(['restart postfix'], SVC), undefined);
});

test('the last of several notifications counts, through any of the handler names (listen)', () => {
  const f = new FreshConfig();
  f.changed('a', ['restart postfix']);
  f.changed('postfix runs', [], [SVC]);
  f.changed('b', ['postfix config']);
  assert.equal(f.supersession(['restart postfix', 'postfix config'], SVC), undefined);
  assert.ok(f.supersession(['restart postfix'], SVC));
});

test('a task that starts the service and notifies in the same change keeps its handler', () => {
  const f = new FreshConfig();
  f.changed('postfix runs', ['restart postfix'], [SVC]);
  assert.equal(f.supersession(['restart postfix'], SVC), undefined);
});

test('another service, no start at all, or a handler that is not about a service: no supersession', () => {
  const f = new FreshConfig();
  f.changed('main.cf', ['restart postfix']);
  f.changed('opendkim runs', [], ['service:opendkim']);
  assert.equal(f.supersession(['restart postfix'], SVC), undefined);
  assert.equal(f.supersession(['postmap'], undefined), undefined);
  assert.equal(f.isNotified('restart postfix'), true);
  assert.equal(f.isNotified('reload postfix'), false);
});
