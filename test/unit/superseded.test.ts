// When a restart/reload handler is redundant: its service was (re)started by a task after every change
// that notified it — and only then.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FreshConfig } from '../../src/engine/superseded.js';
import { service } from '../../src/ops/service.js';
import type { ResourceId } from '../../src/state/resource.js';

const SVC: ResourceId = { kind: 'service', name: 'postfix' };

test('a start after the notifying change supersedes the restart handler', () => {
  const f = new FreshConfig();
  f.changed('main.cf', ['restart postfix']);
  f.changed('postfix runs', [], { starts: [SVC] });
  assert.deepEqual(f.supersession(['restart postfix'], SVC), { by: 'postfix runs', resource: SVC });
});

test('a change notifying after the start keeps the handler', () => {
  const f = new FreshConfig();
  f.changed('postfix runs', [], { starts: [SVC] });
  f.changed('main.cf', ['restart postfix']);
  assert.equal(f.supersession(['restart postfix'], SVC), undefined);
});

test('the last of several notifications counts, through any of the handler names (listen)', () => {
  const f = new FreshConfig();
  f.changed('a', ['restart postfix']);
  f.changed('postfix runs', [], { starts: [SVC] });
  f.changed('b', ['postfix config']);
  assert.equal(f.supersession(['restart postfix', 'postfix config'], SVC), undefined);
  assert.ok(f.supersession(['restart postfix'], SVC));
});

test('a task that starts the service and notifies in the same change keeps its handler', () => {
  const f = new FreshConfig();
  f.changed('postfix runs', ['restart postfix'], { starts: [SVC] });
  assert.equal(f.supersession(['restart postfix'], SVC), undefined);
});

test('another service, no start at all, or a handler that is not about a service: no supersession', () => {
  const f = new FreshConfig();
  f.changed('main.cf', ['restart postfix']);
  f.changed('opendkim runs', [], { starts: [{ kind: 'service', name: 'opendkim' }] });
  assert.equal(f.supersession(['restart postfix'], SVC), undefined);
  assert.equal(f.supersession(['postmap'], undefined), undefined);
  assert.equal(f.isNotified('restart postfix'), true);
  assert.equal(f.isNotified('reload postfix'), false);
});

test('a stop after the start gives the restart handler its job back', () => {
  const f = new FreshConfig();
  f.changed('main.cf', ['restart postfix']);
  f.changed('postfix runs', [], { starts: [SVC] });
  f.changed('postfix stopped for maintenance', [], { stops: [SVC] });
  assert.equal(f.supersession(['restart postfix'], SVC), undefined);
});

test('service: only a handler that just restarts or reloads can be superseded; one that also enables must run', () => {
  const by = (args: Record<string, unknown>) => service.supersededBy!({ args: { ignore_missing: false, ...args } } as never);
  assert.deepEqual(by({ name: 'postfix', state: 'restarted' }), SVC);
  assert.deepEqual(by({ name: 'postfix', state: 'reloaded' }), SVC);
  assert.equal(by({ name: 'postfix', state: 'restarted', enabled: true }), undefined);
  assert.equal(by({ name: 'postfix', state: 'started' }), undefined);
});
