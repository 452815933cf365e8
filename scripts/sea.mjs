#!/usr/bin/env node
// `npm run sea [-- --out <file>]`: fleetplan as one executable for Linux x86-64 that needs no Node on
// the controller (Node's single executable applications, https://nodejs.org/api/single-executable-applications.html).
// 1. esbuild bundles src/cli/sea.ts (from dist/, after `npm run build`) into one CommonJS script, ssh2
//    included: its native parts (cpu-features, sshcrypto.node) stay out and ssh2 falls back to its
//    JavaScript code, as it does wherever they were not compiled. zod's locales: English only, as in
//    the npm bundle (scripts/zod-locales.mjs).
// 2. The files fleetplan reads at run time (package.json, roles/, docs/schemas/) become one asset,
//    unpacked by src/cli/sea.ts on first run.
// 3. node --experimental-sea-config makes the blob; postject injects it into a copy of this node binary.
//    The blob carries V8's code cache of the bundle (useCodeCache): made by this binary, for this
//    binary, so it always matches; a start then skips compiling the 2 MB script (≈ 55 ms of CPU).
// Default output: dist/sea/fleetplan (the build artefact CI keeps, see docs/development.md).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { zodEnglishOnly } from './zod-locales.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = path.resolve(outArg > 0 ? process.argv[outArg + 1] : path.join(root, 'dist/sea/fleetplan'));
/** The SEA fuse of every Node binary that supports single executable applications. */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** What fleetplan reads at run time, relative to the package root (src/core/paths.ts packageRoot). */
const RUNTIME_FILES = ['package.json', 'roles', 'docs/schemas'];

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`sea: builds for Linux x86-64 only (this is ${process.platform}-${process.arch})`);
  process.exit(1);
}

/** Runs a build step; its chatter (postject warns about ELF note sections it does not touch) only when it fails. */
function quiet(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    throw err;
  }
}

function walk(rel) {
  const abs = path.join(root, rel);
  const st = statSync(abs);
  if (!st.isDirectory()) return [{ path: rel, mode: st.mode & 0o777, base64: readFileSync(abs).toString('base64') }];
  return readdirSync(abs).sort().flatMap((name) => walk(path.join(rel, name)));
}

const work = mkdtempSync(path.join(os.tmpdir(), 'fleetplan-sea-'));
try {
  const bundle = path.join(work, 'fleetplan.cjs');
  await build({
    entryPoints: [path.join(root, 'dist/src/cli/sea.js')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    external: ['cpu-features', '*.node'],
    // src/core/paths.ts finds the package from import.meta.url; in the executable sea.ts sets it first.
    define: { 'import.meta.url': '__fleetplan_sea_url' },
    banner: {
      js: [
        'var __fleetplan_sea_url = require("node:url").pathToFileURL(__filename).href;',
        // The embedded require loads built-in modules only, and warns on any other before throwing:
        // ssh2 probing for its optional native parts would print that warning on every run.
        'var require = ((builtin) => (id) => { if (!builtin("node:module").isBuiltin(id)) throw Object.assign(new Error(`Cannot find module ${id}`), { code: "MODULE_NOT_FOUND" }); return builtin(id); })(require);',
      ].join('\n'),
    },
    outfile: bundle,
    plugins: [zodEnglishOnly],
  });

  const assets = path.join(work, 'package-files.json');
  writeFileSync(assets, JSON.stringify(RUNTIME_FILES.flatMap(walk)));
  const blob = path.join(work, 'sea.blob');
  const config = path.join(work, 'sea-config.json');
  writeFileSync(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets: { 'package-files': assets } }));
  quiet(process.execPath, ['--experimental-sea-config', config]);

  mkdirSync(path.dirname(out), { recursive: true });
  rmSync(out, { force: true });
  copyFileSync(process.execPath, out);
  chmodSync(out, 0o755);
  quiet(process.execPath, [path.join(root, 'node_modules/postject/dist/cli.js'), out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE]);
  console.log(`sea: wrote ${path.relative(process.cwd(), out) || out} (${(statSync(out).size / 2 ** 20).toFixed(0)} MiB, Node ${process.version}, linux-x64)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
