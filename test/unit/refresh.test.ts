// Which remaining state queries a change makes stale (re-read in the change's own exec).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { staleAfter } from '../../src/engine/refresh.js';
import type { PlanResult } from '../../src/ops/operation.js';
import { fileQuery, fileResource } from '../../src/state/file-state.js';
import { StateView, type StateQuery } from '../../src/state/query.js';

const files = ['/etc/postfix/main.cf', '/etc/postfix', '/etc/opendkim/KeyTable', '/etc/opendkim/keys/example.org/s.private', '/etc/postfix-old'].map((p) => fileQuery(p));
const service: StateQuery = { key: 'systemd:postfix', script: 'true', parse: () => ({}), paths: ['/etc/systemd', '/etc/init.d'] };
const guard: StateQuery = { key: 'status:test -e /x', script: 'true', parse: () => ({}) };
const all = [...files, service, guard];
const keys = (qs: StateQuery[]) => qs.map((q) => q.key);

function viewOf(linked = false): StateView {
  const v = new StateView();
  for (const q of files) v.set(q.key, { exists: true, ...(linked && q === files[0] ? { linked: true } : {}) });
  return v;
}

const writes = (...paths: string[]): PlanResult => ({ changes: [], effects: { predicts: paths.map((p) => ({ resource: fileResource(p), value: { exists: true } })) } });

test('a file write re-reads that path, its ancestors and descendants, queries answered from there, and queries that do not say', () => {
  assert.deepEqual(keys(staleAfter(writes('/etc/postfix/main.cf'), all, viewOf())), ['file:/etc/postfix/main.cf', 'file:/etc/postfix', 'status:test -e /x']);
  // mkdir -p /etc/opendkim/keys: the key file below it may now be creatable; /etc/postfix-old is no child of /etc/postfix.
  assert.deepEqual(keys(staleAfter(writes('/etc/opendkim/keys'), all, viewOf())), ['file:/etc/opendkim/keys/example.org/s.private', 'status:test -e /x']);
  assert.deepEqual(keys(staleAfter(writes('/etc/postfix/'), all, viewOf())), ['file:/etc/postfix/main.cf', 'file:/etc/postfix', 'status:test -e /x']);
  // A unit file (or a drop-in directory) written: the service's state is read again.
  assert.deepEqual(keys(staleAfter(writes('/etc/systemd/system/relay.service'), all, viewOf())), ['systemd:postfix', 'status:test -e /x']);
  assert.deepEqual(keys(staleAfter(writes('/etc'), all, viewOf())), keys(all), 'a parent of every path');
});

test('opaque changes, non-file effects, no predictions, or a symbolic link anywhere: everything is re-read', () => {
  assert.equal(staleAfter({ changes: [], effects: { ...writes('/etc/postfix/main.cf').effects, unpredictable: 'other-changes' } }, all, viewOf()).length, all.length);
  assert.equal(staleAfter({ changes: [], effects: { predicts: [{ resource: { kind: 'service', name: 'postfix' }, value: {} }] } }, all, viewOf()).length, all.length);
  assert.equal(staleAfter({ changes: [] }, all, viewOf()).length, all.length);
  assert.equal(staleAfter(writes('/etc/opendkim/KeyTable'), all, viewOf(true)).length, all.length);
});
