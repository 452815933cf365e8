// Shared by the load*.test.ts files: fixture paths, a fake operation registry (the real one is
// written concurrently), and assertions on collected input errors.
import assert from 'node:assert/strict';
import path from 'node:path';
import { z } from 'zod';
import { InputError, InputErrors } from '../../src/core/errors.js';
import type { Operation } from '../../src/ops/operation.js';
import { packageRoot } from '../../src/core/paths.js';

export const FIX = path.join(packageRoot(), 'test', 'unit', 'fixtures', 'load');
export const fix = (...p: string[]) => path.join(FIX, ...p);

const op = (name: string, schema: z.ZodType, shorthand?: string): Operation =>
  ({ name, summary: name, schema, shorthand, resolve: () => undefined, queries: () => [], plan: () => ({ changes: [] }) }) as Operation;

const mode = z.string().regex(/^0?[0-7]{3,4}$/, 'an octal mode as a quoted string, such as "0644"').describe('Octal permission bits as a string, e.g. "0640"');

export const registry: ReadonlyMap<string, Operation> = new Map(
  [
    op('file', z.object({ path: z.string().min(1), content: z.string().optional(), mode: mode.optional(), state: z.enum(['present', 'absent']).default('present') }).strict(), 'path'),
    op('template', z.object({ src: z.string().min(1), dest: z.string().min(1), mode: mode.optional() }).strict()),
    op('command', z.object({ cmd: z.string().min(1), creates: z.string().optional() }).strict(), 'cmd'),
  ].map((o) => [o.name, o]),
);

/** Run `fn`, expecting input errors; returns them flattened. */
export function inputErrors(fn: () => unknown): InputError[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputErrors) return err.errors;
    if (err instanceof InputError) return [err];
    throw err;
  }
  assert.fail('expected input errors, got none');
}

/** Assert one error sits at <file ending>:line:col and its message contains `text`. */
export function hasError(errors: InputError[], file: string, line: number, col: number | undefined, text: string): InputError {
  const hit = errors.find(
    (e) => e.pos?.file.endsWith(file) && e.pos.line === line && (col === undefined || e.pos.col === col) && e.message.includes(text),
  );
  assert.ok(hit, `no error at ${file}:${line}:${col ?? '*'} containing ${JSON.stringify(text)}; got:\n${errors.map((e) => e.describe()).join('\n')}`);
  return hit;
}
