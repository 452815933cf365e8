// Whether the bin's loader (src/cli/bundle-loader.ts), under the bin's V8 flags (src/cli/v8-tuning.ts),
// takes the code cache beside a built bundle: `dist` holds fleetplan.cjs and fleetplan.code-cache.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from './run-process.js';

const built = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli');

export async function codeCacheTaken(dist: string, nodeArgs: string[] = []): Promise<boolean> {
  const code = [
    `import ${JSON.stringify(path.join(built, 'v8-tuning.js'))};`,
    `import { compileBundle } from ${JSON.stringify(path.join(built, 'bundle-loader.js'))};`,
    `console.log(compileBundle(${JSON.stringify(path.join(dist, 'fleetplan.cjs'))}, ${JSON.stringify(path.join(dist, 'fleetplan.code-cache'))}).cacheUsed);`,
  ].join('\n');
  const r = await runProcess(process.execPath, [...nodeArgs, '--input-type=module', '-e', code]);
  assert.equal(r.code, 0, r.output);
  return JSON.parse(r.stdout) as boolean;
}
