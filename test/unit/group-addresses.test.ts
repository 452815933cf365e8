// `group_addresses` (magic-vars.ts): every host of a group at its inventory address, one value per
// play shared by every host, so opendkim's TrustedHosts and spf_policy's skip table render once per
// run at 1000 hosts (render-cache.ts keys it by identity) and are the same file on every relay.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SecretRegistry } from '../../src/core/secret.js';
import { RunVars, hostScope } from '../../src/engine/host-scope.js';
import { parseFacts } from '../../src/facts/gather.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlan } from '../../src/load/plan.js';
import { keyOf } from '../../src/load/render-cache.js';
import { hbs, helperNames, renderTemplateFile } from '../../src/load/template.js';
import { templateRefs } from '../../src/load/template-refs.js';
import { validatePlanVars } from '../../src/load/validate.js';
import type { Vars } from '../../src/load/model.js';
import { hasError, registry } from './load-helpers.js';

const repo = path.resolve(import.meta.dirname, '..', '..', '..');
const trustedHosts = path.join(repo, 'roles/opendkim/templates/TrustedHosts.hbs');
const skipTable = path.join(repo, 'roles/spf_policy/templates/spf_policy_skip.cidr.hbs');
const facts = parseFacts('system=Linux\nhostname=h\nos_release.ID=debian\nos_release.VERSION_ID=12\n');

