// Typed arguments accept rendered values: Ansible's truthy strings for booleans, numeric strings for
// numbers; a variable known before any host is contacted that is neither fails validation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coerceTyped, typedRefProblem, typedTemplateProblem } from '../../src/load/args.js';
import { operations } from '../../src/ops/registry.js';

const service = operations.get('service')!;
const group = operations.get('group')!;

describe('typed arguments', () => {
  it('rendered booleans and numbers become the type the operation expects', () => {
    for (const [s, b] of [['yes', true], ['no', false], ['True', true], ['false', false], ['1', true], ['0', false], ['on', true], ['off', false]] as const) {
      assert.deepEqual(coerceTyped(service.schema, { name: 'postfix', enabled: s }), { name: 'postfix', enabled: b }, s);
      assert.equal(service.schema.safeParse(coerceTyped(service.schema, { name: 'postfix', enabled: s })).success, true);
    }
    assert.deepEqual(coerceTyped(group.schema, { name: 'mail', gid: '1200' }), { name: 'mail', gid: 1200 });
    // Strings where strings are expected stay strings ("1" as a name), and a non-boolean stays for the schema to reject.
    assert.deepEqual(coerceTyped(service.schema, { name: '1', enabled: 'maybe' }), { name: '1', enabled: 'maybe' });
    assert.equal(service.schema.safeParse(coerceTyped(service.schema, { name: 'x', enabled: 'maybe' })).success, false);
  });

  it('validate: a variable known beforehand that is not the type is reported, naming the variable', () => {
    assert.equal(typedRefProblem(service, 'enabled', '{{start}}', { start: 'maybe' }), "expected a boolean (yes/no, true/false, on/off, 1/0), got string \"maybe\" (from variable 'start')");
    assert.equal(typedRefProblem(group, 'gid', '{{ ids.mail }}', { ids: { mail: 'twelve' } }), "expected a number, got string \"twelve\" (from variable 'ids.mail')");
    assert.equal(typedRefProblem(service, 'enabled', '{{start}}', { start: 'no' }), undefined);
    assert.equal(typedRefProblem(service, 'enabled', '{{start}}', { start: '{{other}}' }), undefined, 'a derived value renders later');
    assert.equal(typedRefProblem(service, 'enabled', '{{facts.x}}', { facts: Symbol('opaque') }), undefined, 'facts are known only on the host');
    assert.equal(typedRefProblem(service, 'name', '{{start}}', { start: 'maybe' }), undefined, 'a string argument');
  });

  it('validate: a template over known variables is rendered and checked; facts, items and derived values are left to run time', () => {
    const none = new Set<string>();
    assert.equal(typedTemplateProblem(service, 'enabled', '{{#if tls}}yes{{else}}no{{/if}}', { tls: true }, none), undefined);
    assert.equal(typedTemplateProblem(service, 'enabled', '{{bool start}}', { start: 'on' }, none), undefined);
    assert.equal(typedTemplateProblem(service, 'enabled', '{{#if tls}}sometimes{{/if}}', { tls: true }, none), 'expected a boolean (yes/no, true/false, on/off, 1/0), got string "sometimes"');
    assert.equal(typedTemplateProblem(group, 'gid', '{{int base}}0', { base: '12' }, none), undefined);
    assert.equal(typedTemplateProblem(group, 'gid', 'g{{base}}', { base: '12' }, none), 'expected a number, got string "g12"');
    assert.equal(typedTemplateProblem(service, 'enabled', '{{#if facts.x}}maybe{{/if}}', { facts: Symbol('opaque') }, none), undefined, 'facts');
    assert.equal(typedTemplateProblem(service, 'enabled', '{{#if item}}maybe{{/if}}', {}, new Set(['item'])), undefined, 'a loop item');
    assert.equal(typedTemplateProblem(service, 'enabled', '{{#if d}}maybe{{/if}}', { d: '{{other}}' }, none), undefined, 'a derived variable');
    assert.equal(typedTemplateProblem(service, 'enabled', '{{start}}', { start: 'maybe' }, none), "expected a boolean (yes/no, true/false, on/off, 1/0), got string \"maybe\" (from variable 'start')");
  });
});
