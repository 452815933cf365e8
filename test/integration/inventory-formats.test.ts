// Inventories operators already have, on a real SSH host: a dry run through an Ansible INI inventory
// (Ansible's connection variables, group_vars/ beside it and beside the plan, an ansible-vault
// encrypted group_vars file), through an executable inventory script, and through both merged (the
// later source wins). Each dry run shows the same exact diff a YAML inventory would, and changes nothing.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan, repoRoot } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-inventory-formats-');
const vaultFixture = path.join(repoRoot, 'test/unit/fixtures/load/ansible-vault');
let fleet: Fleet;
let host: string;
/** The operator's files, apart from the fleet's own (which has a hosts/ directory). */
const at = (...p: string[]) => path.join(out, 'ops', ...p);
const TARGET = '/etc/fleetplan-inventory-formats';

before(async () => {
  if (skip) return;
  fleet = await up({ os: 'debian-sysv', count: 1, out });
  const h = fleet.hosts[0]!;
  host = h.name;
  mkdirSync(at());
  // The fleet's key and known_hosts, relative to the first inventory's directory.
  writeFileSync(at('hosts'), [
    '# An Ansible INI inventory, as operators have them',
    '[relays]',
    `${host} ansible_host=${h.address} ansible_port=${h.port} relay_port=2525 tier='inline ini'`,
    '[mail:children]',
    'relays',
    '[all:vars]',
    'ansible_user=root',
    'ansible_ssh_private_key_file=../id_ed25519',
    'ssh_known_hosts_file=../known_hosts',
    '',
  ].join('\n'));
  // group_vars/relays.yml encrypted by the real ansible-vault (vaulted_port: 2525, vaulted_password: av-Secret-1).
  mkdirSync(at('group_vars'));
  copyFileSync(path.join(vaultFixture, 'group_vars', 'relays.yml'), at('group_vars', 'relays.yml'));
  copyFileSync(path.join(vaultFixture, 'vault-password'), at('vault-password'));
  // The plan in its own directory, with a group_vars/all.yml beside it (Ansible's playbook group_vars).
  mkdirSync(at('play', 'group_vars'), { recursive: true });
  writeFileSync(at('play', 'group_vars', 'all.yml'), 'from_plan_dir: beside the plan\n');
  writeFileSync(at('play', 'site.yml'), [
    'name: inventory formats', 'hosts: mail', 'gather_facts: false', 'tasks:',
    '  - name: summary file',
    `    file: { path: ${TARGET}, content: "port={{relay_port}} tier={{tier}} plan={{from_plan_dir}} vault={{vaulted_port}}\\n" }`,
    '  - name: relay password file',
    `    file: { path: ${TARGET}.pw, content: "{{vaulted_password}}\\n", mode: "0600" }`,
    '',
  ].join('\n'));
  const json = (tier: string) => JSON.stringify({
    relays: { hosts: [host], vars: { ansible_user: 'root', ansible_ssh_private_key_file: '../id_ed25519', ssh_known_hosts_file: '../known_hosts' } },
    mail: { children: ['relays'] },
    _meta: { hostvars: { [host]: { ansible_host: h.address, ansible_port: h.port, relay_port: 2526, tier } } },
  });
  for (const [name, tier] of [['dynamic.sh', 'script'], ['override.sh', 'override']] as const) {
    writeFileSync(at(name), `#!/bin/sh\n[ "$1" = --list ] || exit 2\ncat <<'JSON'\n${json(tier)}\nJSON\n`);
    chmodSync(at(name), 0o755);
  }
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

async function dryRun(inventories: string[]): Promise<string> {
  const r = await fleetplan(['apply', at('play', 'site.yml'), ...inventories.flatMap((i) => ['-i', at(i)]), '--check', '--diff', '--json', '--vault-password-file', at('vault-password')]);
  assert.equal(r.code, 0, r.stderr);
  const task = r.json.hosts[host].tasks.find((t: any) => t.name === 'summary file');
  assert.equal(task.status, 'changed', JSON.stringify(task));
  // The vaulted password reaches the plan but never the report: its file shows no content diff at all.
  const pw = r.json.hosts[host].tasks.find((t: any) => t.name === 'relay password file');
  assert.equal(pw.status, 'changed');
  assert.equal(pw.diff[0].masked, 'secret');
  assert.doesNotMatch(r.stdout, /av-Secret-1/);
  const state = await fleet.exec(host, `test -e ${TARGET} && echo present || echo absent`);
  assert.equal(state.stdout.trim(), 'absent', 'a dry run changes nothing');
  return JSON.stringify(task);
}

test('a dry run through an Ansible INI inventory, with group_vars beside it (ansible-vault) and beside the plan', { skip }, async () => {
  assert.match(await dryRun(['hosts']), /port=2525 tier=inline ini plan=beside the plan vault=2525/);
});

test('a dry run through an executable inventory script (_meta.hostvars)', { skip }, async () => {
  assert.match(await dryRun(['dynamic.sh']), /port=2526 tier=script plan=beside the plan vault=2525/);
});

test('several -i: the INI file, then a script; the later source wins', { skip }, async () => {
  assert.match(await dryRun(['hosts', 'override.sh']), /port=2526 tier=override plan=beside the plan vault=2525/);
  assert.match(await dryRun(['override.sh', 'hosts']), /port=2525 tier=inline ini plan=beside the plan vault=2525/);
});
