// shQuote must round-trip anything through a real POSIX sh.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { shQuote } from '../../src/core/quote.js';

const NASTY = [
  '',
  'plain',
  "it's",
  "''",
  '"double"',
  '$(touch /tmp/pwned)',
  '`id`',
  'a; rm -rf /',
  'line1\nline2\n',
  'back\\slash\\\\',
  '$HOME ${PATH} $1',
  '* ? [a-z] ~ #not-a-comment',
  'tab\there',
  "mixed '\"$`\\\n",
  '-n',
  'ünïcødé ✓',
];

test('shQuote round-trips nasty strings through sh -c printf', () => {
  for (const s of NASTY) {
    const out = execFileSync('sh', ['-c', `printf %s ${shQuote(s)}`], { encoding: 'utf8' });
    assert.equal(out, s, `round trip of ${JSON.stringify(s)}`);
  }
});

test('shQuote uses POSIX single quotes only, bare for safe words', () => {
  assert.equal(shQuote('root'), 'root');
  assert.equal(shQuote('/etc/ssh/sshd_config'), '/etc/ssh/sshd_config');
  assert.equal(shQuote(''), "''");
  assert.equal(shQuote("it's"), `'it'\\''s'`);
  assert.ok(!shQuote('a\nb').includes("$'"), 'no bash $-quotes');
});
