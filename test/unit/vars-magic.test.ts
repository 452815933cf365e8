// h17 variables: comparisons between variables, the defined guards validate honours, the magic
// variables (groups, hostvars, play_hosts) statically and at run time, facts under Ansible's names.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { RunVars, hostScope } from '../../src/engine/host-scope.js';
import { parseFacts } from '../../src/facts/gather.js';
import { loadInventory } from '../../src/load/inventory.js';
import { Issues } from '../../src/load/issues.js';
import { groupsOf } from '../../src/load/magic-vars.js';
import type { Condition } from '../../src/load/model.js';
import { loadPlan } from '../../src/load/plan.js';
import { validatePlanVars } from '../../src/load/validate.js';
import { evaluateWhen, guardedPaths, parseCondition } from '../../src/load/when.js';
import { YamlSource } from '../../src/load/yaml.js';
import { Secret, SecretRegistry } from '../../src/core/secret.js';

const testSecrets = new SecretRegistry();
import { fix, hasError, registry } from './load-helpers.js';

function cond(yaml: string, issues = new Issues()): Condition | undefined {
  const src = YamlSource.parse(yaml, 'when.yml', testSecrets);
  return parseCondition(src, src.root, issues);
}

describe('when: {var: path} compares two variables', () => {
  const vars = { a: 5, b: 5, c: 7, s: 'x', list: [1, 5], name: 'relay1', pw: new Secret('hunter2', testSecrets), n: '5' };
  const table: [string, boolean][] = [
    ['a: {eq: {var: b}}', true], ['a: {eq: {var: c}}', false], ['a: {ne: {var: c}}', true], ['a: {ne: {var: b}}', false],
    ['c: {gt: {var: a}}', true], ['a: {gt: {var: c}}', false], ['a: {gte: {var: b}}', true], ['a: {lt: {var: c}}', true],
    ['c: {lte: {var: a}}', false], ['a: {in: {var: list}}', true], ['c: {in: {var: list}}', false], ['c: {not_in: {var: list}}', true],
    ['n: {eq: {var: a}}', true], ['a: {lte: {var: n}}', true],
    ['{b: {defined: true}, a: {eq: {var: b}}}', true],
  ];
  for (const [yaml, want] of table) it(`${yaml} → ${want}`, () => assert.equal(evaluateWhen(cond(yaml)!, vars, testSecrets), want));

  it('an undefined referenced variable is an error naming it and the test; a non-list for in too; secrets stay hidden', () => {
    assert.throws(() => evaluateWhen(cond('a: {eq: {var: nope}}')!, vars, testSecrets), (e: InputError) => /undefined variable 'nope' \(the eq of 'a'/.test(e.message) && e.pos?.line === 1);
    assert.throws(() => evaluateWhen(cond('a: {in: {var: s}}')!, vars, testSecrets), /in expects a list, and 's' \("x"\) is not one/);
    assert.throws(() => evaluateWhen(cond('a: {gt: {var: pw}}')!, vars, testSecrets), (e: Error) => e.message.includes('[redacted]') && !e.message.includes('hunter2'));
  });

  it('bad {var:} forms are load errors with positions; a bare {var:} test gets the eq form as a hint', () => {
    for (const [yaml, text] of [
      ['a: {eq: {var: "no such path!"}}', "{var: ...} expects one variable path"],
      ['a: {gt: {var: b, x: 1}}', "{var: ...} expects one variable path"],
      ['a: {var: b}', "unknown test 'var' for 'a' (expected one of eq, ne, in, not_in, gt, gte, lt, lte, defined, truthy, matches) (to compare with another variable: {a: {eq: {var: b}}})"],
    ]) {
      const issues = new Issues();
      assert.equal(cond(yaml!, issues), undefined);
      assert.ok(issues.list.some((e) => e.message.includes(text!) && e.pos?.line === 1 && e.pos.col !== undefined), `${yaml}: ${issues.list.map((e) => e.describe()).join('; ')}`);
    }
  });
});

describe('guardedPaths: what a condition that held proves defined', () => {
  const g = (...ys: string[]) => [...guardedPaths(ys.map((y) => cond(y)))].sort();
  it('defined: true, truthy, any other test, inside all; not {x: {defined: false}}; every branch of any', () => {
    assert.deepEqual(g('x: {defined: true}'), ['x']);
    assert.deepEqual(g('x.y: {truthy: true}'), ['x.y']);
    assert.deepEqual(g('{all: [{x: {defined: true}}, {y: 3}]}'), ['x', 'y']);
    assert.deepEqual(g('{not: {x: {defined: false}}}'), ['x']);
    assert.deepEqual(g('{any: [{x: {defined: true}, y: 1}, {x: 2}]}'), ['x']);
    assert.deepEqual(g('x: {defined: true}', 'z: 1'), ['x', 'z']);
  });
  it('never: defined: false, not of anything else, one branch of any', () => {
    assert.deepEqual(g('x: {defined: false}'), []);
    assert.deepEqual(g('{not: {x: {defined: true}}}'), []);
    assert.deepEqual(g('{any: [{x: {defined: true}}, {y: 1}]}'), []);
  });
});

describe('validate: defined guards and magic variables', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fp-h17vars-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const inventory = loadInventory(fix('inventory', 'inventory.yml'), testSecrets);
  const opts = { rolesPath: [fix('rolespath')], bundledRolesDir: fix('bundled'), registry, secrets: testSecrets };
  const validate = (name: string, lines: string[], extra = {}) => {
    const file = path.join(dir, `${name}.yml`);
    writeFileSync(file, lines.join('\n') + '\n');
    writeFileSync(path.join(dir, 'guarded.hbs'), 'relay {{ opt.host }}\n');
    return validatePlanVars(loadPlan(file, opts), inventory, extra);
  };

  it('a task guarded by defined (or truthy, or inside all:) may use the variable in arguments, loop and template', () => {
    const errs = validate('guarded', [
      '- hosts: relays',
      '  tasks:',
      '    - command: "echo {{ opt.host }}"',
      '      when: {opt: {defined: true}}',
      '    - command: "echo {{ item }}"',
      '      loop: "{{ opt_list }}"',
      '      when: {all: [{opt_list: {defined: true}}, {opt_list: {truthy: true}}, {facts.os_family: Debian}]}',
      '    - command: "echo {{ flag }}"',
      '      when: {not: {flag: {defined: false}}}',
      '    - template: {src: guarded.hbs, dest: /tmp/x}',
      '      when: {opt.host: {defined: true}}',
    ]);
    assert.deepEqual(errs.map((e) => e.describe()), []);
  });

  it('a play-level when guards its tasks; unguarded, wrongly guarded and one-branch guards still fail', () => {
    assert.deepEqual(validate('play-guard', ['- hosts: relays', '  when: {opt: {defined: true}}', '  tasks:', '    - command: "echo {{ opt }}"']).map((e) => e.describe()), []);
    const errs = validate('unguarded', [
      '- hosts: relays',
      '  tasks:',
      '    - command: "echo {{ opt }}"',
      '    - command: "echo {{ opt2 }}"',
      '      when: {opt2: {defined: false}}',
      '    - command: "echo {{ opt3 }}"',
      '      when: {any: [{opt3: {defined: true}}, {facts.os_family: Debian}]}',
      '    - command: "echo {{ other }}"',
      '      when: {opt: {defined: true}}',
    ]);
    hasError(errs, 'unguarded.yml', 3, 16, "undefined variable 'opt' for hosts relay1, relay2, relay3");
    hasError(errs, 'unguarded.yml', 4, 16, "undefined variable 'opt2'");
    hasError(errs, 'unguarded.yml', 6, 16, "undefined variable 'opt3'");
    hasError(errs, 'unguarded.yml', 8, 16, "undefined variable 'other'");
    assert.equal(errs.length, 4, errs.map((e) => e.describe()).join('\n'));
  });

  it('a role entry\'s when guards the role\'s tasks; the same role unguarded fails', () => {
    mkdirSync(path.join(dir, 'roles', 'noted'), { recursive: true });
    writeFileSync(path.join(dir, 'roles', 'noted', 'tasks.yml'), '- command: "echo {{ opt.note }}"\n');
    const guarded = validate('role-guard', ['- hosts: relays', '  roles:', '    - {role: noted, when: {opt.note: {defined: true}}}']);
    assert.deepEqual(guarded.map((e) => e.describe()), []);
    const errs = validate('role-unguarded', ['- hosts: relays', '  roles:', '    - noted']);
    hasError(errs, 'roles/noted/tasks.yml', 1, 12, "undefined variable 'opt' for hosts relay1, relay2, relay3");
    assert.equal(errs.length, 1, errs.map((e) => e.describe()).join('\n'));
  });

  it('{var: b} in a when is checked like any read; groups, hostvars, play_hosts, inventory_hostname_short and ansible_* facts are known', () => {
    const errs = validate('magic', [
      '- hosts: relays',
      '  tasks:',
      '    - command: "echo {{ join groups.relays \' \' }} {{ hostvars.relay1.relay_port }} {{ join play_hosts }} {{ inventory_hostname_short }}"',
      '    - command: "echo {{ ansible_fqdn }} {{ facts.default_ipv4.address }} {{ ansible_check_mode }} {{ join ansible_play_batch }}"',
      '      when: {relay_port: {eq: {var: nope}}}',
      '    - command: "echo {{ groups.nosuch }} {{ hostvars.nohost.x }} {{ hostvars.relay1.nothing }}"',
    ]);
    hasError(errs, 'magic.yml', 5, 14, "when: undefined variable 'nope'");
    hasError(errs, 'magic.yml', 6, 16, "undefined variable 'groups.nosuch'");
    hasError(errs, 'magic.yml', 6, 16, "undefined variable 'hostvars.nohost'");
    hasError(errs, 'magic.yml', 6, 16, "undefined variable 'hostvars.relay1.nothing'");
    assert.equal(errs.length, 4, errs.map((e) => e.describe()).join('\n'));
  });

  it('gather_facts: false leaves only the core facts (a host no play gathers for has no fqdn)', () => {
    const lines = (gather: string) => ['- hosts: relays', `  gather_facts: ${gather}`, '  tasks:', '    - command: "echo {{ facts.os_family }} {{ facts.fqdn }} {{ ansible_fqdn }}"'];
    assert.deepEqual(validate('gather-true', lines('true')).map((e) => e.describe()), []);
    const errs = validate('gather-false', lines('false'));
    hasError(errs, 'gather-false.yml', 4, 16, "undefined variable 'facts.fqdn'");
    hasError(errs, 'gather-false.yml', 4, 16, "undefined variable 'ansible_fqdn'");
  });
});

