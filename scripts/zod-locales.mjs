// An esbuild plugin for scripts/bundle.mjs and scripts/sea.mjs: zod's locales (≈ 390 KB, parsed on
// every start) reduced to English, the only one its messages use (zod sets it itself; fleetplan never
// selects another): `z.locales` and `z.core.locales` hold `en` alone.
import path from 'node:path';

/** zod/v4/locales/index.js as `export { en }` only. */
export const zodEnglishOnly = {
  name: 'zod-locales-en',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";\n',
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};
