// Every template helper (src/load/helpers/): results, Ansible's semantics where they differ from the
// obvious, edge cases (undefined, wrong types → an error naming the helper) and secret taint.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { Secret, SecretRegistry } from '../../src/core/secret.js';
import { HELPERS } from '../../src/load/helpers/index.js';
import { renderArgs, renderString, renderTemplateFile } from '../../src/load/template.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh registry per test that looks at what was registered. */
const fresh = () => new SecretRegistry();
const render = (text: string, vars: Record<string, unknown> = {}, secrets = fresh()) => renderString(text, vars, secrets);
/** The error message of a render that must fail. */
function failure(text: string, vars: Record<string, unknown> = {}): string {
  try {
    render(text, vars);
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`'${text}' rendered`);
}

describe('helpers: values', () => {
  it('default: undefined and null take the fallback; the "also when empty" form as default(x, true)', () => {
    assert.equal(render('{{default x "fb"}}'), 'fb');
    assert.equal(render('{{default x "fb"}}', { x: null }), 'fb');
    assert.equal(render('{{default x "fb"}}', { x: '' }), '');
    assert.equal(render('{{default x "fb"}}', { x: false }), 'false');
    for (const empty of ['', 0, false, [], {}]) assert.equal(render('{{default x "fb" true}}', { x: empty }), 'fb', JSON.stringify(empty));
    assert.equal(render('{{default x "fb" true}}', { x: 'set' }), 'set');
    assert.equal(render('{{default a.b 25}}', { a: {} }), '25');
  });

  it('bool reads Ansible truthy strings; anything else is an error naming the helper', () => {
    for (const [v, b] of [['yes', true], ['No', false], ['TRUE', true], ['off', false], ['1', true], [0, false], [1, true], [true, true], ['y', true], ['', false]] as const) {
      assert.equal(render('{{#if (bool x)}}T{{else}}F{{/if}}', { x: v }), b ? 'T' : 'F', JSON.stringify(v));
    }
    assert.match(failure('{{bool x}}', { x: 'maybe' }), /helper 'bool': cannot read a string "maybe" as a boolean/);
    assert.match(failure('{{bool x}}', { x: [1] }), /helper 'bool'/);
  });

  it('int: numbers and numeric strings, truncated; booleans 1/0; text is an error', () => {
    assert.equal(render('{{int x}}', { x: '25' }), '25');
    assert.equal(render('{{int x}}', { x: ' 7.9 ' }), '7');
    assert.equal(render('{{int x}}', { x: -3.5 }), '-3');
    assert.equal(render('{{int x}}', { x: true }), '1');
    assert.match(failure('{{int x}}', { x: '25abc' }), /helper 'int': cannot read a string "25abc" as a number/);
    assert.match(failure('{{int x}}'), /helper 'int': cannot read undefined/);
  });

  it('ternary uses Python truthiness; eq/ne are strict', () => {
    assert.equal(render('{{ternary x "a" "b"}}', { x: true }), 'a');
    assert.equal(render('{{ternary x "a" "b"}}', { x: [] }), 'b');
    assert.equal(render('{{ternary x "a" "b"}}', { x: 'no' }), 'a'); // a non-empty string is true, as in Python
    assert.equal(render('{{ternary (bool x) "a" "b"}}', { x: 'no' }), 'b');
    assert.equal(render('{{#if (eq a b)}}same{{else}}differ{{/if}}', { a: 25, b: '25' }), 'differ');
    assert.equal(render('{{#if (ne a b)}}differ{{/if}}', { a: 'x', b: 'y' }), 'differ');
  });

  it('length of strings, lists and mappings; other values are an error', () => {
    assert.equal(render('{{length s}} {{length l}} {{length m}}', { s: 'abc', l: [1, 2], m: { a: 1 } }), '3 2 1');
    assert.match(failure('{{length n}}', { n: 5 }), /helper 'length': value must be a string, list or mapping, got a number/);
  });

  it('type tests, usable in {{#if}}', () => {
    const vars = { s: 'x', n: 1, ns: '1', b: false, m: { a: 1 }, l: [1] };
    const t = (test: string, v: string) => render(`{{#if (${test} ${v})}}y{{else}}n{{/if}}`, vars);
    assert.deepEqual(['s', 'n', 'ns', 'b', 'm', 'l', 'missing'].map((v) => t('is_string', v)).join(''), 'ynynnnn');
    assert.deepEqual(['s', 'n', 'ns', 'b', 'm', 'l', 'missing'].map((v) => t('is_number', v)).join(''), 'nynnnnn');
    assert.deepEqual(['s', 'n', 'ns', 'b', 'm', 'l', 'missing'].map((v) => t('is_boolean', v)).join(''), 'nnnynnn');
    assert.deepEqual(['s', 'n', 'ns', 'b', 'm', 'l', 'missing'].map((v) => t('is_mapping', v)).join(''), 'nnnnynn');
    assert.deepEqual(['s', 'n', 'ns', 'b', 'm', 'l', 'missing'].map((v) => t('is_sequence', v)).join(''), 'nnnnnyn');
  });
});

