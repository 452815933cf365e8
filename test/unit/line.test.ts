import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editLines } from '../../src/ops/line.js';

const base = { separator: ' = ', continuation: false, state: 'present' as const, create: false };

test('line: key = value replaces the existing setting in place', () => {
  const before = '# main.cf\nmyhostname = old.example\nrelayhost =\n';
  const after = editLines(before, { ...base, path: '/x', key: 'relayhost', value: '[smtp.example.net]:587' });
  assert.equal(after, '# main.cf\nmyhostname = old.example\nrelayhost = [smtp.example.net]:587\n');
});

test('line: key is matched whole, not as a prefix, and comments are left alone', () => {
  const before = '#relayhost = x\nrelayhost_extra = y\n';
  const after = editLines(before, { ...base, path: '/x', key: 'relayhost', value: 'z' });
  assert.equal(after, '#relayhost = x\nrelayhost_extra = y\nrelayhost = z\n');
});

test('line: continuation lines of a Postfix setting are replaced with it', () => {
  const before = 'smtpd_relay_restrictions = permit_mynetworks\n    permit_sasl_authenticated\n    defer_unauth_destination\nmyorigin = x\n';
  const after = editLines(before, { ...base, continuation: true, path: '/x', key: 'smtpd_relay_restrictions', value: 'reject' });
  assert.equal(after, 'smtpd_relay_restrictions = reject\nmyorigin = x\n');
});

test('line: an edit that is already there gives identical text (idempotent)', () => {
  const text = 'a = 1\nb = 2\n';
  assert.equal(editLines(text, { ...base, path: '/x', key: 'b', value: '2' }), text);
  assert.equal(editLines(text, { ...base, path: '/x', line: 'a = 1' }), text);
});

test('line: absent removes every matching line; regexp replaces the last match; insert_after', () => {
  assert.equal(editLines('x\ny\nx\n', { ...base, state: 'absent', path: '/x', line: 'x' }), 'y\n');
  assert.equal(editLines('p=1\np=2\n', { ...base, path: '/x', regexp: '^p=', line: 'p=3' }), 'p=1\np=3\n');
  assert.equal(editLines('[a]\n[b]\nz\n', { ...base, path: '/x', line: 'k', insert_after: '^\\[a\\]' }), '[a]\nk\n[b]\nz\n');
});

test('line: a file without trailing newline keeps it that way when a line is replaced', () => {
  assert.equal(editLines('a = 1', { ...base, path: '/x', key: 'a', value: '2' }), 'a = 2');
  assert.equal(editLines('', { ...base, path: '/x', line: 'first' }), 'first\n');
});
