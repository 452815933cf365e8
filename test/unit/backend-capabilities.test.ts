// Each backend declares what it supports; operations refuse anything else with the backend's name
// and list (instead of running a command that silently does less), and the selection tables only
// name backends that exist.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountsBackends, accountsRules, initBackends, initRules, packageBackends, packageRules, selectBackends } from '../../src/backends/select.js';
import type { InitBackend } from '../../src/backends/backends.js';
import { systemd } from '../../src/backends/init/systemd.js';
import { apt } from '../../src/backends/package/apt.js';
import { shadowUtils } from '../../src/backends/accounts/shadow-utils.js';
import { parseFacts } from '../../src/facts/gather.js';
import { operations } from '../../src/ops/registry.js';
import type { OpContext } from '../../src/ops/operation.js';
import { StateView } from '../../src/state/query.js';
import { SecretRegistry } from '../../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const ctx = (backends: OpContext['backends']): OpContext => ({
  host: 'h1',
  facts: parseFacts('system=Linux\n'),
  vars: {},
  backends,
  controllerPath: (_k, src) => src,
  renderTemplate: () => '',
  noLog: false,
  secrets: testSecrets,
});

function plan(op: string, args: Record<string, unknown>, c: OpContext, answer: (key: string) => unknown) {
  const o = operations.get(op)!;
  const r = o.resolve(o.schema.parse(args), c);
  const view = new StateView();
  for (const q of o.queries(r, c)) view.set(q.key, answer(q.key));
  return o.plan(r, view, c);
}

test('every backend declares a non-empty supports list, and every rule names a known backend', () => {
  for (const registry of [packageBackends, initBackends, accountsBackends]) {
    for (const [name, b] of Object.entries(registry)) assert.ok(b.supports.length > 0, `${name} declares what it supports`);
  }
  for (const [rules, registry] of [[packageRules, packageBackends], [initRules, initBackends], [accountsRules, accountsBackends]] as const) {
    for (const r of rules) assert.ok(r.backend in registry, `rule for ${r.backend} names a registered backend`);
  }
});

test('package: state latest with ports is refused before anything is read, naming the backend and what it supports', () => {
  const c = ctx({ package: apt, init: systemd, accounts: shadowUtils });
  const o = operations.get('package')!;
  assert.throws(
    () => o.resolve(o.schema.parse({ name: 'mail/postfix', use: 'ports', state: 'latest' }), c),
    /the package backend ports cannot do 'latest' \(it supports: present, absent\)/,
  );
  // present with ports, and latest with apt, are fine.
  assert.doesNotThrow(() => o.resolve(o.schema.parse({ name: 'mail/postfix', use: 'ports' }), c));
  assert.doesNotThrow(() => o.resolve(o.schema.parse({ name: 'postfix', state: 'latest' }), c));
});

test('service: an action the init backend does not declare fails the task; supported ones plan as before', () => {
  const noReload: InitBackend = { ...systemd, name: 'no-reload', supports: ['start', 'stop', 'restart', 'enable', 'disable'] };
  const c = ctx({ package: apt, init: noReload, accounts: shadowUtils });
  const running = () => ({ postfix: { exists: true, running: true, enabled: true } });
  assert.throws(() => plan('service', { name: 'postfix', state: 'reloaded' }, c, running), /the service backend no-reload cannot do 'reload'/);
  assert.deepEqual(
    plan('service', { name: 'postfix', state: 'restarted' }, c, running).changes.map((x) => (x.kind === 'run' ? x.command : '')),
    ['systemctl restart -- postfix'],
  );
  // Nothing to do needs no capability at all.
  assert.equal(plan('service', { name: 'postfix', state: 'started' }, c, running).changes.length, 0);
});

test('user and group: membership changes need "supplementary groups", creating needs "users"/"groups"', () => {
  const usersOnly = { ...shadowUtils, name: 'users-only', supports: ['users'] as const };
  const c = ctx({ package: apt, init: systemd, accounts: usersOnly });
  const answer = (key: string) => (key.startsWith('user:') ? { exists: true, uid: 100, primaryGroup: 'postfix', groups: ['postfix'] } : { exists: true, gid: 7 });
  assert.throws(() => plan('user', { name: 'postfix', groups: ['milter'] }, c, answer), /the accounts backend users-only cannot do 'supplementary groups'/);
  assert.throws(() => plan('group', { name: 'milter', state: 'absent' }, c, answer), /cannot do 'groups'/);
  const created = plan('user', { name: 'relay' }, c, (key) => (key.startsWith('user:') ? { exists: false, groups: [] } : { exists: false }));
  assert.deepEqual(created.changes.map((x) => (x.kind === 'run' ? x.command : '')), ['useradd -m -- relay']);
});

test('an OS without a backend explains itself when asked what it supports', () => {
  const b = selectBackends(parseFacts('system=Plan9\n'));
  const c = ctx(b);
  const o = operations.get('package')!;
  assert.throws(() => o.resolve(o.schema.parse({ name: 'x' }), c), /no package backend for this host .*set `use: \(apt\|yum\|dnf\|pkg\|ports\)`/);
  assert.throws(() => plan('group', { name: 'g' }, c, () => ({ exists: false })), /no accounts backend for this host/);
});
