// dist/fleetplan.js: the CLI as one ES module (ssh2 and the test-only mail libraries stay external).
// zod's locales (≈ 390 KB of the bundle's 2.8 MB, parsed on every start) are reduced to English, the
// only one its messages use (zod sets it itself; fleetplan never selects another): `z.locales` and
// `z.core.locales` hold `en` alone.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** zod/v4/locales/index.js as `export { en }` only. */
const englishOnly = {
  name: 'zod-locales-en',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";\n',
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};

await build({
  entryPoints: [path.join(root, 'dist/src/cli/main.js')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['ssh2', 'mailauth', 'smtp-server', 'nodemailer'],
  logLevel: 'warning',
  outfile: path.join(root, 'dist/fleetplan.js'),
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  plugins: [englishOnly],
});
