// Renders shared between hosts whose inputs are equal (src/load/render-cache.ts): the same text as an
// uncached render for every input, one host's values never in another's output, secrets still tracked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Secret, SecretRegistry } from '../../src/core/secret.js';
import { unknownResult } from '../../src/core/unknown.js';
import { hbs, helperNames, renderString } from '../../src/load/template.js';
import { cacheableTemplate, keyOf } from '../../src/load/render-cache.js';
import { templateRefs } from '../../src/load/template-refs.js';

const cacheable = (text: string) => cacheableTemplate(hbs.parse(text), helperNames());
const key = (text: string, vars: object) => keyOf(vars, templateRefs(hbs.parse(text), helperNames()));

describe('render cache', () => {
  it('renders each host its own values, whatever was rendered before', () => {
    const secrets = new SecretRegistry();
    const text = 'host {{name}} via [{{relay.host}}]:{{relay.port}}{{#each extra}} {{@key}}={{this}}{{/each}}';
    const relay = { host: 'mx.example.org', port: 587 };
    const hosts = ['a', 'b', 'a', 'c', 'b'].map((name, i) => ({ name, relay, extra: i % 2 ? { x: name } : {} }));
    const first = hosts.map((v) => renderString(text, v, secrets));
    const again = hosts.map((v) => renderString(text, v, secrets));
    assert.deepEqual(again, first);
    assert.deepEqual(first, [
      'host a via [mx.example.org]:587',
      'host b via [mx.example.org]:587 x=b',
      'host a via [mx.example.org]:587',
      'host c via [mx.example.org]:587 x=c',
      'host b via [mx.example.org]:587',
    ]);
    // A value of the same text but another type, or a list in another order, is another input.
    assert.equal(renderString('{{#if v}}yes{{else}}no{{/if}} {{v}}', { v: 0 }, secrets), 'no 0');
    assert.equal(renderString('{{#if v}}yes{{else}}no{{/if}} {{v}}', { v: '0' }, secrets), 'yes 0');
    assert.equal(renderString('{{join l ","}}', { l: [1, 2] }, secrets), '1,2');
    assert.equal(renderString('{{join l ","}}', { l: [2, 1] }, secrets), '2,1');
  });

  it('keys by the values a template reads, and by nothing else', () => {
    const text = '{{a.b}}-{{c}}';
    assert.equal(key(text, { a: { b: 1, z: 1 }, c: 'x', other: 1 }), key(text, { a: { b: 1, z: 2 }, c: 'x', other: 2 }));
    assert.notEqual(key(text, { a: { b: 1 }, c: 'x' }), key(text, { a: { b: '1' }, c: 'x' }));
    assert.notEqual(key('{{default s.length 0}}', { s: 'abc' }), key('{{default s.length 0}}', { s: 'abcd' }));
    assert.notEqual(key('{{#if a.b}}1{{/if}}', { a: {} }), key('{{#if a.b}}1{{/if}}', { a: { b: undefined } }));
  });

  it('never keys a secret by its value, a value a dry run cannot know, or hostvars', () => {
    const secrets = new SecretRegistry();
    const pw = new Secret('s3cret-value', secrets);
    const k = key('{{pw}}', { pw });
    assert.ok(k !== undefined && !k.includes('s3cret-value'));
    assert.notEqual(k, key('{{pw}}', { pw: new Secret('s3cret-value', secrets) }));
    assert.equal(key('{{x.y}}', { x: unknownResult('probe') }), undefined);
    assert.equal(key('{{lookup hostvars h}}', { hostvars: {}, h: 'a' }), undefined);
  });

  it('a render that read a secret still taints what asked for it, on every host', () => {
    const secrets = new SecretRegistry();
    const pw = new Secret('hunter2-pw', secrets);
    for (let i = 0; i < 3; i++) {
      const { value, tainted } = secrets.track(() => renderString('user:{{upper pw}}', { pw, i }, secrets));
      assert.equal(value, 'user:HUNTER2-PW');
      assert.equal(tainted, true);
      assert.equal(secrets.redact(String(value)), 'user:[redacted]');
    }
  });

  it('leaves out templates whose output is not a function of the values they name', () => {
    assert.equal(cacheable('{{a}} {{#each l}}{{this}}{{/each}} {{#if x}}{{y}}{{/if}} {{default z "d"}}'), true);
    assert.equal(cacheable('{{password_hash pw}}'), false); // a random salt per call
    assert.equal(cacheable('{{env "HOME"}}'), false);
    assert.equal(cacheable('{{log "x"}}'), false);
    assert.equal(cacheable('{{this}}'), false);
    assert.equal(cacheable('{{@root.a}}'), false);
    assert.equal(cacheable('{{#each l}}{{../a}}{{/each}}'), false);
    assert.equal(cacheable('{{#flag}}{{a}}{{/flag}}'), false); // a section over true keeps the root context
    assert.equal(cacheable('{{"a key"}}'), false);
    assert.equal(cacheable('{{> part}}'), false);
    assert.equal(cacheable('{{nohelper a}}'), false);
  });

  it('password_hash without a salt still gives each host its own hash', () => {
    const secrets = new SecretRegistry();
    const a = renderString('{{password_hash pw}}', { pw: 'x' }, secrets);
    const b = renderString('{{password_hash pw}}', { pw: 'x' }, secrets);
    assert.notEqual(a, b);
  });
});
