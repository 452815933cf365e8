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
