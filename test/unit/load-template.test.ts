import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import type { TaskDef } from '../../src/load/model.js';
import { Secret, SecretRegistry } from '../../src/core/secret.js';
import { renderArgs, renderString, renderTemplateFile } from '../../src/load/template.js';
import { fix } from './load-helpers.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const render = (text: string, vars: Record<string, unknown>) => renderString(text, vars, testSecrets);

describe('templates', () => {
  it('{{log}} writes to stderr, never to stdout (where --json goes)', () => {
    const out: string[] = [];
    const err: string[] = [];
    const [o, e] = [process.stdout.write, console.error];
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    console.error = (...m: unknown[]) => void err.push(m.join(' '));
    try {
      assert.equal(renderString('a{{log "from the template"}}b', {}, testSecrets), 'ab');
    } finally {
      process.stdout.write = o;
      console.error = e;
    }
    assert.deepEqual(out, []);
    assert.deepEqual(err, ['from the template']);
  });

  it('strict: an undefined variable names the template file, line, column and variable', () => {
    const file = fix('bad', 'roles', 'ok', 'templates', 'ok.conf.hbs');
    assert.throws(() => renderTemplateFile(file, { relay_port: 25 }, testSecrets), (e: unknown) =>
      e instanceof InputError && e.pos!.file.endsWith('ok.conf.hbs') && e.pos!.line === 3 && e.pos!.col === 11 &&
      e.message === "undefined variable 'relay_hots'" && /ok\.conf\.hbs:3:11: undefined variable 'relay_hots'$/.test(e.describe()));
    assert.equal(renderTemplateFile(file, { relay_port: 25, relay_hots: 'mx', deb_only: 1, list: [1, 2] }, testSecrets), '# managed\nport = 25\nhost = mx\ndeb = 1\n12\n');
  });

  it('strict: nested paths name the full missing path; null renders empty', () => {
    assert.throws(() => render('x {{relay.host}}', { relay: {} }), /undefined variable 'relay.host'/);
    assert.throws(() => render('x {{default a.b "y"}}', {}), /undefined variable 'a'/);
    assert.equal(render('x{{n}}', { n: null }), 'x');
  });

  it('no HTML escaping; helpers default, join, eq/ne, upper/lower, indent; each/if as usual', () => {
    assert.equal(render('{{x}}', { x: '<a & "b">' }), '<a & "b">');
    assert.equal(render('{{default missing "fb"}} {{default set "fb"}}', { set: 'v' }), 'fb v');
    assert.equal(render('{{join l ":"}}|{{join l}}', { l: ['a', 'b'] }), 'a:b|a, b');
    assert.equal(render('{{#if (eq a "x")}}yes{{else}}no{{/if}}{{#if (ne a "x")}}!{{/if}}', { a: 'x' }), 'yes');
    assert.equal(render('{{upper a}}{{lower b}}', { a: 'ab', b: 'CD' }), 'ABcd');
    assert.equal(render('k:\n  {{indent t 2}}', { t: 'a\nb\n\nc' }), 'k:\n  a\n  b\n\n  c');
    assert.equal(render('{{indent t 4 first=true}}', { t: 'a\nb' }), '    a\n    b');
    assert.equal(render('{{#each s}}{{name}}={{../p}};{{/each}}{{#if nope}}x{{/if}}', { s: [{ name: 'a' }, { name: 'b' }], p: 1 }), 'a=1;b=1;');
  });

  it('a string that is one reference keeps the value type; strings without {{ are untouched', () => {
    assert.deepEqual(render('{{ ports }}', { ports: [25, 587] }), [25, 587]);
    assert.equal(render('{{port}}', { port: 25 }), 25);
    assert.equal(render('{{port}}/tcp', { port: 25 }), '25/tcp');
    assert.equal(render('plain {x}', {}), 'plain {x}');
  });

  it('one helper call yields its list or mapping (loop: "{{dict2items d}}"); a scalar result renders as text', () => {
    assert.deepEqual(render('{{dict2items d}}', { d: { a: '1', b: '2' } }), [{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
    assert.deepEqual(render('{{ dict2items (combine d e) }}', { d: { a: '1' }, e: { b: '2' } }), [{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
    assert.deepEqual(render('{{split s ","}}', { s: 'x,y' }), ['x', 'y']);
    assert.deepEqual(render('{{combine d e}}', { d: { a: 1 }, e: { a: 2 } }), { a: 2 });
    assert.equal(render('{{join l ","}}', { l: ['x', 'y'] }), 'x,y');
    assert.equal(render('{{length l}}', { l: ['x', 'y'] }), '2');
    assert.equal(render('n={{split s ","}}', { s: 'x,y' }), 'n=x,y');
  });

  it("{{#unless (helper …)}} inside {{#each}}: Handlebars' unless calls if without the render's data, and that is fine", () => {
    assert.equal(render('{{#each l}}{{#unless (eq this ../x)}}{{this}}{{/unless}}{{/each}}', { l: ['a', 'b'], x: 'a' }), 'b');
  });

  it('secrets render as their value', () => {
    assert.equal(render('pw={{pw}}', { pw: new Secret('abc123', testSecrets) }), 'pw=abc123');
    assert.ok(testSecrets.values().has('abc123'));
  });

  it('renderArgs renders deeply; errors point at the argument in the plan file', () => {
    const task = {
      args: { path: '/etc/{{name}}', env: { A: '{{a}}', L: ['{{name}}-x'] }, n: 3 },
      argPos: { path: { file: 'plans/site.yml', line: 12, col: 15 }, env: { file: 'plans/site.yml', line: 13, col: 14 } },
      pos: { file: 'plans/site.yml', line: 10, col: 7 },
    } satisfies Pick<TaskDef, 'args' | 'argPos' | 'pos'>;
    assert.deepEqual(renderArgs(task, { name: 'motd', a: 1 }, testSecrets), { path: '/etc/motd', env: { A: 1, L: ['motd-x'] }, n: 3 });
    assert.throws(() => renderArgs(task, { name: 'motd' }, testSecrets), (e: unknown) =>
      e instanceof InputError && e.describe() === "plans/site.yml:13:14: argument 'env': undefined variable 'a'");
  });

  it('template syntax errors and unknown helpers are input errors with a line', () => {
    assert.throws(() => render('a\n{{#if x}}b', {}), (e: unknown) => e instanceof InputError && /template syntax error/.test(e.message) && /line 2 of the value/.test(e.message));
    assert.throws(() => render('{{frobnicate x}}', { x: 1 }), /unknown helper 'frobnicate'/);
  });

  it('compiled files are cached by path and mtime', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-tpl-'));
    const file = path.join(dir, 't.hbs');
    writeFileSync(file, 'one {{x}}');
    utimesSync(file, 1000, 1000);
    assert.equal(renderTemplateFile(file, { x: 1 }, testSecrets), 'one 1');
    writeFileSync(file, 'two {{x}}');
    utimesSync(file, 1000, 1000);
    writeFileSync(file, 'two {{x}}'); // same size as before; the mtime below tells the change
    utimesSync(file, 2000, 2000);
    assert.equal(renderTemplateFile(file, { x: 1 }, testSecrets), 'two 1');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('unless (Handlebars calls if without the render data)', () => {
  it('renders at the top level, with a helper subexpression, and inside each', () => {
    assert.equal(renderString('{{#unless x}}n{{else}}y{{/unless}}', { x: 'a' }, testSecrets), 'y');
    assert.equal(renderString('{{#unless (eq x "b")}}n{{/unless}}', { x: 'a' }, testSecrets), 'n');
    assert.equal(renderString('{{#each list}}{{#unless (eq this ../x)}}{{this}}{{/unless}}{{/each}}', { list: ['a', 'b', 'c'], x: 'b' }, testSecrets), 'ac');
  });

  it('a secret tested by unless still taints what the block renders', () => {
    const s = new SecretRegistry();
    const out = renderString('{{#unless off}}{{pw}}{{/unless}}', { off: false, pw: new Secret('unless-s3cret', s) }, s);
    assert.equal(s.redact(String(out)), '[redacted]');
  });
});
