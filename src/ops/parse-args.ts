// Checking a task's arguments against its operation's schema. zod compiles a fast path (generated
// code) for an object schema on its first parse; that costs more than it saves for a schema parsed
// a few times, which is every operation of a plan on a few dozen hosts (≈ 30 ms of a short run). So a
// schema is parsed without it until it has been parsed often enough to pay for it (many hosts).
import type { z } from 'zod';

/** Parses of one schema after which zod may compile its fast path. */
const JIT_AFTER = 200;
const parses = new WeakMap<object, number>();

export function parseArgs<T extends z.ZodType>(schema: T, value: unknown): z.ZodSafeParseResult<z.output<T>> {
  const n = (parses.get(schema) ?? 0) + 1;
  parses.set(schema, n);
  return schema.safeParse(value, n > JIT_AFTER ? undefined : { jitless: true });
}
