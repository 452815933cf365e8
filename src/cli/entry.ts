#!/usr/bin/env node
// The `fleetplan` bin (dist/fleetplan.js, bundled by scripts/bundle.mjs): sets V8's flags, then runs
// the command line's bundle with its code cache (bundle-loader.ts). The flags come first: V8 takes a
// code cache only under the flags it was made with, and the build makes it under these.
import './v8-tuning.js';
import { fileURLToPath } from 'node:url';
import { compileBundle } from './bundle-loader.js';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
compileBundle(here('fleetplan.cjs'), here('fleetplan.code-cache')).run();
