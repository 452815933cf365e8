// One line per zod issue: "mode: expected string, got number".
import type { z } from 'zod';

export function schemaMessage(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}