const dir = mkdtempSync(path.join(tmpdir(), 'fp-group-addresses-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A run over `inventoryYaml` with a one-play plan; returns each named host's play scope. */
function run(inventoryYaml: string, planYaml: string, secrets = new SecretRegistry()) {
  const sub = mkdtempSync(path.join(dir, 'run-'));
  writeFileSync(path.join(sub, 'inventory.yml'), inventoryYaml);
  writeFileSync(path.join(sub, 'site.yml'), planYaml);
  const inventory = loadInventory(path.join(sub, 'inventory.yml'), secrets);
  const plan = loadPlan(path.join(sub, 'site.yml'), { rolesPath: [], registry, secrets });
  const inputs = { plan, inventory, extraVars: {}, secrets };
  const shared = new RunVars(inputs);
  const play = plan.plays[0]!;
  const scope = (host: string) => hostScope(inputs, host, facts, shared, play)(play);
  return { scope, secrets, inventory, plan, shared };
}

const relays = (n: number) =>
  ['all:', '  children:', '    relays:', '      hosts:', ...Array.from({ length: n }, (_, i) => `        r${i}: { ssh_host: 10.${i >> 8}.${i & 255}.1 }`)].join('\n') + '\n';

describe('group_addresses at run time', () => {
  it('lists ssh_host, else ansible_host, else the name (an empty value counts as unset), in the group order, play vars included', () => {
    const inv = [
      'all:',
      '  children:',
      '    relays:',
      '      hosts:',
      '        b: { ssh_host: 192.0.2.2, ansible_host: 198.51.100.2 }',
      '        a: { ansible_host: 192.0.2.1 }',
      '        c: { ssh_host: "" }',
      '        d: {}',
      '    web:',
      '      hosts:',
      '        w: { ansible_host: "{{ base }}.9" }',
    ].join('\n');
    const { scope } = run(inv, '- hosts: all\n  vars: { base: 203.0.113 }\n  tasks: []\n');
    const addr = scope('a').group_addresses as Record<string, string[]>;
    assert.deepEqual(addr.relays, ['192.0.2.2', '192.0.2.1', 'c', 'd']);
    assert.deepEqual(addr.web, ['203.0.113.9']);
    assert.deepEqual(addr.all, ['192.0.2.2', '192.0.2.1', 'c', 'd', '203.0.113.9']);
    assert.equal(addr.nosuch, undefined);
    assert.deepEqual(Object.keys(addr).sort(), ['all', 'relays', 'ungrouped', 'web']);
    // One value for the play: every host reads the same object (and the same lists).
    assert.equal(scope('w').group_addresses, scope('a').group_addresses);
    assert.equal((scope('w').group_addresses as Record<string, string[]>).relays, addr.relays);
    assert.throws(() => {
      (addr as Record<string, unknown>).relays = [];
    }, TypeError);
  });

  it('a host whose address cannot be resolved fails the read naming group_addresses and the host', () => {
    const inv = 'all:\n  children:\n    relays:\n      hosts:\n        a: {}\n        b: { ssh_host: "{{ facts.default_ipv4.address }}" }\n';
    const { scope } = run(inv, '- hosts: a\n  tasks: []\n');
    const addr = scope('a').group_addresses as Record<string, string[]>;
    assert.throws(() => addr.relays, /group_addresses\.relays: hostvars\.b: .*host 'b' has not run a play of this run before/);
  });

  it('TrustedHosts and the SPF skip table: the same text on each of 1000 relays, every relay listed; their render key does not grow with the fleet', () => {
    const { scope, secrets, shared } = run(relays(1000), '- hosts: relays\n  vars: { opendkim_relay_group: relays, spf_relay_group: relays, opendkim_trusted_hosts: [], spf_skip_addresses: [] }\n  tasks: []\n');
    const hosts = ['r0', 'r1', 'r500', 'r999'];
    for (const file of [trustedHosts, skipTable]) {
      const texts = hosts.map((h) => renderTemplateFile(file, scope(h), secrets));
      for (const t of texts) assert.equal(t, texts[0]);
      const listed = texts[0]!.split('\n').filter((l) => /^10\./.test(l));
      assert.equal(listed.length, 1000, file);
      assert.equal(listed[999]!.replace(/ OK$/, ''), '10.3.231.1', file);
      const refs = templateRefs(hbs.parse(readFileSync(file, 'utf8')), helperNames());
      const keys = hosts.map((h) => keyOf(scope(h), refs));
      assert.ok(keys[0] !== undefined && keys[0].length < 200, `${file}: ${keys[0]?.slice(0, 300)}`);
      for (const k of keys) assert.equal(k, keys[0]);
    }
    // Plain inventory addresses: no host's whole hostvars entry was resolved (nor kept) for them.
    const plays = (shared as unknown as { plays: Map<unknown, { entries: Map<string, unknown> }> }).plays;
    assert.deepEqual([...plays.values()].map((p) => p.entries.size), [0]);
  });

  it('another play is another value (its vars may change the addresses)', () => {
    const inv = 'all:\n  children:\n    relays:\n      hosts:\n        a: { ansible_host: "{{ net }}.1" }\n';
    const { scope, plan, inventory, secrets } = run(inv, '- hosts: all\n  vars: { net: 192.0.2 }\n  tasks: []\n- hosts: all\n  vars: { net: 198.51.100 }\n  tasks: []\n');
    const inputs = { plan, inventory, extraVars: {}, secrets };
    const shared = new RunVars(inputs);
    const second = hostScope(inputs, 'a', facts, shared, plan.plays[0])(plan.plays[1]!);
    assert.deepEqual((scope('a').group_addresses as Vars).relays, ['192.0.2.1']);
    assert.deepEqual((second.group_addresses as Vars).relays, ['198.51.100.1']);
    // What a host set (set_fact) in an earlier play is in its hostvars entry, so in group_addresses too.
    // (Plays end on every host before the next begins: the set value is there before play 2 is read.)
    const later = new RunVars(inputs);
    later.played('a', plan.plays[0]!, { ansible_host: '203.0.113.7' });
    const third = hostScope(inputs, 'a', facts, later, plan.plays[0])(plan.plays[1]!);
    assert.deepEqual((third.group_addresses as Vars).relays, ['203.0.113.7']);
  });
});

describe('group_addresses in fleetplan validate', () => {
  it('is known (its groups, as groups); an unknown group is an undefined variable', () => {
    const sub = mkdtempSync(path.join(dir, 'validate-'));
    writeFileSync(path.join(sub, 'inventory.yml'), relays(3));
    const file = path.join(sub, 'v.yml');
    writeFileSync(file, ['- hosts: relays', '  tasks:', '    - command: "echo {{ join group_addresses.relays \' \' }}"', '    - command: "echo {{ group_addresses.nosuch }}"'].join('\n') + '\n');
    const secrets = new SecretRegistry();
    const errs = validatePlanVars(loadPlan(file, { rolesPath: [], registry, secrets }), loadInventory(path.join(sub, 'inventory.yml'), secrets), {});
    hasError(errs, 'v.yml', 4, 16, "undefined variable 'group_addresses.nosuch'");
    assert.equal(errs.length, 1, errs.map((e) => e.describe()).join('\n'));
  });
});
