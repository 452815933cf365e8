// Every template helper, by group (one file each), registered into a Handlebars environment; the
// same list gives the did-you-mean of an unknown helper and the generated reference.
import { collectionHelpers } from './collections.js';
import { encodingHelpers } from './encoding.js';
import { environmentHelpers } from './environment.js';
import { splitArgs, type HelperDef } from './helper.js';
import { stringHelpers } from './strings.js';
import { valueHelpers } from './values.js';
import { versionHelpers } from './versions.js';

export type { HelperDef } from './helper.js';

export const HELPER_GROUPS: readonly { title: string; helpers: readonly HelperDef[] }[] = [
  { title: 'Values, conversions and type tests', helpers: valueHelpers },
  { title: 'Strings and paths', helpers: stringHelpers },
  { title: 'Lists and mappings', helpers: collectionHelpers },
  { title: 'Encoding and hashing', helpers: encodingHelpers },
  { title: 'Environment', helpers: environmentHelpers },
  { title: 'Versions', helpers: versionHelpers },
];

export const HELPERS: readonly HelperDef[] = HELPER_GROUPS.flatMap((g) => g.helpers);

interface HelperEnv {
  registerHelper(name: string, fn: (...args: unknown[]) => unknown): void;
}

/** Register every helper: each receives its real arguments and Handlebars' options separately. */
export function registerHelpers(env: HelperEnv): void {
  for (const h of HELPERS) {
    env.registerHelper(h.name, (...raw: unknown[]) => {
      const { args, options } = splitArgs(raw);
      return h.fn(args, options);
    });
  }
}
