// The command line as `npm run build` ships it (docs/development.md "Build"):
// - dist/fleetplan.cjs: the CLI as one CommonJS script (ssh2 included, its native parts not; the
//   test-only mail libraries stay external), zod's locales reduced to English (scripts/zod-locales.mjs);
// - dist/fleetplan.code-cache: V8's code cache of it, made by running `validate` of the relay plan
//   (scripts/code-cache.mjs), so the functions a command compiles lazily are in it too;
// - dist/fleetplan.js: the bin, a small ES module that runs the script with its cache
//   (src/cli/entry.ts, src/cli/bundle-loader.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { zodEnglishOnly } from './zod-locales.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = (name) => path.join(root, 'dist', name);

// ssh2 is bundled (so its code is in the code cache too) but its native parts are not: its crypto
// binding is required from the installed ssh2 package at run time, as ssh2 would itself, and
// cpu-features stays a package of its own. Where neither was compiled, ssh2 uses its JavaScript.
const ssh2NativeFromPackage = {
  name: 'ssh2-native-from-package',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => {
      const abs = path.resolve(args.resolveDir, args.path);
      const at = abs.lastIndexOf('/node_modules/ssh2/');
      if (at < 0) return undefined;
      return { path: abs.slice(at + '/node_modules/'.length), external: true };
    });
  },
};

const cli = await build({
  entryPoints: [dist('src/cli/main.js')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['cpu-features', 'mailauth', 'smtp-server', 'nodemailer'],
  logLevel: 'warning',
  // src/core/paths.ts finds the package from its module's URL: here, the bundle's own.
  define: { 'import.meta.url': '__fleetplan_bundle_url' },
  // `import()` of an external package becomes a require(): in a vm.Script, Node 20 can resolve import()
  // only behind an experimental flag or warning. The packages are CommonJS (or ship a CommonJS build).
  supported: { 'dynamic-import': false },
  banner: { js: 'var __fleetplan_bundle_url = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [zodEnglishOnly, ssh2NativeFromPackage],
  write: false,
  outfile: dist('fleetplan.cjs'),
});
// The script runs inside a function (Node's CommonJS wrapper), where main.ts's `#!` line cannot stand.
// ASCII only, which the loader reads as Latin-1 (a copy, not a UTF-8 decode: ≈ 4 ms less per start)
// when the digest says the file is this one: esbuild escapes non-ASCII characters in code and leaves
// them in comments; escaped the same way there, they mean the same anywhere.
const escapeCodePoint = (c) => [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
// (Not U+2028/U+2029, which end a `//` comment: escaped, they would not; none is there today.)
if (/[\u2028\u2029]/.test(cli.outputFiles[0].text)) throw new Error('bundle: a raw U+2028/U+2029 in the output');
const script = cli.outputFiles[0].text.replace(/^#!.*\n/, '').replace(/[^\x00-\x7f]/gu, escapeCodePoint);
if (!/^[\x00-\x7f]*$/.test(script)) throw new Error('bundle: dist/fleetplan.cjs is not ASCII');
writeFileSync(dist('fleetplan.cjs'), script);

await build({
  entryPoints: [dist('src/cli/entry.js')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  outfile: dist('fleetplan.js'),
});

// The cache's run sees nothing of this machine's settings: no NODE_OPTIONS (V8 takes a cache only
// under the flags it was made with), no FLEETPLAN_* variables, no user configuration.
const home = mkdtempSync(path.join(os.tmpdir(), 'fleetplan-code-cache-'));
try {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', NO_COLOR: '1' };
  execFileSync(process.execPath, [path.join(root, 'scripts/code-cache.mjs')], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
} finally {
  rmSync(home, { recursive: true, force: true });
}
