// Ansible's INI inventory format: typing of values, host ranges and ports, format detection, and every
// input error at its file:line:col (what Ansible would read, see inventory-ansible-parity.test.ts).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Secret, SecretRegistry } from '../../src/core/secret.js';
import { HostPatternError, expandHostRange, splitHostPort } from '../../src/load/host-ranges.js';
import { hostVars, inventoryFormat, loadInventory } from '../../src/load/inventory.js';
import { pythonLiteral } from '../../src/load/python-literal.js';
import { hasError, inputErrors } from './load-helpers.js';

describe('INI values are typed as Python literals, as Ansible types them', () => {
  const cases: Array<[string, unknown]> = [
    ['22', 22], ['-5', -5], ['1_000', 1000], ['0x1F', 31], ['1.5', 1.5], ['1.5e3', 1500], ['0644', '0644'], ['007', '007'],
    ['True', true], ['False', false], ['None', null], ['true', 'true'], ['yes', 'yes'],
    ["'quoted'", 'quoted'], ['"a\\tb"', 'a\tb'], ["'it\\'s'", "it's"], ["'a' 'b'", 'ab'],
    ["[1, 'a']", [1, 'a']], ["('x',)", ['x']], ["{'k': [1, None]}", { k: [1, null] }], ['{}', {}],
    ['web1.example.org', 'web1.example.org'], ['2+3', '2+3'], ['hello # c', 'hello # c'], ['1 # c', 1], ['', ''],
    ['12345678901234567890', '12345678901234567890'], ['1j', '1j'], ['...', '...'], ["f'x'", "f'x'"], ['[1, x]', '[1, x]'],
  ];
  for (const [text, want] of cases) {
    it(`${JSON.stringify(text)} → ${JSON.stringify(want)}`, () => assert.deepEqual(pythonLiteral(text), want));
  }
});

describe('host ranges and ports', () => {
  it('expands numeric (zero-padded), alphabetic, stepped and several ranges', () => {
    assert.deepEqual(expandHostRange('web[01:03].x'), ['web01.x', 'web02.x', 'web03.x']);
    assert.deepEqual(expandHostRange('db-[a:c]'), ['db-a', 'db-b', 'db-c']);
    assert.deepEqual(expandHostRange('n[1:7:3]'), ['n1', 'n4', 'n7']);
    assert.deepEqual(expandHostRange('r[:1]-[x:y]'), ['r0-x', 'r0-y', 'r1-x', 'r1-y']);
    assert.deepEqual(expandHostRange('plain'), ['plain']);
  });
  it('refuses malformed ranges and ranges too large', () => {
    for (const bad of ['w[1:2', 'w[1]', 'w[01:100]', 'w[c:a]', 'w[1:]', 'w[1:3:0]', 'w[1:x]', 'w[0:1000000]', 'w[0:999][0:999]']) {
      assert.throws(() => expandHostRange(bad), HostPatternError, bad);
    }
  });
  it('reads host:port, [v6]:port and a bare IPv6 address', () => {
    assert.deepEqual(splitHostPort('web1:2222'), { name: 'web1', port: 2222 });
    assert.deepEqual(splitHostPort('[2001:db8::1]:22'), { name: '2001:db8::1', port: 22 });
    assert.deepEqual(splitHostPort('2001:db8::1'), { name: '2001:db8::1' });
    assert.deepEqual(splitHostPort('web[01:20]:2200'), { name: 'web[01:20]', port: 2200 });
    assert.throws(() => splitHostPort('web1:ssh'), /port after ':' must be a number/);
    assert.throws(() => splitHostPort('web1:70000'), /not in 1-65535/);
  });
});

