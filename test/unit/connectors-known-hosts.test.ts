// known_hosts rules, checked against a fixture written by ssh-keygen (including -H hashed lines).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  checkHostKey,
  fingerprint,
  hashHostString,
  hostFieldMatches,
  hostString,
  knownHostLine,
  knownKeyTypes,
  matchWildcard,
  parseKnownHosts,
} from '../../src/connectors/known-hosts.js';

// Compiled to dist/test/unit/: the fixtures stay in the source tree.
const FIX = fileURLToPath(new URL('../../../test/unit/fixtures/connectors/', import.meta.url));
const entries = parseKnownHosts(readFileSync(`${FIX}known_hosts`, 'utf8'), 'known_hosts');
const blob = (name: string) => Buffer.from(readFileSync(`${FIX}${name}`, 'utf8').split(' ')[1]!, 'base64');
const [A, B, C, D] = ['key_a.pub', 'key_b.pub', 'key_c.pub', 'key_d.pub'].map(blob) as [Buffer, Buffer, Buffer, Buffer];

test('parses markers, skips comments, blank and malformed lines', () => {
  assert.equal(entries.length, 8);
  assert.equal(entries.filter((e) => e.marker === 'revoked').length, 1);
  assert.equal(entries.filter((e) => e.marker === 'cert-authority').length, 1);
  assert.equal(entries[0]!.line, 2);
});

test('hostString uses [host]:port for non-22 ports', () => {
  assert.equal(hostString('Web1.Example.com', 22), 'web1.example.com');
  assert.equal(hostString('10.0.0.1', 2222), '[10.0.0.1]:2222');
});

test('hashed entries from ssh-keygen -H match, with our HMAC equal to theirs', () => {
  assert.equal(checkHostKey(entries, 'hashed.example.com', 22, A).kind, 'match');
  assert.equal(checkHostKey(entries, 'hashed.example.com', 2222, B).kind, 'match');
  assert.equal(checkHostKey(entries, 'other.example.com', 22, A).kind, 'unknown');
  const hashed = entries[0]!.hosts;
  const salt = Buffer.from(hashed.split('|')[2]!, 'base64');
  assert.equal(hashHostString('hashed.example.com', salt), hashed);
});

test('comma lists, wildcards and negation', () => {
  assert.equal(checkHostKey(entries, '10.0.0.1', 22, A).kind, 'match');
  assert.equal(checkHostKey(entries, 'a.wild.example.com', 22, A).kind, 'match');
  assert.equal(checkHostKey(entries, 'evil.wild.example.com', 22, A).kind, 'unknown', '! pattern vetoes the line');
  assert.equal(checkHostKey(entries, 'db1.example.com', 22, C).kind, 'match');
  assert.equal(checkHostKey(entries, 'db12.example.com', 22, C).kind, 'unknown', '? is exactly one character');
  assert.ok(matchWildcard('*.EXAMPLE.com', 'x.example.com'));
  assert.ok(!matchWildcard('web.example.com', 'webXexample.com'), 'dots are literal');
  assert.ok(hostFieldMatches('[bastion.example.com]:2200', '[bastion.example.com]:2200'));
});

test('a different key of the same type is CHANGED, with both fingerprints', () => {
  const v = checkHostKey(entries, 'web1.example.com', 22, B);
  assert.equal(v.kind, 'changed');
  if (v.kind !== 'changed') return;
  assert.equal(v.knownFingerprint, fingerprint(A));
  assert.equal(v.presentedFingerprint, fingerprint(B));
  assert.equal(v.entry.line, 4);
});

test('a key of another type for a known host is CHANGED (never new), naming the known keys', () => {
  const v = checkHostKey(entries, 'web1.example.com', 22, C);
  assert.equal(v.kind, 'changed');
  if (v.kind === 'changed') {
    assert.equal(v.presentedType, 'ecdsa-sha2-nistp256');
    assert.equal(v.presentedFingerprint, fingerprint(C));
    assert.deepEqual(v.known.map((k) => [k.entry.keyType, k.fingerprint]), [['ssh-ed25519', fingerprint(A)]]);
  }
  assert.deepEqual(knownKeyTypes(entries, 'db7.example.com', 22), ['ecdsa-sha2-nistp256']);
});

test('@revoked refuses the key everywhere; @cert-authority lines never vouch for a plain key', () => {
  assert.equal(checkHostKey(entries, 'anything.example.com', 22, D).kind, 'revoked');
  assert.equal(checkHostKey(entries, 'x.ca.example.com', 22, C).kind, 'unknown');
});

test('fingerprint equals ssh-keygen -lf; knownHostLine round-trips through the parser', () => {
  const theirs = execFileSync('ssh-keygen', ['-lf', `${FIX}key_a.pub`], { encoding: 'utf8' }).split(' ')[1];
  assert.equal(fingerprint(A), theirs);
  const line = knownHostLine('New.Example.com', 2200, A);
  assert.equal(line, `[new.example.com]:2200 ssh-ed25519 ${A.toString('base64')}`);
  assert.equal(checkHostKey(parseKnownHosts(line), 'new.example.com', 2200, A).kind, 'match');
});
