// resolveVars renders the templates inside lists and mappings, and leaves the ones holding none as
// they are (the same object in every scope: a host's facts, the groups).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SecretRegistry } from '../../src/core/secret.js';
import { resolveVars } from '../../src/load/resolve-vars.js';

test('templates deep inside lists and mappings are rendered; a template-free list or mapping is the same object', () => {
  const facts = { os: { family: 'debian', release: '12' }, addresses: ['127.0.0.1', '::1'] };
  const groups = { relays: ['r1', 'r2'] };
  const vars = {
    relay_host: 'smtp.example.org',
    facts,
    groups,
    nested: { keep: ['plain', { deep: 'x' }], render: [{ at: '[{{relay_host}}]:587' }] },
  };
  const secrets = new SecretRegistry();
  const a = resolveVars(vars, secrets);
  const b = resolveVars({ ...vars, relay_host: 'smtp.example.net' }, secrets);
  assert.equal(a.facts, facts);
  assert.equal(b.groups, groups);
  assert.deepEqual(a.nested, { keep: ['plain', { deep: 'x' }], render: [{ at: '[smtp.example.org]:587' }] });
  assert.deepEqual(b.nested, { keep: ['plain', { deep: 'x' }], render: [{ at: '[smtp.example.net]:587' }] });
  assert.notEqual(a.nested, vars.nested, 'a mapping holding a template is a new mapping');
  assert.equal((a.nested as { keep: unknown }).keep, vars.nested.keep, 'its template-free parts are kept as they are');
  assert.deepEqual(vars.nested.render, [{ at: '[{{relay_host}}]:587' }], 'the layer itself is not rendered in place');
});
