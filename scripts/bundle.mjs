// dist/fleetplan.js: the CLI as one ES module (ssh2 and the test-only mail libraries stay external).
// zod's locales are reduced to English (scripts/zod-locales.mjs).
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zodEnglishOnly } from './zod-locales.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

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
  plugins: [zodEnglishOnly],
});
