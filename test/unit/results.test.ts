// Per-task results, without a host: the loader's keywords (register, until, retries, delay,
// check_mode, failed_when/changed_when conditions, assert's `that`, set_fact names) and their bad
// input at file:line:col; the names validate treats as defined; the evaluator and templates meeting
// a value a dry run cannot know; the conditions over a result; the registered output fields.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Deferred, PENDING, Unknown, unknownResult } from '../../src/core/unknown.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlan } from '../../src/load/plan.js';
import { registeredNames } from '../../src/load/registered.js';
import { renderString } from '../../src/load/template.js';
import { validatePlanVars } from '../../src/load/validate.js';
import { evaluateWhen } from '../../src/load/when.js';
import type { Condition } from '../../src/load/model.js';
import { operations } from '../../src/ops/registry.js';
import { decideChanged, decideFailed, withResult } from '../../src/engine/result-conditions.js';
import { outputFields } from '../../src/engine/register.js';
import { hasError, inputErrors } from './load-helpers.js';
import { SecretRegistry } from '../../src/core/secret.js';

const testSecrets = new SecretRegistry();

const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-results-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function planFile(text: string): string {
  const file = path.join(dir, `plan${++n}.yml`);
  writeFileSync(file, text);
  return file;
}
const load = (text: string) => loadPlan(planFile(text), { rolesPath: [], registry: operations, secrets: testSecrets });
const errorsOf = (text: string) => inputErrors(() => load(text));

const GOOD = `- hosts: all
  tasks:
    - name: probe
      command: cat /etc/hostname
      register: hn
      changed_when: false
      failed_when: {hn.rc: {gt: 1}}
      check_mode: false
    - name: wait
      command: "true"
      register: w
      until: {w.stdout: ready}
      retries: 5
      delay: 0.5
    - name: rules stay rules
      command: "true"
      changed_when: {rc: [0, 2]}
      failed_when: [{w.rc: 3}]
    - set_fact: {short: "{{hn.stdout}}", cacheable: true}
    - name: check
      assert:
        that: [{hn.stdout: {matches: "^deb"}}, {short: {defined: true}}]
        fail_msg: bad
`;

describe('loader: per-task result keywords', () => {
  const plan = load(GOOD);
  const [probe, wait, rules, fact, check] = plan.plays[0]!.tasks;

  it('reads register, failed_when/changed_when conditions, check_mode, until/retries/delay', () => {
    assert.equal(probe!.register, 'hn');
    assert.equal(probe!.changedWhen, false);
    assert.deepEqual(probe!.failedWhen, { condition: { 'hn.rc': { gt: 1 } } });
    assert.equal(probe!.checkMode, false);
    assert.deepEqual(wait!.until, { 'w.stdout': 'ready' });
    assert.equal(wait!.retries, 5);
    assert.equal(wait!.delay, 0.5);
    // A mapping of plain rule names stays the rules form; a list is a condition.
    assert.deepEqual(rules!.changedWhen, { rc: [0, 2] });
    assert.deepEqual(rules!.failedWhen, { condition: { all: [{ 'w.rc': 3 }] } });
  });

  it("reads assert's that as a condition (evaluated, never rendered) and knows the names set at run time", () => {
    assert.equal(check!.op, 'assert');
    assert.deepEqual(check!.args.that, { all: [{ 'hn.stdout': { matches: '^deb' } }, { short: { defined: true } }] });
    assert.equal(fact!.op, 'set_fact');
    assert.deepEqual([...registeredNames(plan)].sort(), ['hn', 'short', 'w']);
  });

  it("a play importing a role's tasks_from file defines what that file registers, not what the role's main tasks do", async () => {
    const { mkdirSync } = await import('node:fs');
    const { playRegisteredNames } = await import('../../src/load/registered.js');
    const roles = path.join(dir, `roles-${++n}`);
    mkdirSync(path.join(roles, 'r', 'tasks'), { recursive: true });
    writeFileSync(path.join(roles, 'r', 'tasks.yml'), '- command: issue\n  register: issued\n- set_fact: {chain: x}\n');
    writeFileSync(path.join(roles, 'r', 'tasks', 'install.yml'), '- command: install\n  register: installed\n');
    const file = planFile(`- hosts: all
  roles: [r]
- hosts: all
  post_tasks:
    - import_role: {name: r, tasks_from: install}
- hosts: all
  tasks:
    - include_role: {name: r}
`);
    const plan = loadPlan(file, { rolesPath: [roles], registry: operations, secrets: testSecrets });
    assert.deepEqual(plan.plays.map((p) => [...playRegisteredNames(p)].sort()), [['chain', 'issued'], ['installed'], ['chain', 'issued']]);
  });

  it('validate treats registered and set_fact names as defined', () => {
    const inv = path.join(dir, 'inventory.yml');
    writeFileSync(inv, 'all:\n  hosts:\n    h1: { ssh_host: 127.0.0.1 }\n');
    const file = planFile(`- hosts: all
  tasks:
    - command: cat /etc/hostname
      register: hn
    - set_fact: {short: "{{hn.stdout}}"}
    - file: {path: "/tmp/{{short}}", content: "{{hn.stdout}} {{undefined_one}}"}
      when: {hn.rc: 0}
`);
    const errors = validatePlanVars(loadPlan(file, { rolesPath: [], registry: operations, secrets: testSecrets }), loadInventory(inv, testSecrets), {});
    assert.deepEqual(errors.map((e) => e.message), ["argument 'content': undefined variable 'undefined_one' for host h1"]);
  });
});

