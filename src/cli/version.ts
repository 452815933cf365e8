import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../core/paths.js';

let known: string | undefined;

/** fleetplan's version, from its package.json: read once (the command line's set-up asks, so does the run history). */
export function version(): string {
  known ??= (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return known;
}
