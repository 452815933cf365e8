// Operations' argument schemas are built on first use (src/ops/lazy-schema.ts), not when the bundle
// loads. Every reader must still get one schema object per operation: parseArgs counts parses per
// schema object (to decide when zod may compile its fast path), and a schema rebuilt on each read
// would never reach that count and cost a build per task.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { lazySchema } from '../../src/ops/lazy-schema.js';
import { operations } from '../../src/ops/registry.js';

test('lazySchema: nothing is built until the first call; then the same schema on every call', () => {
  let builds = 0;
  const schema = lazySchema(() => {
    builds++;
    return z.object({ path: z.string() }).strict();
  });
  assert.equal(builds, 0);
  const first = schema();
  assert.equal(schema(), first);
  assert.equal(builds, 1);
  assert.equal(first.safeParse({ path: '/etc/x' }).success, true);
  assert.equal(first.safeParse({ path: '/etc/x', other: 1 }).success, false);
});

test('every operation: reading op.schema twice gives the same zod schema object', () => {
  assert.ok(operations.size >= 30, `only ${operations.size} operations registered`);
  for (const [name, op] of operations) {
    const schema = op.schema;
    assert.ok(schema instanceof z.ZodType, `${name}: schema is not a zod schema`);
    assert.equal(op.schema, schema, `${name}: a second read built another schema`);
  }
});
