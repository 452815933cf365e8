// Events leave the engine redacted (src/engine/redact.ts), and the redaction copies only along the
// path to what it changed: these tests hold both halves — no secret gets through, nothing is copied
// that did not change, and the engine's own objects are never modified.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent, TaskResult } from '../../src/engine/events.js';
import { deepRedact, redactEvent, redactResult } from '../../src/engine/redact.js';
import { Secret, SecretRegistry } from '../../src/core/secret.js';

const PW = 'Deep-relay-Pa55word';

function registry(): SecretRegistry {
  const secrets = new SecretRegistry();
  new Secret(PW, secrets);
  return secrets;
}

test('redact: a secret deep inside is replaced; only its path is copied, the rest shared, the original untouched', () => {
  const kept = { path: '/etc/postfix/main.cf', diff: { path: '/etc/postfix/main.cf', before: 'a\n', after: 'b\n' } };
  const hit = { path: '/etc/postfix/sasl_passwd', diff: { path: '/etc/postfix/sasl_passwd', before: '', after: `[relay]:587 user:${PW}\n` } };
  const facts = { distribution: 'debian', nested: { list: ['x', 'y'] } };
  const event = { type: 'task-result', result: { host: 'h', changes: [kept, hit], facts, ms: 3, none: null, flag: true } };
  const before = JSON.stringify(event);
  const out = deepRedact(event, registry());
  assert.equal(JSON.stringify(event), before, 'the original is unchanged');
  assert.ok(!JSON.stringify(out).includes(PW), 'the secret does not get through');
  assert.equal(out.result.changes[1]!.diff.after, '[relay]:587 user:[redacted]\n');
  // The path to the secret is new at every level ...
  assert.notEqual(out, event);
  assert.notEqual(out.result, event.result);
  assert.notEqual(out.result.changes, event.result.changes);
  assert.notEqual(out.result.changes[1], hit);
  assert.notEqual(out.result.changes[1]!.diff, hit.diff);
  // ... everything beside it is the same object, and keys keep their order.
  assert.equal(out.result.changes[0], kept);
  assert.equal(out.result.facts, facts);
  assert.deepEqual(Object.keys(out.result), ['host', 'changes', 'facts', 'ms', 'none', 'flag']);
  assert.deepEqual(out, { type: 'task-result', result: { ...event.result, changes: [kept, { ...hit, diff: { ...hit.diff, after: '[relay]:587 user:[redacted]\n' } }] } });
});

test('redact: an event with no secret in it comes back as the very same object', () => {
  const secrets = registry();
  const event = { type: 'task-result', result: { host: 'h', changes: [{ path: '/etc/x', diff: { before: 'a', after: 'b' } }], n: 3, ok: true, none: null } };
  assert.equal(deepRedact(event, secrets), event);
  assert.equal(redactEvent(event as unknown as RunEvent, secrets), event);
  const result = event.result as unknown as TaskResult;
  assert.equal(redactResult(result, secrets), result);
  const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: ['x', 1] });
  assert.equal(deepRedact(bare, secrets), bare);
  assert.equal(deepRedact(event, new SecretRegistry()), event, 'no secret known at all');
});

test('redact: file contents (Buffers) are dropped and anything but a plain object leaves as a plain copy, as before', () => {
  const secrets = registry();
  const content = Buffer.from(`password=${PW}\n`);
  const event = { type: 'x', change: { content }, at: new Date(0), secret: new Secret(PW, secrets) };
  const out = deepRedact(event, secrets);
  assert.equal(out.change.content.length, 0);
  assert.equal(content.toString(), `password=${PW}\n`, 'the original Buffer is untouched');
  assert.deepEqual(out.at, {});
  assert.equal(Object.getPrototypeOf(out.secret), Object.prototype);
  assert.ok(!JSON.stringify(out).includes(PW));
});

test('redact: a no_log result still hides what ran, and shares nothing it must mask', () => {
  const secrets = registry();
  const r = {
    host: 'h', play: 'p', task: 't', op: 'command', handler: false, check: false, status: 'changed', noLog: true, ms: 1,
    changes: [{ kind: 'run', description: `run echo ${PW}`, command: `echo ${PW}` }],
  } as unknown as TaskResult;
  const out = redactResult(r, secrets);
  assert.notEqual(out, r);
  assert.equal((out.changes[0] as { command: string }).command, '[redacted: no_log]');
  assert.equal((r.changes[0] as { command: string }).command, `echo ${PW}`, 'the original is untouched');
});
