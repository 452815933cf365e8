import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostRecords } from '../../src/dns/plan-records.js';
import type { DomainPolicy } from '../../src/dns/records.js';
import type { DnsRecordVars, Play, RoleRef, Vars } from '../../src/load/model.js';
import { SecretRegistry } from '../../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const role = (name: string, dnsRecords: DnsRecordVars, vars: Vars): RoleRef =>
  ({ role: { name, dir: name, defaults: {}, osVars: {}, tasks: [], handlers: [], dnsRecords }, params: vars }) as unknown as RoleRef;
const play = (roles: RoleRef[], vars: Vars = {}, become = true): Play =>
  ({ name: 'p', hosts: 'all', vars, roles, tasks: [], handlers: [], become, pos: { file: 'plan.yml', line: 1, col: 1 } }) as Play;
// The role's variables: its parameters over the play's (enough here; the engine's scope is host-scope.ts).
const scope = (p: Play, ref?: RoleRef): Vars => ({ ...p.vars, ...(ref?.params ?? {}) });

test('dns: the records come from the variables a role declares in meta.yml dns_records:', () => {
  const keys = role('signer', { dkim_keys: 'signing_keys', dkim_key_dir: 'key_home' }, {
    signing_keys: [{ domain: 'example.org', selector: 's1' }],
    key_home: '/var/keys',
  });
  const relay = role('smarthost', { relay_host: 'upstream', dmarc_policy: 'policy' }, { upstream: '[192.0.2.7]', policy: 'reject', mail_domain: 'example.org' });
  const policies = new Map<string, DomainPolicy>();
  const r = hostRecords([play([keys, relay])], scope, policies, testSecrets);
  assert.deepEqual(r.keys, [{ entry: { domain: 'example.org', selector: 's1' }, txtPath: '/var/keys/example.org/s1.txt' }]);
  assert.equal(r.become, true);
  assert.deepEqual([...policies.values()], [{ domain: 'example.org', spf: ['ip4:192.0.2.7'], dmarc: 'v=DMARC1; p=reject; rua=mailto:postmaster@example.org' }]);
});

test('dns: no role declaring relay fields: the play variables of the fields own names; dkim_enabled false: no keys', () => {
  const keys = role('signer', { dkim_keys: 'k', dkim_enabled: 'on' }, { k: [{ domain: 'example.org', selector: 's1' }], on: false });
  const policies = new Map<string, DomainPolicy>();
  const r = hostRecords([play([keys], { mail_domain: 'example.net', relay_host: 'smtp.relay.example.com' }, false)], scope, policies, testSecrets);
  assert.deepEqual(r, { keys: [], publish: [], become: false });
  assert.deepEqual([...policies.values()], [{ domain: 'example.net', spf: ['include:relay.example.com'], dmarc: 'v=DMARC1; p=none; rua=mailto:postmaster@example.net' }]);
});

test('dns: spf_all, the relay group by inventory address and dns_update come from the play; a bad all term is an input error', () => {
  const hostvars = { r1: { ssh_host: '192.0.2.1' }, r2: { ansible_host: '2001:db8::2' }, 'r3.example.org': {} };
  const vars = { mail_domain: 'example.org', spf_all: '-all', spf_hosts_group: 'relays', groups: { relays: ['r1', 'r2', 'r3.example.org'] }, hostvars, dns_update: { server: '192.0.2.53' } };
  const policies = new Map<string, DomainPolicy>();
  const r = hostRecords([play([], vars)], scope, policies, testSecrets);
  assert.deepEqual([...policies.values()][0]!.spf, ['ip4:192.0.2.1', 'ip6:2001:db8::2', 'a:r3.example.org']);
  assert.equal([...policies.values()][0]!.spfAll, '-all');
  assert.deepEqual(r.publish, [{ domain: 'example.org', value: { server: '192.0.2.53' } }]);
  assert.throws(() => hostRecords([play([], { ...vars, spf_all: 'fail' })], scope, new Map(), testSecrets), /spf_all: "fail" is not an SPF all term/);
  assert.throws(() => hostRecords([play([], { ...vars, spf_hosts_group: 'nope' })], scope, new Map(), testSecrets), /the inventory has no group "nope"/);
});

test('dns: a key rotation publishes the next and the previous key beside the one signing; selectors must be DNS labels', () => {
  const entry = (e: Record<string, string>) => role('opendkim', { dkim_keys: 'dkim_keys', dkim_key_dir: 'dir' }, { dkim_keys: [{ domain: 'example.org', ...e }], dir: '/k' });
  const keys = (e: Record<string, string>) => hostRecords([play([entry(e)])], scope, new Map(), testSecrets).keys;
  assert.deepEqual(keys({ selector: 's1', next_selector: 's2', previous_selector: '' }), [
    { entry: { domain: 'example.org', selector: 's1' }, txtPath: '/k/example.org/s1.txt' },
    { entry: { domain: 'example.org', selector: 's2' }, txtPath: '/k/example.org/s2.txt', rotation: 'next' },
  ]);
  assert.deepEqual(keys({ selector: 's2', next_selector: '', previous_selector: 's1' }), [
    { entry: { domain: 'example.org', selector: 's2' }, txtPath: '/k/example.org/s2.txt' },
    { entry: { domain: 'example.org', selector: 's1' }, txtPath: '/k/example.org/s1.txt', rotation: 'previous' },
  ]);
  // A next selector that is the signing one already is one key.
  assert.equal(keys({ selector: 's2', next_selector: 's2' }).length, 1);
  for (const [field, bad] of [['selector', '../s'], ['next_selector', 's 2'], ['previous_selector', '$(id)'], ['selector', ''], ['selector', 'a'.repeat(64)]]) {
    assert.throws(() => keys({ selector: 's1', [field]: bad }), (err: Error) => err.message === `dkim_keys: ${field} ${JSON.stringify(bad)} of example.org is not a DNS label (letters, digits, '-', '_'; at most 63)`, `${field}=${bad}`);
  }
  assert.throws(() => hostRecords([play([role('opendkim', { dkim_keys: 'k' }, { k: [{ domain: 'a/../b', selector: 's' }] })])], scope, new Map(), testSecrets), /dkim_keys: the domain "a\/\.\.\/b" is not a DNS name/);
});
