// fleetplan reads the inventories operators already have as Ansible reads them: an INI file, inventory
// scripts and several sources merged, with group_vars/ and host_vars/ beside the inventory and beside
// the plan. fixtures/load/ansible-inventory/expected/ holds what the real `ansible-inventory --list`
// (ansible-core 2.14) printed for the same files (regenerate.sh writes it); every group's members and
// every host's merged variables must be the same here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { addPlanVarsDir, hostVars, loadInventory, namedVarLayers } from '../../src/load/inventory.js';
import type { Inventory } from '../../src/load/model.js';
import { SecretRegistry, revealDeep } from '../../src/core/secret.js';
import { fix } from './load-helpers.js';

const at = (...p: string[]) => fix('ansible-inventory', ...p);

interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: unknown;
}

/** Our inventory in the shape `ansible-inventory --list` prints. */
function asAnsibleList(inv: Inventory): AnsibleList {
  const out: AnsibleList = { _meta: { hostvars: {} } };
  for (const h of inv.hosts.keys()) {
    const vars = revealDeep(hostVars(inv, h)) as Record<string, unknown>;
    if (Object.keys(vars).length) out._meta.hostvars[h] = vars;
  }
  for (const g of inv.groups.values()) {
    const entry: Record<string, string[]> = {};
    if (g.hosts.length) entry.hosts = g.hosts;
    if (g.children.length) entry.children = g.children;
    if (Object.keys(entry).length) out[g.name] = entry;
  }
  return out;
}

/** Integers beyond 2^53 stay the digits written (JavaScript has no exact number for them); Ansible keeps a Python int. */
function withoutBigIntegers(list: AnsibleList, ours?: unknown): AnsibleList {
  for (const vars of Object.values(list._meta.hostvars)) {
    if (!('big' in vars)) continue;
    if (ours !== undefined) assert.equal(vars.big, ours);
    delete vars.big;
  }
  return list;
}

/** `big`: what the INI value 123456789012345678901234567890 is here (JSON files hold the nearest double). */
function assertSameAsAnsible(inv: Inventory, expectedFile: string, big: unknown = '123456789012345678901234567890'): void {
  const expected = withoutBigIntegers(JSON.parse(readFileSync(at('expected', expectedFile), 'utf8')) as AnsibleList);
  const ours = withoutBigIntegers(asAnsibleList(inv), big);
  assert.deepEqual(Object.keys(ours._meta.hostvars).sort(), Object.keys(expected._meta.hostvars).sort());
  for (const [host, vars] of Object.entries(expected._meta.hostvars)) assert.deepEqual(ours._meta.hostvars[host], vars, `variables of ${host}`);
  // Ansible always has an `ungrouped` group under `all`; fleetplan only when a host is in it.
  const children = (expected.all as { children?: string[] } | undefined)?.children;
  if (children && !expected.ungrouped) (expected.all as { children: string[] }).children = children.filter((c) => c !== 'ungrouped');
  const groups = (l: AnsibleList) => Object.fromEntries(Object.entries(l).filter(([k]) => k !== '_meta'));
  assert.deepEqual(groups(ours), groups(expected));
}

describe('inventories as ansible-inventory reads them', () => {
  it('an INI file with group_vars/ and host_vars/ beside it', () => {
    assertSameAsAnsible(loadInventory(at('hosts'), new SecretRegistry()), 'ini.json');
  });

  it('the same with group_vars/ and host_vars/ beside the plan too (Ansible\'s --playbook-dir)', () => {
    const inv = loadInventory(at('hosts'), new SecretRegistry());
    addPlanVarsDir(inv, at('play', 'site.yml'), new SecretRegistry());
    assertSameAsAnsible(inv, 'ini-play.json');
  });

  it('several sources merged in order: the INI file, a script with _meta, a script answering --host', () => {
    const inv = loadInventory([at('hosts'), at('dynamic.sh'), at('nometa.sh')], new SecretRegistry());
    addPlanVarsDir(inv, at('play', 'site.yml'), new SecretRegistry());
    assertSameAsAnsible(inv, 'merged.json');
  });

  it('a directory as inventory: its files (subdirectories too, ignored names and extensions skipped), group_vars/ inside it', () => {
    assertSameAsAnsible(loadInventory(fix('ansible-inventory-dir'), new SecretRegistry()), 'dir.json');
  });

  it("a file of ansible-inventory --list output is an inventory (the way over from an inventory plugin)", () => {
    assertSameAsAnsible(loadInventory(at('expected', 'merged.json'), new SecretRegistry()), 'merged.json', 1.2345678901234568e29);
  });

  it('each layer of a host is named, in the order hostVars merges them', () => {
    const inv = loadInventory(at('hosts'), new SecretRegistry());
    addPlanVarsDir(inv, at('play', 'site.yml'), new SecretRegistry());
    const layers = namedVarLayers(inv, 'relay2');
    assert.deepEqual(layers.map((l) => l.layer.replace(/ \(beside.*/, '').replace(/.*fixtures\/load\//, '')), [
      'inventory: vars of group all', 'inventory: vars of group mail', 'inventory: vars of group relays',
      'ansible-inventory/group_vars/all[.yml|.yaml|.json|/]', 'ansible-inventory/play/group_vars/all[.yml|.yaml|.json|/]',
      'ansible-inventory/group_vars/relays[.yml|.yaml|.json|/]', 'ansible-inventory/play/group_vars/relays[.yml|.yaml|.json|/]',
      'inventory: host relay2', 'ansible-inventory/play/host_vars/relay2[.yml|.yaml|.json|/]',
    ]);
    assert.deepEqual(Object.assign({}, ...layers.map((l) => l.vars)), hostVars(inv, 'relay2'));
  });

  it('an INI source whose inline vars are the same as a YAML inventory\'s give the same host variables', () => {
    const inv = loadInventory(at('hosts'), new SecretRegistry());
    // Typed as Ansible types INI values: Python literals, the rest strings.
    const v = hostVars(inv, 'top1');
    assert.equal(v.ansible_port, 2222);
    assert.equal(v.flag, true);
    assert.equal(v.lower, 'true');
    assert.equal(v.mode, '0644');
    assert.deepEqual(v.lst, [1, 'a']);
    assert.deepEqual(inv.hosts.get('top1')!.groups, ['all', 'ungrouped']);
    assert.equal(inv.hosts.get('web01.example.org')!.pos.line, 8);
  });
});