describe('run-time magic variables (host-scope.ts)', () => {
  const inventory = loadInventory(fix('inventory', 'inventory.yml'), testSecrets);
  const plan = loadPlan(fix('site', 'site.yml'), { rolesPath: [fix('rolespath')], bundledRolesDir: fix('bundled'), registry, secrets: testSecrets });
  const facts = parseFacts('system=Linux\nhostname=relay1\nos_release.ID=debian\nos_release.VERSION_ID=12\nos_release.VERSION_CODENAME=bookworm\nextended=1\nhosts=127.0.1.1 relay1.example.org relay1\n');

  it('groups has every group with its hosts (children included), all and ungrouped', () => {
    const g = groupsOf(inventory);
    assert.deepEqual(g.relays, ['relay1', 'relay2', 'relay3']);
    assert.deepEqual(g.web, ['relay1', 'web1', 'web2']);
    assert.deepEqual(g.centos, ['relay1', 'relay2']);
    assert.equal(g.all!.length, inventory.hosts.size);
    assert.deepEqual(g.ungrouped, ['bastion']);
  });

  it('a host sees its own facts and Ansible names; another host\'s facts only from the play after the one it started in', () => {
    const run = { plan, inventory, extraVars: {}, limit: 'relays', secrets: testSecrets };
    const shared = new RunVars(run);
    const play = plan.plays[0]!;
    const scope = hostScope(run, 'relay1', { ...facts, check_mode: true }, shared, play)(play);
    assert.equal(scope.inventory_hostname_short, 'relay1');
    assert.equal(scope.ansible_fqdn, 'relay1.example.org');
    assert.equal(scope.ansible_distribution, 'Debian');
    assert.equal(scope.ansible_distribution_release, 'bookworm');
    assert.equal(scope.ansible_check_mode, true);
    assert.ok((scope.play_hosts as string[]).every((h) => ['relay1', 'relay2', 'relay3'].includes(h)));
    const hv = scope.hostvars as Record<string, Record<string, unknown>>;
    assert.equal((hv.relay1!.facts as { fqdn: string }).fqdn, 'relay1.example.org');
    assert.equal(hv.relay3!.level, 'debian');
    assert.deepEqual(Object.keys(hv), [...inventory.hosts.keys()]);
    hostScope(run, 'relay2', facts, shared, play);
    assert.throws(() => hv.relay2!.facts, /hostvars\.relay2\.facts: the facts of host 'relay2' started in this play/);
    assert.throws(() => hv.db1!.ansible_fqdn, /host 'db1' has not run a play of this run before/);
    if (plan.plays.length > 1) {
      const later = hostScope(run, 'relay1', facts, shared, play)(plan.plays[1]!).hostvars as Record<string, Record<string, unknown>>;
      assert.equal((later.relay2!.facts as { hostname: string }).hostname, 'relay1');
    }
  });

  it('hostvars holds what a host registered or set in the plays before this one (its own entry too), not in this one', () => {
    const run = { plan, inventory, extraVars: {}, limit: 'relays', secrets: testSecrets };
    const shared = new RunVars(run);
    const [first, second] = [plan.plays[0]!, plan.plays[1] ?? plan.plays[0]!];
    assert.notEqual(first, second, 'the fixture plan has two plays');
    hostScope(run, 'relay2', facts, shared, first);
    const own = hostScope(run, 'relay1', facts, shared, first);
    shared.played('relay2', first, { record: 'relay2 TXT' });
    shared.played('relay1', first, { record: 'relay1 TXT' });
    const now = own(first).hostvars as Record<string, Record<string, unknown>>;
    assert.equal(now.relay2!.record, undefined, 'set in the same play: not everyone\'s yet');
    assert.equal(now.relay1!.record, undefined);
    const later = own(second).hostvars as Record<string, Record<string, unknown>>;
    assert.equal(later.relay2!.record, 'relay2 TXT');
    assert.equal(later.relay1!.record, 'relay1 TXT');
  });

  it('play_hosts are the play\'s hosts after --limit; ansible_play_batch the host\'s batch as the run gives it', () => {
    const run = { plan, inventory, extraVars: {}, limit: 'relay1,relay3', secrets: testSecrets, batchOf: () => ['relay3'] };
    const play = plan.plays[0]!;
    const scope = hostScope(run, 'relay3', facts, new RunVars(run), play)(play);
    assert.deepEqual([scope.play_hosts, scope.ansible_play_hosts, scope.ansible_play_batch], [['relay1', 'relay3'], ['relay1', 'relay3'], ['relay3']]);
    assert.deepEqual(scope.group_names, ['relays', 'debian']);
  });

  it('another host\'s entry whose variables read facts not yet known fails whole, saying why', () => {
    const run = { plan, inventory, extraVars: {}, secrets: testSecrets };
    const play = { ...plan.plays[0]!, vars: { my_fqdn: '{{facts.fqdn}}' } };
    const scope = hostScope(run, 'relay1', facts, new RunVars(run), play)(play);
    assert.equal(scope.my_fqdn, 'relay1.example.org');
    const hv = scope.hostvars as Record<string, Record<string, unknown>>;
    assert.equal(hv.relay1!.my_fqdn, 'relay1.example.org');
    assert.throws(() => hv.relay2!.level, /^InputError: hostvars\.relay2: .*facts.*; the facts of host 'relay2' has not run a play/);
  });
});
