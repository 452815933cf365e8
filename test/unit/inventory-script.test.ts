// Executable dynamic inventories (Ansible's script protocol) and several -i sources: a failing, slow
// or confused script is an input error naming it, with its standard error; later sources win.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SecretRegistry } from '../../src/core/secret.js';
import { hostVars, loadInventory } from '../../src/load/inventory.js';
import { INVENTORY_TIMEOUT_ENV } from '../../src/load/inventory-script.js';
import { inputErrors } from './load-helpers.js';

describe('inventory scripts', () => {
  let dir: string;
  const script = (name: string, body: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const errorOf = (files: string | string[]) => inputErrors(() => loadInventory(files, new SecretRegistry())).map((e) => e.describe()).join('\n');
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-invscript-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('calls --list once when _meta.hostvars is given, --host per host otherwise', () => {
    const calls = path.join(dir, 'calls.log');
    const meta = script('meta.sh', `echo "$@" >> ${calls}\necho '{"g": {"hosts": ["a", "b"]}, "_meta": {"hostvars": {"a": {"x": 1}}}}'`);
    const inv = loadInventory(meta, new SecretRegistry());
    assert.deepEqual(hostVars(inv, 'a'), { x: 1 });
    assert.deepEqual(hostVars(inv, 'b'), {});
    const noMeta = script('nometa.sh', `echo "$@" >> ${calls}\ncase "$1" in --list) echo '{"g": ["a", "b"]}';; --host) echo "{\\"who\\": \\"$2\\"}";; esac`);
    writeFileSync(calls, '');
    assert.deepEqual(hostVars(loadInventory(noMeta, new SecretRegistry()), 'b'), { who: 'b' });
    assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), ['--list', '--host a', '--host b']);
  });

  it('a failing script: its exit status and standard error, naming the script', () => {
    const fail = script('fail.sh', 'echo "cloud API: 403 Forbidden" >&2\nexit 3');
    assert.match(errorOf(fail), /fail\.sh: inventory script '--list': exited with status 3; its standard error:\ncloud API: 403 Forbidden/);
  });

  it('output that is not JSON, or not an object of groups', () => {
    assert.match(errorOf(script('text.sh', 'echo "hello"')), /text\.sh: inventory script '--list': its output is not JSON \(.*\); it begins: hello/);
    assert.match(errorOf(script('empty.sh', 'true')), /empty\.sh: inventory script '--list': its output is not JSON .*it printed nothing/);
    assert.match(errorOf(script('list.sh', 'echo "[1]"')), /list\.sh: inventory script: '--list' must print a JSON object of groups, got a list/);
    const bad = errorOf(script('shape.sh', `echo '{"g": {"hosts": "a", "vars": [], "children": [1], "hostz": []}}'`));
    assert.match(bad, /group 'g' has unknown key\(s\) 'hostz'/);
    assert.match(bad, /the hosts of group 'g' must be a list of names, got a string/);
    assert.match(bad, /the vars of group 'g' must be an object, got a list/);
    assert.match(bad, /the children of group 'g' must be a list of group names/);
    assert.match(errorOf(script('hostbad.sh', `case "$1" in --list) echo '{"g": ["a"]}';; *) echo '"x"';; esac`)), /the variables of host 'a' must be a JSON object, got a string/);
  });

  it('a script that hangs is stopped after the time limit', () => {
    const slow = script('slow.sh', 'sleep 30');
    const before = Date.now();
    process.env[INVENTORY_TIMEOUT_ENV] = '1';
    try {
      assert.match(errorOf(slow), /slow\.sh: inventory script '--list': did not finish within 1 s and was stopped \(FLEETPLAN_INVENTORY_TIMEOUT=<seconds> allows longer\)/);
    } finally {
      delete process.env[INVENTORY_TIMEOUT_ENV];
    }
    assert.ok(Date.now() - before < 10_000);
  });

  it('several sources merge in order: hosts and groups are one, later variables win', () => {
    const yaml = path.join(dir, 'base.yml');
    writeFileSync(yaml, 'all:\n  children:\n    relays:\n      vars: {port: 25, tier: base}\n      hosts:\n        r1: {ssh_host: 192.0.2.1, role: old}\n');
    const over = script('over.sh', `echo '{"relays": {"hosts": ["r1", "r2"], "vars": {"port": 587}}, "_meta": {"hostvars": {"r1": {"role": "new"}}}}'`);
    const inv = loadInventory([yaml, over], new SecretRegistry());
    assert.deepEqual([...inv.hosts.keys()], ['r1', 'r2']);
    assert.deepEqual(hostVars(inv, 'r1'), { port: 587, tier: 'base', ssh_host: '192.0.2.1', role: 'new' });
    const back = loadInventory([over, yaml], new SecretRegistry());
    assert.deepEqual(hostVars(back, 'r1'), { port: 25, tier: 'base', ssh_host: '192.0.2.1', role: 'old' });
    assert.deepEqual(back.files, [over, yaml]);
  });
});
