// What one input may cost. Plans, inventories, vars files and templates come from the operator, but an
// honest mistake (a log file passed as `-e @file`, a variable that doubles itself forty times) must end
// in a clear input error, never in gigabytes of memory or a crash. docs/security.md "Input limits".
import { closeSync, openSync, readSync } from 'node:fs';
import type Handlebars from 'handlebars';
import { InputError, type SourcePos } from './errors.js';

/** Largest plan, inventory, vars, role or template file read (bytes). */
export const MAX_INPUT_BYTES = 10 * 1024 * 1024;
/** Deepest nesting of lists and mappings in a YAML file, aliases followed. */
export const MAX_YAML_DEPTH = 100;
/** Most values (scalars, lists, mappings) one YAML file may describe once its aliases are expanded. */
export const MAX_YAML_VALUES = 1_000_000;
/** Longest string a variable or template may render to (characters). */
export const MAX_RENDERED_CHARS = 10 * 1024 * 1024;

const mb = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;

/**
 * A file's text, refused when larger than MAX_INPUT_BYTES. Read in chunks rather than sized by stat,
 * so a pipe or a device (`-e @/dev/zero`) is stopped at the limit too.
 */
export function readInputText(abs: string, pos: SourcePos): string {
  const fd = openSync(abs, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, MAX_INPUT_BYTES + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > MAX_INPUT_BYTES) throw new InputError(`file larger than ${mb(MAX_INPUT_BYTES)}, the most fleetplan reads from an input file`, { pos });
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * A rendered value, refused when longer than MAX_RENDERED_CHARS. `length` does not flatten V8's rope
 * strings, so a doubling chain of variables is stopped before any huge string is materialised.
 */
export function checkRendered<T>(value: T, what: () => string, pos?: SourcePos): T {
  if (typeof value === 'string' && value.length > MAX_RENDERED_CHARS) {
    throw new InputError(`${what()} renders to more than ${mb(MAX_RENDERED_CHARS)} (${mb(value.length)}); is a variable repeating itself?`, { pos });
  }
  return value;
}

type BlockFn = (context: unknown, options?: unknown) => string;

/**
 * `{{#each}}` with its output counted as it grows. Loops nested in loops multiply (a thousand items
 * inside a thousand items…), so a check after rendering would come after the memory is gone; the
 * built-in helper itself is kept, only its block is wrapped.
 */
export function limitLoopOutput(env: typeof Handlebars): void {
  const each = env.helpers.each!;
  env.registerHelper('each', function (this: unknown, context: unknown, options: Handlebars.HelperOptions) {
    let total = 0;
    const block = options.fn as BlockFn;
    const counted: BlockFn = (item, o) => {
      const out = block(item, o);
      total += out.length;
      if (total > MAX_RENDERED_CHARS) throw new Error(`an {{#each}} loop renders more than ${mb(MAX_RENDERED_CHARS)}; are loops nested over large lists?`);
      return out;
    };
    return each.call(this, context, { ...options, fn: counted });
  });
}
