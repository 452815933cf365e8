// A task's conditions and checked arguments decided once per set of equal inputs (src/engine/task-input.ts):
// shared only between hosts whose values at what the task reads are equal, never a secret by value, a
// value a dry run cannot know, hostvars or an impure helper; each host gets containers of its own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { taskInput, type TaskInput } from '../../src/engine/task-input.js';
import { Secret, SecretRegistry } from '../../src/core/secret.js';
import { unknownResult } from '../../src/core/unknown.js';
import type { Condition, Play, TaskDef, Vars } from '../../src/load/model.js';
import { renderArgs } from '../../src/load/template.js';
import { evaluateWhen } from '../../src/load/when.js';
import type { Operation } from '../../src/ops/operation.js';

const play = { name: 'p', environment: { LANG: '{{lang}}' } } as unknown as Play;
const op = { envArg: 'environment' } as unknown as Operation;

/** A task definition and a host-side `decide` counting its calls, as prepare.ts's (when, then arguments). */
function task(args: Record<string, unknown>, when?: Condition) {
  const def = { name: 't', args, argPos: {}, when } as unknown as TaskDef;
  const counter = { calls: 0 };
  const input = (vars: Vars, secrets: SecretRegistry): TaskInput =>
    taskInput(play, def, undefined, op, vars, secrets, () => {
      counter.calls++;
      if (when && !evaluateWhen(when, vars, secrets)) return { holds: false };
      return { holds: true, data: renderArgs({ args: { ...args, environment: play.environment }, argPos: {}, pos: { file: "p.yml" } }, vars, secrets) };
    });
  return { input, counter };
}

test('hosts whose values at what the task reads are equal share one decision; others get their own', () => {
  const secrets = new SecretRegistry();
  const { input, counter } = task({ path: '{{dir}}/main.cf', lines: ['{{a}}', 'x'] }, { enabled: true } as Condition);
  const host = (name: string, dir: string) => ({ inventory_hostname: name, dir, a: 1, lang: 'C', enabled: true, other: name });
  const a = input(host('a', '/etc'), secrets);
  const b = input(host('b', '/etc'), secrets);
  const c = input(host('c', '/usr/etc'), secrets);
  assert.equal(counter.calls, 2, 'b shares a\'s decision; c reads another dir');
  assert.deepEqual(a, { holds: true, data: { path: '/etc/main.cf', lines: [1, 'x'], environment: { LANG: 'C' } } });
  assert.deepEqual(b, a);
  assert.equal((c as { data: { path: string } }).data.path, '/usr/etc/main.cf');
  assert.notEqual((a as { data: object }).data, (b as { data: object }).data, 'containers of its own');
  assert.notEqual((a as { data: { lines: unknown[] } }).data.lines, (b as { data: { lines: unknown[] } }).data.lines);
  assert.deepEqual(input({ ...host('d', '/etc'), enabled: false }, secrets), { holds: false });
  assert.equal(counter.calls, 3, 'the condition reads enabled');
  assert.equal(task({ path: '{{dir}}' }).input(host('e', '/etc'), new SecretRegistry()).holds, true);
});

test('never shared: a secret by value, a value a dry run cannot know, hostvars, an impure helper, an error', () => {
  const secrets = new SecretRegistry();
  const { input, counter } = task({ password: '{{pw}}' });
  input({ pw: new Secret('s3cret', secrets), lang: 'C' }, secrets);
  input({ pw: new Secret('s3cret', secrets), lang: 'C' }, secrets);
  assert.equal(counter.calls, 2, 'two secrets of the same value are two inputs');
  const same = new Secret('s3cret', secrets);
  input({ pw: same, lang: 'C' }, secrets);
  const { tainted } = secrets.track(() => input({ pw: same, lang: 'C' }, secrets));
  assert.equal(counter.calls, 3, 'the same secret object is one input');
  assert.equal(tainted, true, 'a shared decision that read a secret taints its asker');

  const unknown = task({ x: '{{r.stdout}}' });
  for (let i = 0; i < 2; i++) assert.throws(() => unknown.input({ r: unknownResult('probe'), lang: 'C' }, secrets));
  assert.equal(unknown.counter.calls, 2);
  for (const args of [{ x: '{{hostvars.a.dir}}' }, { x: '{{password_hash pw "sha512"}}' }]) {
    const t = task(args);
    const vars = { hostvars: { a: { dir: '/etc' } }, pw: 'p', lang: 'C' };
    t.input(vars, secrets);
    t.input(vars, secrets);
    assert.equal(t.counter.calls, 2, JSON.stringify(args));
  }
  const failing = task({ x: '{{missing}}' });
  for (let i = 0; i < 2; i++) assert.throws(() => failing.input({ lang: 'C' }, secrets), /missing/);
  assert.equal(failing.counter.calls, 2, 'an error is never kept');
});