describe('loader: bad per-task result keywords, at file:line:col', () => {
  it('register with a bad or reserved name', () => {
    hasError(errorsOf('- hosts: all\n  tasks:\n    - command: "true"\n      register: 1out\n'), '.yml', 4, 17, 'register: expected a variable name');
    hasError(errorsOf('- hosts: all\n  tasks:\n    - command: "true"\n      register: facts\n'), '.yml', 4, 17, 'other than facts');
  });

  it('until without register, retries without until, retries not a number', () => {
    hasError(errorsOf('- hosts: all\n  tasks:\n    - command: "true"\n      until: {x.rc: 0}\n'), '.yml', 4, 7, 'until: only makes sense with register:');
    hasError(errorsOf('- hosts: all\n  tasks:\n    - command: "true"\n      retries: 2\n'), '.yml', 4, 7, 'retries: only makes sense with until:');
    const errors = errorsOf('- hosts: all\n  tasks:\n    - command: "true"\n      register: o\n      until: {o.rc: 0}\n      retries: three\n');
    hasError(errors, '.yml', 6, 16, 'retries: expected a whole number from 0 to 1000');
  });

  it('failed_when: a misspelled rule, a bad condition; check_mode not a boolean', () => {
    hasError(errorsOf('- hosts: all\n  tasks:\n    - command: "true"\n      failed_when: {exit: 1}\n'), '.yml', 4, 21, "failed_when: unknown key 'exit'");
    hasError(errorsOf('- hosts: all\n  tasks:\n    - command: "true"\n      register: o\n      failed_when: {o.rc: {bigger: 1}}\n'), '.yml', 5, 28, "unknown test 'bigger'");
    hasError(errorsOf('- hosts: all\n  tasks:\n    - command: "true"\n      check_mode: maybe\n'), '.yml', 4, 19, 'check_mode: expected true or false');
  });

  it("assert's that: an expression string, a bad test; set_fact with a bad name", () => {
    hasError(errorsOf('- hosts: all\n  tasks:\n    - assert:\n        that: {x: {bigger: 1}}\n'), '.yml', 4, 20, "unknown test 'bigger'");
    const expr = errorsOf('- hosts: all\n  tasks:\n    - assert:\n        that: "x is defined"\n');
    assert.ok(expr.some((e) => e.pos?.line === 4 && /that/.test(e.message)), expr.map((e) => e.describe()).join('\n'));
    hasError(errorsOf('- hosts: all\n  tasks:\n    - set_fact: {"bad-name": 1}\n'), '.yml', 3, 30, "'bad-name' is not a variable name");
  });
});

