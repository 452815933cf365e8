// The host's `become` variable means the same to the engine as to the connector: YAML 1.2 reads
// `become: no` as the string "no", which must not turn sudo on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildAddress } from '../../src/connectors/address.js';
import { InputError } from '../../src/core/errors.js';
import { hostBecome } from '../../src/engine/prepare.js';
import { YamlSource } from '../../src/load/yaml.js';
import { SecretRegistry } from '../../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

test('become: booleans, yes/no/true/false strings (any case), ansible_become, unset', () => {
  assert.equal(hostBecome({}), false);
  assert.equal(hostBecome({ become: true }), true);
  assert.equal(hostBecome({ become: 'no' }), false);
  assert.equal(hostBecome({ become: 'Yes' }), true);
  assert.equal(hostBecome({ ansible_become: 'FALSE' }), false);
  assert.equal(hostBecome({ ansible_become: 'true' }), true);
  // fleetplan's name wins over the Ansible spelling, as for every connection variable.
  assert.equal(hostBecome({ become: false, ansible_become: true }), false);
});

test('become: what an inventory says in YAML reaches the engine and the connector alike', () => {
  const src = YamlSource.parse('become: no\n', 'inventory.yml', testSecrets);
  const vars = src.value(src.root) as Record<string, unknown>;
  assert.equal(vars.become, 'no', 'YAML 1.2 keeps no a string');
  assert.equal(hostBecome(vars), false);
  assert.equal(buildAddress('h1', vars, { inventoryDir: '/tmp' }).become.enabled, false);
});

test('become: anything else is an input error naming the variable, host and task', () => {
  assert.throws(
    () => hostBecome({ become: 'maybe' }, { host: 'web1', task: 'install' }),
    (err: unknown) => err instanceof InputError && /host web1, task 'install': become must be true or false, got "maybe"/.test(err.describe()),
  );
});
