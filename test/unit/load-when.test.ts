import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { Issues } from '../../src/load/issues.js';
import type { Condition } from '../../src/load/model.js';
import { Secret, SecretRegistry } from '../../src/core/secret.js';
import { evaluateWhen, parseCondition } from '../../src/load/when.js';
import { YamlSource } from '../../src/load/yaml.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const vars = {
  facts: { os_family: 'Debian', distribution: 'debian', distribution_major: 12 },
  relay: { enabled: true, port: 587, hosts: [] as string[] },
  name: 'web1',
  token: new Secret('s3cret', testSecrets),
  empty: '',
  nothing: null,
};

/** Parse a YAML condition as the loader does (so the shape checks apply too). */
function cond(yaml: string): Condition {
  const src = YamlSource.parse(yaml, 'when.yml', testSecrets);
  const issues = new Issues();
  const c = parseCondition(src, src.root, issues);
  assert.equal(issues.list.length, 0, issues.list.map((e) => e.describe()).join('\n'));
  return c!;
}
const ev = (yaml: string) => evaluateWhen(cond(yaml), vars, testSecrets);

describe('evaluateWhen truth table', () => {
  const table: [string, boolean][] = [
    ['facts.os_family: Debian', true],
    ['facts.os_family: RedHat', false],
    ['facts.os_family: [RedHat, Debian]', true],
    ['facts.os_family: [RedHat, FreeBSD]', false],
    ['facts.distribution_major: 12', true],
    ['facts.distribution_major: "12"', true],
    ['{facts.os_family: Debian, relay.enabled: false}', false],
    ['{facts.os_family: Debian, relay.enabled: true}', true],
    ['relay.port: {gte: 587, lt: 600}', true],
    ['relay.port: {gt: 587}', false],
    ['relay.port: {lte: 587}', true],
    ['relay.port: {ne: 25}', true],
    ['relay.port: {eq: 25}', false],
    ['relay.port: {in: [25, 587]}', true],
    ['relay.port: {not_in: [25, 587]}', false],
    ['relay.missing: {defined: false}', true],
    ['relay.missing: {defined: true}', false],
    ['relay.port: {defined: true}', true],
    ['relay.port: {defined: false}', false],
    ['nothing: {defined: true}', true],
    ['relay.hosts: {truthy: false}', true],
    ['empty: {truthy: true}', false],
    ['name: {matches: "^web[0-9]+$"}', true],
    ['name: {matches: "^db"}', false],
    ['token: s3cret', true],
    ['all: [{name: web1}, {relay.enabled: true}]', true],
    ['all: [{name: web1}, {relay.enabled: false}]', false],
    ['any: [{name: db1}, {relay.enabled: true}]', true],
    ['any: [{name: db1}, {relay.enabled: false}]', false],
    ['not: {name: db1}', true],
    ['not: {name: web1}', false],
    ['[{name: web1}, {facts.os_family: Debian}]', true],
    ['[{name: web1}, {facts.os_family: FreeBSD}]', false],
    ['{any: [{relay.missing: {defined: true}}, {name: web1}], not: {relay.port: 25}}', true],
  ];
  for (const [yaml, want] of table) it(`${yaml} → ${want}`, () => assert.equal(ev(yaml), want));

  it('an undefined variable is an error naming it (with the when key position)', () => {
    assert.throws(() => ev('\n  relay.missing: 1'), (e: unknown) =>
      e instanceof InputError && /undefined variable 'relay.missing'/.test(e.message) && e.pos?.line === 2 && e.pos.col === 3);
  });
  it('comparing a string with a number is an error', () => {
    assert.throws(() => ev('name: {gt: 3}'), /cannot compare 'name'/);
  });
});