describe('a value a dry run cannot know', () => {
  const vars = { out: { changed: true, rc: new Unknown('probe'), stdout: new Unknown('probe') }, whole: unknownResult('deferred task'), n: 1 };

  const deferredOn = (fn: () => unknown, task: string) =>
    assert.throws(fn, (err: unknown) => err instanceof Deferred && err.dependsOn === task && err.message === `deferred: depends on '${task}'`);

  it('conditions reading it throw Deferred naming the task; known parts stay usable', () => {
    deferredOn(() => evaluateWhen({ 'out.rc': 0 } as Condition, vars, testSecrets), 'probe');
    deferredOn(() => evaluateWhen({ 'out.stdout': { matches: 'x' } } as Condition, vars, testSecrets), 'probe');
    deferredOn(() => evaluateWhen({ 'whole.stat.exists': true } as Condition, vars, testSecrets), 'deferred task');
    assert.equal(evaluateWhen({ 'out.changed': true } as Condition, vars, testSecrets), true);
    assert.equal(evaluateWhen({ 'out.rc': { defined: true } } as Condition, vars, testSecrets), true);
    // any: a known branch that holds decides without reading the unknown one.
    assert.equal(evaluateWhen({ any: [{ n: 1 }, { 'out.rc': 0 }] } as Condition, vars, testSecrets), true);
  });

  it('defined: on a name the play sets later (pending) is decided when the task runs, not before', () => {
    const pending = { later: unknownResult(PENDING) };
    for (const defined of [true, false]) {
      assert.throws(() => evaluateWhen({ later: { defined } } as Condition, pending, testSecrets), (err: unknown) => err instanceof Deferred && err.dependsOn === PENDING);
    }
  });

  it('templates reading it throw Deferred: a whole value, inside text, in a helper, in a block', () => {
    deferredOn(() => renderString('{{out.stdout}}', vars, testSecrets), 'probe');
    deferredOn(() => renderString('rc={{out.rc}}!', vars, testSecrets), 'probe');
    deferredOn(() => renderString('{{default out.stdout "x"}}', vars, testSecrets), 'probe');
    deferredOn(() => renderString('{{#if out.stdout}}yes{{/if}}', vars, testSecrets), 'probe');
    deferredOn(() => renderString('{{whole.stat.path}}', vars, testSecrets), 'deferred task');
    assert.equal(renderString('{{#if out.changed}}yes{{/if}}', vars, testSecrets), 'yes');
  });
});

describe('conditions over a result', () => {
  const ran = { exitCode: 3, stdout: 'three\n', stderr: '' };
  const result = (rc: number) => () => withResult({}, 'out', { rc, changed: true });

  it('failed_when decides alone when given: rules, conditions, booleans', () => {
    assert.equal(decideFailed(undefined, ran, 'exited 3', testSecrets, result(3)), 'exited 3');
    assert.equal(decideFailed({ condition: { 'out.rc': { gt: 3 } } as Condition }, ran, 'exited 3', testSecrets, result(3)), undefined);
    assert.match(decideFailed({ condition: { 'out.rc': { gt: 1 } } as Condition }, ran, undefined, testSecrets, result(3))!, /failed_when holds/);
    assert.match(decideFailed({ stdout_contains: 'three' }, ran, undefined, testSecrets, result(3))!, /exit 3/);
    assert.equal(decideFailed(false, ran, 'exited 3', testSecrets, result(3)), undefined);
  });

  it('changed_when: rules read the output, a condition the registered result', () => {
    assert.equal(decideChanged({ rc: [0, 3] }, ran, false, testSecrets), true);
    assert.equal(decideChanged({ stdout_not_contains: 'three' }, ran, true, testSecrets), false);
    assert.equal(decideChanged({ condition: { 'out.rc': 0 } as Condition }, ran, true, testSecrets, result(3)), false);
    assert.equal(decideChanged(undefined, ran, true, testSecrets), true);
  });

  it('registered output: final newline stripped, lines split, as Ansible', () => {
    assert.deepEqual(outputFields({ exitCode: 0, stdout: 'a\nb\n', stderr: '' }), { rc: 0, stdout: 'a\nb', stderr: '', stdout_lines: ['a', 'b'], stderr_lines: [] });
  });
});
