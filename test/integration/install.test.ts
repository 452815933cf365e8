// fleetplan installed like a tool rather than run from a clone: the `npm pack` tarball holds the
// bundle and the files read at run time (roles, schemas) and nothing of the build; `npm install -g`
// of it into a clean prefix brings only runtime dependencies, and the installed `fleetplan` prints
// its version, scaffolds and validates a relay plan from its own roles, and dry-runs it on a fleet
// host. The single-file executable (`npm run sea`) does the same without Node and the package.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { codeCacheTaken } from '../code-cache-probe.js';
import { runProcess } from '../run-process.js';
import { repoRoot } from './cli.js';
import { installGlobal, pack, packageVersion, prefixEnv } from './installed.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const tmp = mkdtempSync('/tmp/fleetplan-install-');
const out = path.join(tmp, 'fleet');
let fleet: Fleet | undefined;
let tarball = '';
let installed = '';

before(async () => {
  tarball = await pack(tmp);
  installed = await installGlobal(tarball, path.join(tmp, 'prefix'));
  if (!skip) fleet = await up({ os: 'debian-systemd', count: 1, out });
});

after(async () => {
  if (fleet) await down(out).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

/** A command as an operator types it: its own HOME, in a working directory of its own. */
function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const home = path.join(tmp, 'home');
  return runProcess(bin, args, { cwd: tmp, env: prefixEnv(path.join(tmp, 'prefix'), { HOME: home, XDG_CACHE_HOME: '', XDG_STATE_HOME: '', XDG_CONFIG_HOME: '', ...env }) });
}

test('npm pack: the bundle, roles and schemas; no sources, tests or build output', async () => {
  const r = await runProcess('tar', ['tzf', tarball]);
  const files = r.stdout.split('\n').filter(Boolean);
  assert.ok(files.includes('package/dist/fleetplan.js'));
  // The bin runs the CommonJS bundle with V8's code cache made at build time (src/cli/bundle-loader.ts).
  assert.ok(files.includes('package/dist/fleetplan.cjs'));
  assert.ok(files.includes('package/dist/fleetplan.code-cache'));
  assert.ok(files.includes('package/package.json'));
  assert.ok(files.includes('package/roles/postfix_relay/tasks.yml'));
  assert.ok(files.includes('package/docs/schemas/plan.schema.json'));
  const stray = files.filter((f) => /^package\/(src|test|bench|scripts|node_modules)\//.test(f) || /^package\/dist\/(src|test|bench|sea)\//.test(f));
  assert.deepEqual(stray, []);
});

test('npm install -g <tarball>: runtime dependencies only; --version, init and validate from the installed package', async () => {
  const pkgDir = path.join(tmp, 'prefix', 'lib', 'node_modules', 'fleetplan');
  const deps = readdirSync(path.join(pkgDir, 'node_modules'));
  for (const dev of ['typescript', 'esbuild', 'postject', 'dependency-cruiser', 'fast-check']) assert.ok(!deps.includes(dev), `devDependency ${dev} installed`);
  const v = await run(installed, ['--version']);
  assert.equal(v.code, 0, v.output);
  assert.equal(v.stdout.trim(), packageVersion);
  assert.equal(await codeCacheTaken(path.join(pkgDir, 'dist')), true, 'the installed bundle compiles without its code cache');
  // `fleetplan` on the PATH is the installed one.
  const which = await run('sh', ['-c', 'command -v fleetplan']);
  assert.equal(which.stdout.trim(), installed);

  const init = await run('fleetplan', ['init', 'relay', 'relays']);
  assert.equal(init.code, 0, init.output);
  const valid = await run('fleetplan', ['validate', 'relays/relay.yml', '-i', 'relays/inventory.yml'], { FLEETPLAN_RELAY_PASSWORD: 'x' });
  assert.equal(valid.code, 0, valid.output);
  assert.match(valid.stdout, /relays\/relay\.yml: valid \(1 play\(s\), \d+ task\(s\), 2 host\(s\)\)/);
});

test('the installed fleetplan dry-runs the relay plan on a fleet host', { skip }, async () => {
  const dir = path.join(tmp, 'fleet-relays');
  const init = await run(installed, ['init', 'relay', dir, '--hosts', fleet!.inventoryPath]);
  assert.equal(init.code, 0, init.output);
  const check = await run(installed, ['apply', path.join(dir, 'relay.yml'), '-i', path.join(dir, 'inventory.yml'), '--check', '--json'], { FLEETPLAN_RELAY_PASSWORD: 'x' });
  assert.equal(check.code, 0, check.output);
  const doc = JSON.parse(check.stdout);
  const host = fleet!.hosts[0]!.name;
  assert.equal(doc.check, true);
  assert.ok(doc.hosts[host].changed > 0, 'nothing would change on a fresh host');
  assert.equal(doc.hosts[host].failed, 0, check.output);
});

const seaSkip = process.platform !== 'linux' || process.arch !== 'x64' ? 'the single-file executable is built for Linux x86-64 only' : false;

test('npm run sea: one executable that needs neither Node nor the package; --version, validate, facts over SSH', { skip: seaSkip, timeout: 180_000 }, async () => {
  const exe = path.join(tmp, 'sea', 'fleetplan');
  const build = await runProcess(process.execPath, [path.join(repoRoot, 'scripts/sea.mjs'), '--out', exe], { cwd: repoRoot });
  assert.equal(build.code, 0, build.output);
  // No node on the PATH: the executable carries its own.
  const bare = { PATH: '/usr/sbin:/sbin:/bin'.split(':').filter((d) => !existsSync(path.join(d, 'node'))).join(':') };
  const v = await run(exe, ['--version'], bare);
  assert.equal(v.code, 0, v.output);
  assert.equal(v.stdout.trim(), packageVersion);
  assert.equal(v.stderr, '', 'no warning on a plain run');
  const init = await run(exe, ['init', 'relay', 'sea-relays'], bare);
  assert.equal(init.code, 0, init.output);
  const valid = await run(exe, ['validate', 'sea-relays/relay.yml', '-i', 'sea-relays/inventory.yml'], { ...bare, FLEETPLAN_RELAY_PASSWORD: 'x' });
  assert.equal(valid.code, 0, valid.output);
  // The roles it validated against are its own, unpacked once into the user's cache.
  const cache = path.join(tmp, 'home', '.cache', 'fleetplan');
  const unpacked = readdirSync(cache).filter((d) => d.startsWith('sea-'));
  assert.equal(unpacked.length, 1);
  assert.ok(existsSync(path.join(cache, unpacked[0]!, 'roles', 'postfix_relay', 'tasks.yml')));
  if (fleet) {
    const facts = await run(exe, ['facts', '-i', fleet.inventoryPath, '--json'], bare);
    assert.equal(facts.code, 0, facts.output);
    assert.equal(JSON.parse(facts.stdout)[fleet.hosts[0]!.name].os_family, 'Debian');
  }
});
