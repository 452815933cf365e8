#!/usr/bin/env node
// The `fleetplan` bin (dist/fleetplan.js, bundled by scripts/bundle.mjs): sets V8's flags, then runs
// the command line's bundle with its code cache (bundle-loader.ts). The flags come first: V8 takes a
// code cache only under the flags it was made with, and the build makes it under these.
import './v8-tuning.js';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../core/errors.js';
import { compileBundle, type CompiledBundle } from './bundle-loader.js';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
let bundle: CompiledBundle;
try {
  bundle = compileBundle(here('fleetplan.cjs'), here('fleetplan.code-cache'));
} catch (err) {
  // No bundle beside the bin (an interrupted build or install): one line, not a stack trace.
  process.stderr.write(`fleetplan: cannot load the command line (${(err as Error).message}): reinstall fleetplan, or run 'npm run build' in a checkout\n`);
  process.exit(ExitCode.internal);
}
bundle.run();