describe('helpers: strings', () => {
  it('case, trim, replace, paths', () => {
    assert.equal(render('{{lower "MiX"}}|{{upper "MiX"}}|{{trim "  a b \n"}}|{{replace "a.b.c" "." "_"}}'), 'mix|MIX|a b|a_b_c');
    assert.equal(render('{{basename "/etc/postfix/main.cf"}} {{dirname "/etc/postfix/main.cf"}}'), 'main.cf /etc/postfix');
    assert.equal(render('[{{basename "/etc/postfix/"}}] {{dirname "/etc/postfix/"}} {{dirname "/x"}} [{{dirname "x"}}]'), '[] /etc/postfix / []');
    assert.match(failure('{{upper x}}'), /helper 'upper': value must be a string, got undefined/);
    assert.match(failure('{{lower x}}', { x: { a: 1 } }), /helper 'lower': value must be a string, got a mapping/);
  });

  it('regex_replace with Python group references; regex_search; regex_escape', () => {
    assert.equal(render('{{regex_replace h "^(\\w+)\\.(?<d>.*)$" "\\1 at \\g<d>"}}', { h: 'mx1.example.org' }), 'mx1 at example.org');
    assert.equal(render('{{regex_replace "a-b-c" "-" "+"}}'), 'a+b+c'); // every match, as re.sub
    assert.equal(render('{{regex_replace "ABC" "b" "$x" ignorecase=true}}'), 'A$xC'); // `$` is literal
    assert.equal(render('{{regex_search "kernel 6.1.0" "\\d+\\.\\d+"}}'), '6.1');
    assert.equal(render('{{#if (regex_search "abc" "z")}}y{{else}}n{{/if}}'), 'n');
    assert.equal(render('{{regex_escape "a.b*c(d)"}}'), 'a\\.b\\*c\\(d\\)');
    assert.match(failure('{{regex_search "x" "("}}'), /helper 'regex_search': invalid regular expression "\("/);
  });

  it('split (words by default), join (", " by default), concat, list', () => {
    assert.equal(render('{{join (split " a  b c ") "|"}}'), 'a|b|c');
    assert.equal(render('{{join (split "a,,b" ",") "|"}}'), 'a||b');
    assert.equal(render('{{join l}}', { l: ['a', 1, true] }), 'a, 1, true');
    assert.equal(render('{{join (list "a" "b") "-"}}'), 'a-b');
    assert.equal(render('{{concat "a" 1 ":" b}}', { b: 'x' }), 'a1:x');
    assert.match(failure('{{join l}}', { l: [{ a: 1 }] }), /helper 'join': an item must be a string, got a mapping/);
    assert.match(failure('{{join missing}}'), /helper 'join': value must be a list, got undefined/);
  });

  it('indent and shquote', () => {
    assert.equal(render('{{indent t 4}}', { t: 'a\nb\n\nc' }), 'a\n    b\n\n    c');
    assert.equal(render('{{indent t first=true}}', { t: 'a\nb' }), '  a\n  b');
    assert.equal(render('{{shquote x}}', { x: "it's $(x)" }), `'it'\\''s $(x)'`);
  });
});

