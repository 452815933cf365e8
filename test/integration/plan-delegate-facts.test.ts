// delegate_facts on real hosts (two debian-sysv hosts of the run): what a delegated set_fact sets is
// the delegate's from the next play on — its own tasks read it, every host's hostvars.<delegate> has
// it, the delegating host does not — and without delegate_facts it stays the delegating host's. In a
// dry run the values go to the delegate too, known ones as values, unknown ones as deferrals.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-delegate-facts-');
const A = 'deb-sysv-1';
const B = 'deb-sysv-2';
let fleet: Fleet;

before(async () => {
  if (skip) return;
  fleet = await up({ os: 'debian-sysv', count: 2, out: path.join(out, 'fleet') });
});
after(async () => {
  if (!out) return;
  await down(path.join(out, 'fleet')).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

async function apply(plan: string, ...extra: string[]) {
  const r = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--json', ...extra]);
  assert.ok(r.json, `no JSON: ${r.stderr}`);
  return r;
}

const task = (json: any, host: string, name: string) => (json.hosts[host].tasks as any[]).find((t) => t.name === name);
const sh = async (host: string, cmd: string) => (await fleet.exec(host, cmd)).stdout;
const exists = (host: string, file: string) => sh(host, `test -e ${file} && echo yes || echo no`);

const PLAN = `
- hosts: ${A}
  tasks:
    - name: own name
      command: { cmd: hostname }
      register: own
      changed_when: false
    - name: tell the other
      set_fact: { peer: "{{inventory_hostname}}" }
      delegate_to: ${B}
      delegate_facts: true
    - name: tell the other my hostname
      set_fact: { peer_hostname: "{{own.stdout}}" }
      delegate_to: ${B}
      delegate_facts: true
    - name: keep here
      set_fact: { kept: "on {{inventory_hostname}}" }
      delegate_to: ${B}
- hosts: ${B}
  tasks:
    - name: reads the peer
      file: { path: /var/tmp/peer, content: "{{peer}}\\n" }
    - name: reads the peer's hostname
      file: { path: /var/tmp/peer-hostname, content: "{{peer_hostname}}\\n" }
    - name: kept is not mine
      file: { path: /var/tmp/no-kept, content: "none\\n" }
      when: { kept: { defined: false } }
- hosts: ${A}
  tasks:
    - name: peer is not mine
      file: { path: /var/tmp/kept, content: "{{kept}}\\n" }
      when: { peer: { defined: false } }
    - name: through hostvars
      file: { path: /var/tmp/via-hostvars, content: "{{hostvars.[${B}].peer}}\\n" }
`;

test('delegate_facts: a delegated set_fact is the delegate\'s from the next play (its tasks, everyone\'s hostvars); without it, the delegating host\'s', { skip, timeout: 180_000 }, async () => {
  const plan = path.join(out, 'plan.yml');
  writeFileSync(plan, PLAN);

  const check = await apply(plan, '--check');
  assert.equal(check.code, 0, check.stderr);
  assert.match(task(check.json, A, 'tell the other').reason, new RegExp(`^${A} → ${B}`));
  const known = task(check.json, B, 'reads the peer');
  assert.equal(known.status, 'changed');
  assert.doesNotMatch(known.reason ?? '', /deferred/, 'a known value reaches the delegate in a dry run');
  assert.match(task(check.json, B, "reads the peer's hostname").reason, /deferred: depends on 'own name'/, 'an unknown one reaches it as unknown');
  assert.equal(task(check.json, B, 'kept is not mine').status, 'changed');
  assert.equal(task(check.json, A, 'peer is not mine').status, 'changed');
  assert.equal(task(check.json, A, 'through hostvars').status, 'changed');
  assert.equal(await exists(B, '/var/tmp/peer'), 'no\n', 'a dry run changes nothing');

  const run = await apply(plan);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await sh(B, 'cat /var/tmp/peer'), `${A}\n`);
  assert.equal(await sh(B, 'cat /var/tmp/peer-hostname'), await sh(A, 'hostname'));
  assert.equal(await sh(B, 'cat /var/tmp/no-kept'), 'none\n', 'without delegate_facts the delegate does not have it');
  assert.equal(await sh(A, 'cat /var/tmp/kept'), `on ${A}\n`, 'without delegate_facts the delegating host has it; with it, it does not');
  assert.equal(await sh(A, 'cat /var/tmp/via-hostvars'), `${A}\n`);
  assert.equal(await exists(A, '/var/tmp/peer'), 'no\n');

  const again = await apply(plan);
  assert.equal(again.code, 0, again.stderr);
  for (const [h, t] of [[B, 'reads the peer'], [B, "reads the peer's hostname"], [B, 'kept is not mine'], [A, 'peer is not mine'], [A, 'through hostvars']] as const) {
    assert.equal(task(again.json, h, t).status, 'ok', `${h}: ${t}`);
  }
});
