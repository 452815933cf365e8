import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError, InputErrors } from '../../src/core/errors.js';
import { Secret, SecretRegistry } from '../../src/core/secret.js';
import { YamlSource } from '../../src/load/yaml.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const errorsOf = (text: string): InputError[] => {
  try {
    YamlSource.parse(text, 'x.yml', testSecrets);
  } catch (e) {
    if (e instanceof InputErrors) return e.errors;
    if (e instanceof InputError) return [e];
    throw e;
  }
  return [];
};

describe('yaml', () => {
  it('positions of keys and values by path', () => {
    const src = YamlSource.parse('plays:\n  - tasks:\n      - file: {path: /x}\n', 'x.yml', testSecrets);
    assert.deepEqual(src.keyPos(['plays', 0, 'tasks']), { file: 'x.yml', line: 2, col: 5 });
    assert.deepEqual(src.valuePos(['plays', 0, 'tasks', 0, 'file', 'path']), { file: 'x.yml', line: 3, col: 22 });
    assert.equal(src.valuePos(['plays', 1]), undefined);
  });

  it('merge keys expand, own keys win', () => {
    const src = YamlSource.parse('base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\n', 'x.yml', testSecrets);
    assert.deepEqual(src.entries(src.nodeAt(src.root, ['x'])).map((e) => [e.key, src.value(e.value)]), [['a', 1], ['b', 3]]);
  });

  it('a merge of anything but mappings (or aliases of them, or a list of those) is an error at its value', () => {
    const ok = 'm: &m {a: 1}\nl: &l [*m, {b: 2}]\nx: {<<: *m}\ny: {<<: [*m, {c: 3}]}\nz: {<<: *l}\n';
    assert.deepEqual(errorsOf(ok), []);
    const describe = (text: string) => errorsOf(text).map((e) => e.describe());
    const message = 'YAML: a merge (<<) takes a mapping, an alias of one, or a list of those';
    assert.deepEqual(describe('tasks:\n  - name: x\n    <<: 5\n'), [`x.yml:3:9: ${message}`]);
    assert.deepEqual(describe('s: &s 5\nx:\n  <<: [{a: 1}, *s]\n'), [`x.yml:3:7: ${message}`]);
    // No value: where it would be. Two at once: both.
    assert.deepEqual(describe('x:\n  <<:\ny:\n  <<: [1]\n'), [`x.yml:2:6: ${message}`, `x.yml:4:7: ${message}`]);
    // A quoted '<<' is a plain key to the yaml package, not a merge.
    assert.deepEqual(errorsOf('x: {"<<": 5}\n'), []);
  });

  it('!secret wraps scalars; only scalars; unknown tags and duplicate keys are errors', () => {
    const src = YamlSource.parse('pw: !secret "p@ss w0rd"\n', 'x.yml', testSecrets);
    const pw = (src.value(src.root) as { pw: Secret }).pw;
    assert.ok(pw instanceof Secret);
    assert.equal(testSecrets.redact('login with p@ss w0rd now'), 'login with [redacted] now');
    assert.match(errorsOf('pw: !secret\n  - a\n')[0]!.message, /!secret applies to a scalar/);
    const [tag] = errorsOf('a: 1\nb: !vault x\n');
    assert.deepEqual([tag!.pos?.line, tag!.pos?.col], [2, 4]);
    const [dup] = errorsOf('a: 1\nb: 2\na: 3\n');
    assert.equal(dup!.describe(), "x.yml:3:1: YAML: duplicate key 'a' (first at line 1)");
  });
});

describe('environment tags', () => {
  it('!env and !secret_env read the controller environment at load time; unset is an error at its position', () => {
    process.env.FLEETPLAN_TEST_ENV = 'from-env';
    process.env.FLEETPLAN_TEST_SECRET = 's3cr3t-from-env';
    const src = YamlSource.parse('a: !env FLEETPLAN_TEST_ENV\nb: !secret_env FLEETPLAN_TEST_SECRET\n', 'x.yml', testSecrets);
    const v = src.value(src.root) as { a: string; b: Secret };
    assert.equal(v.a, 'from-env');
    assert.ok(v.b instanceof Secret);
    assert.equal(testSecrets.redact('pw s3cr3t-from-env'), 'pw [redacted]');
    delete process.env.FLEETPLAN_TEST_MISSING;
    const [e] = errorsOf('x: 1\npw: !secret_env FLEETPLAN_TEST_MISSING\n');
    assert.equal(e!.describe(), 'x.yml:2:5: !secret_env: environment variable FLEETPLAN_TEST_MISSING is not set');
  });
});