describe('INI inventory files', () => {
  let dir: string;
  const at = (...p: string[]) => path.join(dir, ...p);
  const write = (name: string, text: string) => {
    writeFileSync(at(name), text);
    return at(name);
  };
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-ini-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('detects the format as Ansible tries its plugins: script, YAML by extension or content, else INI', () => {
    const script = write('inv-script', '#!/bin/sh\necho {}\n');
    chmodSync(script, 0o755);
    assert.equal(inventoryFormat(script), 'script');
    assert.equal(inventoryFormat(at('x.yml'), '[web]\n'), 'yaml');
    assert.equal(inventoryFormat(at('hosts'), '# c\nall:\n  hosts: {}\n'), 'yaml');
    assert.equal(inventoryFormat(at('hosts'), '---\nall: {}\n'), 'yaml');
    assert.equal(inventoryFormat(at('hosts'), '# c\n[web]\nweb1\n'), 'ini');
    assert.equal(inventoryFormat(at('hosts.ini'), 'web1 ansible_host=192.0.2.1\n'), 'ini');
  });

  it('reads groups, children, vars and hosts; password variables are secrets', () => {
    const file = write('ok.ini', '[relays]\nrelay1 ansible_become_pass=s3cr3t-INI ansible_port=2200\n[relays:vars]\nansible_password="p w"\n');
    const secrets = new SecretRegistry();
    const inv = loadInventory(file, secrets);
    const v = hostVars(inv, 'relay1');
    assert.ok(v.ansible_become_pass instanceof Secret && v.ansible_password instanceof Secret);
    assert.equal(String(v.ansible_password), 'p w');
    assert.equal(v.ansible_port, 2200);
    assert.equal(secrets.redact('x s3cr3t-INI y'), 'x [redacted] y');
    assert.deepEqual(inv.hosts.get('relay1')!.groups, ['all', 'relays']);
  });

  it('reports each problem at file:line:col', () => {
    const file = write('bad.ini', [
      '[web', //                                  1: a '[' never closed
      '[web:var]', //                             2: unknown section type
      '[web]', //                                 3
      'web1 ansible_user=x oops', //              4: a word without '='
      "web2 pw='unclosed", //                     5: unbalanced quote
      'web[1:x]', //                              6: bad range
      'web3:ssh', //                              7: bad port
      '[web:vars]', //                            8
      '  just-a-word', //                         9: not key=value
      '[ghost:vars]', //                         10: undefined group
      'a=1', //                                  11
      '[all:children]', //                       12
      'web', //                                  13
      'nowhere', //                              14: undefined child
      'bad name', //                             15: not a group name
      '[a b]', //                                16: spaces in a section name
    ].join('\n'));
    const errs = inputErrors(() => loadInventory(file, new SecretRegistry()));
    hasError(errs, 'bad.ini', 1, 1, "'[web': '[' without a closing ']'");
    hasError(errs, 'bad.ini', 2, 1, "unknown type 'var'");
    hasError(errs, 'bad.ini', 2, 1, "did you mean 'vars'?");
    hasError(errs, 'bad.ini', 4, 21, "expected key=value host variable, got 'oops'");
    hasError(errs, 'bad.ini', 5, 1, 'cannot split the host line');
    hasError(errs, 'bad.ini', 6, 1, 'a host range is of numbers');
    hasError(errs, 'bad.ini', 7, 1, "the port after ':' must be a number");
    hasError(errs, 'bad.ini', 9, 3, "expected key=value, got 'just-a-word'");
    hasError(errs, 'bad.ini', 10, 1, "[ghost:vars]: no group 'ghost' is declared");
    hasError(errs, 'bad.ini', 14, 1, "[all:children] includes 'nowhere', which no [nowhere] or [nowhere:children] section declares");
    hasError(errs, 'bad.ini', 15, 1, "expected a group name, got 'bad name'");
    hasError(errs, 'bad.ini', 16, 1, "invalid section '[a b]'");
    assert.equal(errs.length, 11, errs.map((e) => e.describe()).join('\n'));
  });

  it('a child declared later in the file is fine; a host named like a group is not', () => {
    const ok = write('later.ini', '[ungrouped:vars]\nu=1\n[all:children]\nrelays\n[relays]\nr1\n');
    assert.deepEqual(loadInventory(ok, new SecretRegistry()).hosts.get('r1')!.groups, ['all', 'relays']);
    const clash = write('clash.ini', '[db]\ndb\n');
    hasError(inputErrors(() => loadInventory(clash, new SecretRegistry())), 'clash.ini', 2, 1, "'db' is both a host and a group");
  });

  it("an inventory plugin's configuration is refused with the way over (ansible-inventory --list > inventory.json)", () => {
    const file = write('aws_ec2.yml', '# comment\nplugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n');
    hasError(inputErrors(() => loadInventory(file, new SecretRegistry())), 'aws_ec2.yml', 2, 1, 'ansible-inventory -i aws_ec2.yml --list > inventory.json');
  });

  it('a file starting with #! that is not executable is refused with the fix', () => {
    const file = write('notexec', '#!/bin/sh\necho {}\n');
    hasError(inputErrors(() => loadInventory(file, new SecretRegistry())), 'notexec', 1, 1, 'chmod +x');
  });

  it('group_vars/<name> given twice (web.yml and web.yaml) is an error naming both, not one silently ignored', () => {
    const sub = at('twice');
    mkdirSync(path.join(sub, 'group_vars'), { recursive: true });
    writeFileSync(path.join(sub, 'hosts'), '[web]\nweb1\n');
    writeFileSync(path.join(sub, 'group_vars', 'web.yml'), 'a: 1\n');
    writeFileSync(path.join(sub, 'group_vars', 'web.yaml'), 'a: 2\n');
    const [err] = inputErrors(() => loadInventory(path.join(sub, 'hosts'), new SecretRegistry()));
    assert.match(err!.describe(), /group_vars\/web\.yml: web\.yml, web\.yaml both exist: Ansible would read only web\.yml/);
  });
});