describe('helpers: lists and mappings', () => {
  it('sort: case-insensitive by default, by attribute, reverse; mixed types are an error', () => {
    assert.equal(render('{{join (sort l) ","}}', { l: ['b', 'A', 'c'] }), 'A,b,c');
    assert.equal(render('{{join (sort l case_sensitive=true) ","}}', { l: ['b', 'A', 'c'] }), 'A,b,c');
    assert.equal(render('{{join (sort l reverse=true) ","}}', { l: [10, 9, 100] }), '100,10,9');
    assert.equal(render('{{join (map_attr (sort h attribute="n") "name") ","}}', { h: [{ name: 'b', n: 2 }, { name: 'a', n: 1 }] }), 'a,b');
    assert.match(failure('{{sort l}}', { l: [1, 'a'] }), /helper 'sort': cannot order a (number|string) and a (string|number) \(items must all be numbers or all strings\)/);
    assert.match(failure('{{sort m}}', { m: { a: 1 } }), /helper 'sort': value must be a list, got a mapping/);
  });

  it('unique keeps the first of each, mappings compared by content', () => {
    assert.equal(render('{{join (unique l) ","}}', { l: ['b', 'a', 'b', 'a'] }), 'b,a');
    assert.equal(render('{{length (unique l)}}', { l: [{ a: 1 }, { a: 1 }, { a: 2 }] }), '2');
  });

  it('version compares component by component; postfix_known refuses what an old Postfix does not know', () => {
    assert.equal(render('{{#if (version v "3.6" ">=")}}y{{else}}n{{/if}}', { v: '3.10.1' }), 'y');
    assert.equal(render('{{#if (version v "3.6" ">=")}}y{{else}}n{{/if}}', { v: '2.6.6' }), 'n');
    assert.equal(render('{{#if (version v "3.7.11")}}y{{else}}n{{/if}}', { v: '3.7.11' }), 'y');
    const p = { p: { compatibility_level: '3.6', smtp_tls_security_level: 'may', transport_maps: '' } };
    assert.equal(render('{{to_json (postfix_known p version="3.7.11")}}', p), JSON.stringify(p.p));
    assert.equal(render('{{to_json (postfix_known p version="")}}', p), JSON.stringify(p.p), 'version not known: nothing checked');
    assert.match(failure('{{postfix_known p version="3.4.13"}}', p), /Postfix is 3\.4\.13: 'compatibility_level = 3\.6': a compatibility_level of 3\.6 or later needs Postfix 3\.6/);
    assert.match(failure('{{postfix_known p version="2.6.6"}}', p), /parameter 'compatibility_level' exists since Postfix 3\.0/);
    assert.match(failure('{{postfix_known q version="2.10.1"}}', { q: { smtp_tls_security_level: 'dane' } }), /DANE needs Postfix 2\.11/);
  });

  it('remove_keys: the mapping without the named keys (a list or one name; absent names ignored)', () => {
    const vars = { m: { a: 1, b: 2, c: 3 }, kept: 'b c' };
    assert.equal(render('{{to_json (remove_keys m (split kept))}}', vars), '{"a":1}');
    assert.equal(render('{{to_json (remove_keys m "a")}}', vars), '{"b":2,"c":3}');
    assert.equal(render('{{to_json (remove_keys m (split ""))}}', vars), '{"a":1,"b":2,"c":3}');
    assert.throws(() => render('{{remove_keys kept "a"}}', vars), /remove_keys/);
  });

  it('combine: shallow by default (as Ansible), recursive=true deep, list_merge', () => {
    const vars = { a: { x: { p: 1, q: 1 }, l: [1], k: 'a' }, b: { x: { q: 2 }, l: [2] } };
    assert.equal(render('{{to_json (combine a b)}}', vars), '{"x":{"q":2},"l":[2],"k":"a"}');
    assert.equal(render('{{to_json (combine a b recursive=true)}}', vars), '{"x":{"p":1,"q":2},"l":[2],"k":"a"}');
    assert.equal(render('{{to_json (combine a b list_merge="append")}}', vars), '{"x":{"q":2},"l":[1,2],"k":"a"}');
    assert.equal(render('{{to_json (combine a b list_merge="prepend")}}', vars), '{"x":{"q":2},"l":[2,1],"k":"a"}');
    assert.equal(render('{{to_json (combine a b list_merge="keep")}}', vars), '{"x":{"q":2},"l":[1],"k":"a"}');
    assert.equal(JSON.stringify(vars.a), '{"x":{"p":1,"q":1},"l":[1],"k":"a"}', 'the inputs are not changed');
    assert.match(failure('{{combine a l}}', { a: {}, l: [] }), /helper 'combine': argument 2 must be a mapping, got a list/);
    assert.match(failure('{{combine a a list_merge="zip"}}', { a: {} }), /helper 'combine': list_merge must be replace, keep, append or prepend/);
  });

  it('dict2items / items2dict round-trip, with key_name/value_name; loops over them', () => {
    const users = { alice: { uid: 1001 }, bob: { uid: 1002 } };
    assert.equal(render('{{#each (dict2items users)}}{{key}}={{value.uid}};{{/each}}', { users }), 'alice=1001;bob=1002;');
    assert.equal(render('{{to_json (items2dict (dict2items users))}}', { users }), JSON.stringify(users));
    assert.equal(render('{{to_json (dict2items m key_name="k" value_name="v")}}', { m: { a: 1 } }), '[{"k":"a","v":1}]');
    assert.equal(render('{{to_json (items2dict l key_name="n" value_name="ip")}}', { l: [{ n: 'a', ip: '1' }] }), '{"a":"1"}');
    assert.match(failure('{{items2dict l}}', { l: [{ key: 'a' }] }), /helper 'items2dict': an item \(a mapping\) has no attribute 'value'/);
    assert.match(failure('{{dict2items l}}', { l: [] }), /helper 'dict2items': value must be a mapping, got a list/);
  });

  it('map_attr: one attribute (dotted) of every item; a missing one is an error', () => {
    const hosts = [{ name: 'a', net: { v4: '10.0.0.1' } }, { name: 'b', net: { v4: '10.0.0.2' } }];
    assert.equal(render('{{join (map_attr hosts "name") ","}}', { hosts }), 'a,b');
    assert.equal(render('{{join (map_attr hosts "net.v4") " "}}', { hosts }), '10.0.0.1 10.0.0.2');
    assert.match(failure('{{map_attr hosts "nme"}}', { hosts }), /helper 'map_attr': an item \(a mapping\) has no attribute 'nme'/);
  });
});

