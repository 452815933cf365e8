// Writes dist/fleetplan.code-cache (run by scripts/bundle.mjs, in a process of its own): compiles
// dist/fleetplan.cjs as the bin does, under the same V8 flags (src/cli/v8-tuning.ts), runs a
// representative command in it — `validate` of the relay plan with the example inventory, which
// loads roles and templates and checks the plan — and then asks V8 for the cache, which now holds
// the functions that command compiled lazily as well as the top level. The file carries the digest
// the loader checks (src/cli/bundle-loader.ts). Build time only: nothing writes it at run time.
import '../dist/src/cli/v8-tuning.js';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeCacheFile, compileBundle } from '../dist/src/cli/bundle-loader.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const bundle = path.join(root, 'dist/fleetplan.cjs');
const cache = path.join(root, 'dist/fleetplan.code-cache');
rmSync(cache, { force: true });

const compiled = compileBundle(bundle);
process.argv = [process.execPath, path.join(root, 'dist/fleetplan.js'), 'validate', 'plans/relay.yml', '-i', 'plans/examples/inventory.yml'];
process.env.FLEETPLAN_RELAY_PASSWORD = 'code-cache-build';
process.on('exit', (code) => {
  if (code !== 0) {
    process.stderr.write(`code-cache: 'fleetplan ${process.argv.slice(2).join(' ')}' exited ${code}: no cache written\n`);
    return;
  }
  const tmp = `${cache}.${process.pid}`;
  writeFileSync(tmp, codeCacheFile(compiled.source, compiled.script.createCachedData()), { mode: 0o644 });
  renameSync(tmp, cache);
});
compiled.run();
