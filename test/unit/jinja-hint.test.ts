// Jinja written where Handlebars is read: the hint names the Handlebars form, at file:line:col for a
// template file and at the argument for a templated argument.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { SecretRegistry } from '../../src/core/secret.js';
import { jinjaHint } from '../../src/load/jinja-hint.js';
import { renderString, renderTemplateFile, unknownHelperMessage } from '../../src/load/template.js';

describe('Jinja → Handlebars hints', () => {
  it('filters become helpers with the value first, chains nest', () => {
    assert.match(jinjaHint("x {{ relay_port | default(25) }}")!.message, /write \{\{default relay_port 25\}\}/);
    assert.match(jinjaHint("{{ x | default('a', true) | upper }}")!.message, /write \{\{upper \(default x "a" true\)\}\}/);
    assert.match(jinjaHint("{{ hosts | map(attribute='name') | join(',') }}")!.message, /write \{\{join \(map_attr hosts "name"\) ","\}\}/);
    assert.match(jinjaHint('{{ cmd|quote }}')!.message, /write \{\{shquote cmd\}\}/);
    assert.match(jinjaHint('{{ a | combine(b, recursive=True) }}')!.message, /write \{\{combine a b recursive=true\}\}/);
    assert.match(jinjaHint("{{ x['y'] | to_nice_json }}")!.message, /write \{\{to_json x\.y\}\}/);
  });

  it('statements, comments and inline ifs', () => {
    assert.match(jinjaHint('a\n{% if tls %}x{% endif %}')!.message, /^Jinja statement '\{% if tls %\}' is not Handlebars: write \{\{#if tls\}\}…\{\{else\}\}…\{\{\/if\}\}/);
    assert.match(jinjaHint('{% for d in domains %}{{ d }}{% endfor %}')!.message, /write \{\{#each domains as \|d\|\}\}…\{\{d\}\}…\{\{\/each\}\}/);
    assert.match(jinjaHint('{# note #}')!.message, /\{\{!-- … --\}\}/);
    assert.match(jinjaHint("{{ 'smtps' if tls else 'smtp' }}")!.message, /^Jinja expression '\{\{ 'smtps' if tls else 'smtp' \}\}' is not Handlebars: write \{\{ternary tls "smtps" "smtp"\}\}/);
    assert.equal(jinjaHint('a\n{% if tls %}')!.offset, 2);
  });

  it('the first construct in the text, whichever kind; sub-expressions, concatenation, subscripts, comparisons', () => {
    assert.equal(jinjaHint('a {# c #} {% if x %}')!.offset, 2);
    assert.equal(jinjaHint('{{ x | int }} {% if x %}')!.offset, 0);
    assert.match(jinjaHint('{{ a ~ (b | default("x")) }}')!.message, /write \{\{concat a \(default b "x"\)\}\}/);
    assert.match(jinjaHint("{{ x['a'][0] }}")!.message, /write \{\{x\.a\.\[0\]\}\}/);
    assert.match(jinjaHint('{% if a != 1 %}')!.message, /write \{\{#if \(ne a 1\)\}\}/);
    assert.match(jinjaHint("{{ lookup('env', 'HOME') }}")!.message, /write \{\{env "HOME"\}\}/);
  });

  it('a filter without a helper, and what no Handlebars expression can say, are named as such', () => {
    assert.match(jinjaHint('{{ x | frobnicate }}')!.message, /no helper for 'frobnicate': compute the value in a variable/);
    assert.match(jinjaHint('{{ a and b }}')!.message, /Handlebars has no and\/or\/in\/is or arithmetic/);
    assert.doesNotMatch(jinjaHint('{{ x | upper }}')!.message, /no helper/);
  });

  it('linear time on texts built to make a scanner backtrack', () => {
    const started = Date.now();
    for (const t of ['{{'.repeat(200_000), '{% '.repeat(200_000), '{#'.repeat(200_000), `{{ x${' '.repeat(390)}}}`.repeat(2000), '{{ a if '.repeat(50) + '}}', `{{ ${'a ~ '.repeat(90)}b }}`]) jinjaHint(t);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  it('Handlebars itself is never taken for Jinja', () => {
    for (const t of ['{{#each l as |x i|}}{{x}}{{/each}}', '{{#if a}}b{{else}}c{{/if}}', '{{default x "a|b"}}', 'plain {text} and 100%', '{{!-- comment --}}', '{{{raw}}}']) {
      assert.equal(jinjaHint(t), undefined, t);
    }
  });

  it('a .hbs template with Jinja fails at its file:line:col; a templated argument at the argument', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-jinja-'));
    const file = path.join(dir, 'main.cf.hbs');
    writeFileSync(file, '# managed\nrelayhost = {{ relay_host | default("mx") }}\n');
    assert.throws(() => renderTemplateFile(file, { relay_host: 'x' }, new SecretRegistry()), (e: unknown) =>
      e instanceof InputError && e.pos!.line === 2 && e.pos!.col === 13 && /write \{\{default relay_host "mx"\}\}/.test(e.message));
    const pos = { file: 'plan.yml', line: 7, col: 14 };
    assert.throws(() => renderString('{% if x %}a{% endif %}', { x: 1 }, new SecretRegistry(), { pos, what: "argument 'content'" }), (e: unknown) =>
      e instanceof InputError && e.pos === pos && /^argument 'content': Jinja statement/.test(e.message));
  });

  it('an unknown helper: did you mean, or the helper a Jinja filter is', () => {
    assert.equal(unknownHelperMessage('joinn'), "unknown helper 'joinn' (did you mean 'join'?)");
    assert.equal(unknownHelperMessage('quote'), "unknown helper 'quote' (Jinja's 'quote' filter is the 'shquote' helper here)");
    assert.equal(unknownHelperMessage('to_nice_json'), "unknown helper 'to_nice_json' (Jinja's 'to_nice_json' filter is the 'to_json' helper here)");
    assert.equal(unknownHelperMessage('frobnicate'), "unknown helper 'frobnicate'");
  });
});