describe('helpers: encoding and hashing', () => {
  it('to_json, to_yaml, from_json', () => {
    assert.equal(render('{{to_json m}}', { m: { a: [1, 'x'] } }), '{"a":[1,"x"]}');
    assert.equal(render('{{to_json m indent=2}}', { m: { a: 1 } }), '{\n  "a": 1\n}');
    assert.equal(render('{{to_yaml m}}', { m: { a: [1, 'x'], b: { c: true } } }), 'a:\n  - 1\n  - x\nb:\n  c: true\n');
    assert.equal(render('{{#each (from_json s)}}{{this}};{{/each}}', { s: '[1,"two"]' }), '1;two;');
    assert.match(failure('{{from_json s}}', { s: '{bad' }), /helper 'from_json': not JSON/);
  });

  it('b64encode / b64decode (UTF-8)', () => {
    assert.equal(render('{{b64encode "user:pässword"}}'), Buffer.from('user:pässword').toString('base64'));
    assert.equal(render('{{b64decode s}}', { s: Buffer.from('héllo\n').toString('base64') }), 'héllo\n');
    assert.match(failure('{{b64decode "not base64!"}}'), /helper 'b64decode': not base64 text/);
  });

  it('hash: sha1 by default, sha256, md5; unknown algorithms are an error', () => {
    assert.equal(render('{{hash "abc"}}'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(render('{{hash "abc" "sha256"}}'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(render('{{hash "abc" "md5"}}'), '900150983cd24fb0d6963f7d28e17f72');
    assert.match(failure('{{hash "abc" "sha3"}}'), /helper 'hash': unknown algorithm 'sha3'/);
  });

  it('password_hash: sha512-crypt as glibc makes it; a salt gives the same hash every time', () => {
    // The glibc crypt(3) value of "secret" with salt "saltsalt" (python3 -c 'import crypt; crypt.crypt("secret", "$6$saltsalt")').
    const glibc = '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1';
    assert.equal(render('{{password_hash "secret" "sha512" "saltsalt"}}'), glibc);
    assert.match(String(render('{{password_hash "secret" "sha256" "abc" rounds=10000}}')), /^\$5\$rounds=10000\$abc\$[./0-9A-Za-z]{43}$/);
    const [a, b] = [render('{{password_hash "secret"}}'), render('{{password_hash "secret"}}')];
    assert.match(String(a), /^\$6\$[./0-9A-Za-z]{16}\$/);
    assert.notEqual(a, b, 'no salt: a random one');
    assert.match(failure('{{password_hash "x" "md5"}}'), /helper 'password_hash': unknown scheme 'md5'/);
    assert.match(failure('{{password_hash "x" "sha512" "bad salt"}}'), /helper 'password_hash': salt must be/);
  });
});

describe('helpers: secret taint flows through every helper', () => {
  it('a helper output computed from a secret is a secret: registered, so reports mask it', () => {
    const cases: [string, string][] = [
      ['{{b64encode pw}}', Buffer.from('Hunter2-Pw').toString('base64')],
      ['{{hash pw "sha256"}}', ''],
      ['{{password_hash pw "sha512" "salt"}}', ''],
      ['{{upper pw}}', 'HUNTER2-PW'],
      ['{{regex_replace pw "-" "_"}}', 'Hunter2_Pw'],
      ['{{to_json (combine m (items2dict (dict2items (combine m m))))}}', ''],
      ['{{join (sort (list pw "a")) ","}}', 'a,Hunter2-Pw'],
      ['{{default missing pw}}', 'Hunter2-Pw'],
      ['{{int n}}', '1234'],
    ];
    for (const [text, expected] of cases) {
      const secrets = fresh();
      const vars = { pw: new Secret('Hunter2-Pw', secrets), n: new Secret('1234', secrets), m: { user: 'relay', pw: new Secret('Hunter2-Pw', secrets) } };
      const { value, tainted } = secrets.track(() => renderArgs({ args: { content: text }, argPos: {}, pos: undefined as never }, vars, secrets).content);
      assert.ok(tainted, `${text}: tracked`);
      if (expected) assert.equal(value, expected, text);
      assert.equal(secrets.redact(`report: ${String(value)}`), 'report: [redacted]', `${text} is masked in reports`);
    }
  });

  it('a list or mapping result keeps its secret strings as Secrets; plain outputs stay plain', () => {
    const secrets = fresh();
    const vars = { m: { user: 'relay', pw: new Secret('S3cret-Value', secrets) }, plain: { a: 'b' } };
    const { value } = secrets.track(() => render('{{#each (dict2items m)}}{{key}}={{value}};{{/each}}', vars, secrets));
    assert.equal(value, 'user=relay;pw=S3cret-Value;');
    assert.equal(secrets.redact(String(value)), 'user=relay;pw=[redacted];');
    const plain = secrets.track(() => render('{{to_json plain}}', vars, secrets));
    assert.equal(plain.tainted, false);
  });

  it('a helper refusing its argument in a template file is an error at the call: file:line:col', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-helpers-'));
    const file = path.join(dir, 'relay.conf.hbs');
    writeFileSync(file, '# managed\nport = {{int relay_port}}\n');
    assert.throws(() => renderTemplateFile(file, { relay_port: 'smtp' }, fresh()), (e: unknown) =>
      e instanceof InputError && e.pos!.line === 2 && e.pos!.col === 10 && e.message === 'template error: helper \'int\': cannot read a string "smtp" as a number');
  });

  it('every declared helper is documented: name, arguments, Ansible equivalent, description, example', () => {
    const names = new Set<string>();
    for (const h of HELPERS) {
      assert.ok(!names.has(h.name), `${h.name} declared twice`);
      names.add(h.name);
      assert.ok(h.args !== undefined && h.ansible.length > 0 && h.does.length > 10 && h.example.includes(h.name), h.name);
    }
    for (const n of ['default', 'bool', 'int', 'ternary', 'join', 'split', 'replace', 'regex_replace', 'regex_search', 'regex_escape', 'lower', 'upper', 'trim', 'basename', 'dirname', 'sort', 'unique', 'combine', 'dict2items', 'items2dict', 'map_attr', 'length', 'to_json', 'to_yaml', 'from_json', 'b64encode', 'b64decode', 'hash', 'password_hash', 'is_string', 'is_number', 'is_mapping', 'is_sequence', 'is_boolean']) {
      assert.ok(names.has(n), `helper ${n}`);
    }
  });
});
