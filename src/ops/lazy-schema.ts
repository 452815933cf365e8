// An operation's argument schema, built when it is first used. A run names a few of the operations,
// but every run loads them all: building each zod schema at module load cost start-up CPU on every
// command (`--version` included) for schemas most runs never read. Memoised, so every reader (the
// loader, the engine, the JSON Schema and docs generators) gets the same schema object.
import type { z } from 'zod';

/** `build` run once, on the first call; later calls return the same schema. */
export function lazySchema<T extends z.ZodType>(build: () => T): () => T {
  let schema: T | undefined;
  return () => (schema ??= build());
}
