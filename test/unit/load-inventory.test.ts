import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostVars, loadInventory, selectHosts } from '../../src/load/inventory.js';
import { Secret, SecretRegistry } from '../../src/core/secret.js';
import { fix, hasError, inputErrors } from './load-helpers.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

describe('loadInventory', () => {
  const inv = loadInventory(fix('inventory', 'inventory.yml'), testSecrets);

  it('reads nested groups; a host in several groups is one host', () => {
    assert.deepEqual([...inv.hosts.keys()], ['bastion', 'relay1', 'relay2', 'relay3', 'web1', 'web2', 'db1']);
    assert.deepEqual(inv.hosts.get('relay1')!.groups, ['all', 'relays', 'web', 'centos']);
    assert.equal(inv.groups.get('centos')!.depth, 2);
    assert.equal(inv.groups.get('relays')!.depth, 1);
    assert.equal(inv.hosts.get('relay1')!.pos.line, 15);
  });

  it('merges vars: all < parent < child (same depth alphabetical) < host, files beside override inline', () => {
    assert.equal(hostVars(inv, 'bastion').ntp, 'time.example.org'); // group_vars/all.yml over inline all vars
    assert.equal(hostVars(inv, 'bastion').level, 'all');
    assert.equal(hostVars(inv, 'relay2').level, 'centos'); // group_vars/centos/ over relays
    assert.equal(hostVars(inv, 'relay2').pkg, 'postfix3'); // later file in the directory wins
    assert.equal(hostVars(inv, 'relay3').level, 'debian');
    assert.equal(hostVars(inv, 'relay3').relay_host, 'mx.example.org');
    assert.equal(hostVars(inv, 'relay3').relay_port, 25);
    assert.equal(hostVars(inv, 'relay1').level, 'host_vars'); // host_vars/ over inline host vars
    assert.equal(hostVars(inv, 'web1').level, 'all');
  });

  it('keeps !secret values as Secret and remembers them for redaction', () => {
    const pw = hostVars(inv, 'relay1').password;
    assert.ok(pw instanceof Secret);
    assert.equal(`${pw}`, 'hunter2');
    assert.equal(JSON.stringify({ pw }), '{"pw":"[redacted]"}');
    assert.ok(testSecrets.values().has('hunter2'));
  });

  it('rejects unknown group keys with a suggestion', () => {
    const errs = inputErrors(() => loadInventory(fix('bad-inventory', 'unknown-key.yml'), testSecrets));
    hasError(errs, 'unknown-key.yml', 4, 7, "unknown key 'hots' in group 'web'");
    hasError(errs, 'unknown-key.yml', 4, 7, "did you mean 'hosts'?");
  });

  it('rejects cycles in children', () => {
    const errs = inputErrors(() => loadInventory(fix('bad-inventory', 'cycle.yml'), testSecrets));
    hasError(errs, 'cycle.yml', 7, 13, 'group cycle: a → b → a');
  });

  it('rejects a host named like a group', () => {
    const errs = inputErrors(() => loadInventory(fix('bad-inventory', 'host-group.yml'), testSecrets));
    hasError(errs, 'host-group.yml', 5, 9, "'db' is both a host and a group");
  });

  it('reports YAML syntax errors and duplicate keys with positions', () => {
    const errs = inputErrors(() => loadInventory(fix('bad-inventory', 'syntax.yml'), testSecrets));
    assert.ok(errs.every((e) => e.pos?.file.endsWith('syntax.yml') && e.pos.line !== undefined && e.pos.col !== undefined));
    assert.ok(errs.some((e) => e.message.startsWith('YAML syntax error')), errs.map((e) => e.describe()).join('\n'));
    const dup = inputErrors(() => loadInventory(fix('bad-inventory', 'dup.yml'), testSecrets));
    hasError(dup, 'dup.yml', 4, 5, 'duplicate key');
  });
});

describe('selectHosts', () => {
  const inv = loadInventory(fix('inventory', 'inventory.yml'), testSecrets);
  const sel = (p: string, limit?: string) => selectHosts(inv, p, limit);

  it('all, *, groups (with descendants), hosts', () => {
    assert.equal(sel('all').length, 7);
    assert.deepEqual(sel('*'), sel('all'));
    assert.deepEqual(sel('relays'), ['relay1', 'relay2', 'relay3']);
    assert.deepEqual(sel('db1'), ['db1']);
  });
  it('globs, unions, intersections, exclusions, inventory order', () => {
    assert.deepEqual(sel('web*'), ['relay1', 'web1', 'web2']); // group web matches the glob too
    assert.deepEqual(sel('db:bastion'), ['bastion', 'db1']);
    assert.deepEqual(sel('db,bastion'), ['bastion', 'db1']);
    assert.deepEqual(sel('web:&centos'), ['relay1']);
    assert.deepEqual(sel('relays:!relay2'), ['relay1', 'relay3']);
    assert.deepEqual(sel('!relays'), ['bastion', 'web1', 'web2', 'db1']);
    assert.deepEqual(sel('relays:web:&centos:!relay2'), ['relay1']);
    assert.deepEqual(sel('all', 'web'), ['relay1', 'web1', 'web2']);
  });
  it('a literal name matching nothing is an error, with a suggestion', () => {
    const [err] = inputErrors(() => sel('relay:web'));
    assert.match(err!.message, /pattern 'relay' matches no host or group \(did you mean 'relays'\?\)/);
    const [lim] = inputErrors(() => sel('all', 'dbb'));
    assert.match(lim!.message, /limit 'dbb' matches no host or group/);
  });
  it('no silent no-op: a glob, a regex or a whole pattern that selects no host is an error, with the closest names', () => {
    // Issue 20 changed this on purpose: a glob matching nothing used to select nothing, silently.
    const [glob] = inputErrors(() => sel('relayz*'));
    assert.match(glob!.message, /pattern 'relayz\*' selects no host: no host or group name matches this glob \(did you mean 'relays'\?\)/);
    const [re] = inputErrors(() => sel('~^nomatch'));
    assert.match(re!.message, /pattern '~\^nomatch' selects no host: no host or group name matches this regular expression/);
    const [lim] = inputErrors(() => sel('all', 'webz*'));
    assert.match(lim!.message, /^--limit 'webz\*' selects no host: .* \(did you mean 'web'\?\)/);
    const [none] = inputErrors(() => sel('db:&relays'));
    assert.match(none!.message, /pattern 'db:&relays' selects no host/);
  });
  it("Ansible's subscripts: [i], [-i], [a:b] (both ends included), [a:], [:b]; out of range is an error", () => {
    assert.deepEqual(sel('relays[0]'), ['relay1']);
    assert.deepEqual(sel('relays[-1]'), ['relay3']);
    assert.deepEqual(sel('relays[0:1]'), ['relay1', 'relay2']);
    assert.deepEqual(sel('relays[1:]'), ['relay2', 'relay3']);
    assert.deepEqual(sel('relays[:1]'), ['relay1', 'relay2']);
    assert.deepEqual(sel('relays[0]:web[1]'), ['relay1', 'web1']);
    assert.deepEqual(sel('all', 'relays[0:1]:!relay1'), ['relay2']);
    assert.deepEqual(sel('relay[1-2]'), ['relay1', 'relay2'], 'not a position: a glob character class');
    const [cls] = inputErrors(() => sel('relay[12]'));
    assert.match(cls!.message, /'relay' matches no host or group.*\[12\] is a position.*relay\[1-2\]/);
    const [out] = inputErrors(() => sel('relays[7]'));
    assert.match(out!.message, /pattern 'relays\[7\]' selects no host: 'relays' has 3 host\(s\)/);
  });
});
