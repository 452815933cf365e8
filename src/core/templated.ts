// A string holding "{{" is a template the engine renders per host, possibly to another type, and
// checks then. The loader leaves such a value unchecked where it expects something else (operation
// arguments, src/load/args.ts; `loop:`), and the editor JSON Schemas accept it there (src/schema).
import { z } from 'zod';

export const TEMPLATE_MARK = '{{';

/** A string holding TEMPLATE_MARK. */
export const templateString = z.string().regex(/\{\{/);

export const isTemplated = (v: unknown): boolean => typeof v === 'string' && v.includes(TEMPLATE_MARK);
