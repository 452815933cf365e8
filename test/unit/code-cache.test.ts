// The bin runs the CommonJS bundle with the V8 code cache `npm run build` made of it
// (src/cli/bundle-loader.ts). The bin takes the built cache; a cache that does not belong to the
// bundle beside it (the bundle changed with its length kept, a byte of the cache changed, no cache,
// or V8 rejecting one made under other flags) is not used, and the command line still works.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { codeCacheFile } from '../../src/cli/bundle-loader.js';
import { codeCacheTaken } from '../code-cache-probe.js';
import { runProcess } from '../run-process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tmp = mkdtempSync('/tmp/fleetplan-code-cache-');
after(() => rmSync(tmp, { recursive: true, force: true }));

const BUILD_FILES = ['fleetplan.js', 'fleetplan.cjs', 'fleetplan.code-cache'];
let copies = 0;

/** A copy of the built bin, bundle and cache, with the package's other files linked beside it. */
function copyOfBuild(): string {
  const dir = path.join(tmp, `build-${++copies}`);
  mkdirSync(path.join(dir, 'dist'), { recursive: true });
  for (const f of BUILD_FILES) copyFileSync(path.join(root, 'dist', f), path.join(dir, 'dist', f));
  for (const f of ['package.json', 'node_modules', 'roles', 'docs', 'plans']) symlinkSync(path.join(root, f), path.join(dir, f));
  return dir;
}

/** `fleetplan validate` of the relay plan with the example inventory, run by the bin in `dir`. */
function validate(dir: string, nodeArgs: string[] = []) {
  const args = [...nodeArgs, path.join(dir, 'dist/fleetplan.js'), 'validate', 'plans/relay.yml', '-i', 'plans/examples/inventory.yml'];
  return runProcess(process.execPath, args, { cwd: root, env: { ...process.env, NO_COLOR: '1', FLEETPLAN_RELAY_PASSWORD: 'x' } });
}

async function assertWorks(dir: string, nodeArgs: string[] = [], said = /plans\/relay\.yml: valid \(1 play\(s\), \d+ task\(s\)/): Promise<void> {
  const version = await runProcess(process.execPath, [...nodeArgs, path.join(dir, 'dist/fleetplan.js'), '--version']);
  assert.equal(version.code, 0, version.output);
  assert.equal(version.stdout.trim(), (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version);
  const r = await validate(dir, nodeArgs);
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, said);
  assert.equal(r.stderr, '');
}

/** The bundle with validate's message changed and its length kept: what a rebuild of another source could be. */
function changeBundleKeepingLength(dir: string): Buffer {
  const file = path.join(dir, 'dist/fleetplan.cjs');
  const before = readFileSync(file, 'latin1');
  const changed = before.replace(': valid (${', ': VALID (${');
  assert.notEqual(changed, before, 'the bundle no longer has validate\'s message');
  writeFileSync(file, changed, 'latin1');
  assert.equal(changed.length, before.length);
  return Buffer.from(changed, 'latin1');
}

test('the build writes a cache that the bin\'s loader takes', async () => {
  assert.equal(await codeCacheTaken(path.join(root, 'dist')), true);
  const dir = copyOfBuild();
  assert.equal(await codeCacheTaken(path.join(dir, 'dist')), true);
  await assertWorks(dir);
});

test('the bin runs what the cache holds: a changed bundle with a cache re-signed for it shows the cached code', async () => {
  // Why the digest: V8 checks the source's length only, and runs the cached bytecode of the old
  // source. Re-signing the old data for the changed bundle makes the loader hand it to V8, as it
  // would without a digest; the old message then shows that the bin compiled with the cache.
  const dir = copyOfBuild();
  const data = readFileSync(path.join(dir, 'dist/fleetplan.code-cache')).subarray(32);
  const changed = changeBundleKeepingLength(dir);
  writeFileSync(path.join(dir, 'dist/fleetplan.code-cache'), codeCacheFile(changed, data));
  assert.equal(await codeCacheTaken(path.join(dir, 'dist')), true);
  await assertWorks(dir, [], /plans\/relay\.yml: valid \(/);
});

test('a bundle changed after the build (same length): its cache is not used, the new code runs', async () => {
  const dir = copyOfBuild();
  changeBundleKeepingLength(dir);
  assert.equal(await codeCacheTaken(path.join(dir, 'dist')), false);
  await assertWorks(dir, [], /plans\/relay\.yml: VALID \(1 play\(s\), \d+ task\(s\)/);
});

test('a cache with one byte of its data changed is not used; the command line works', async () => {
  const dir = copyOfBuild();
  const file = path.join(dir, 'dist/fleetplan.code-cache');
  const bytes = readFileSync(file);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at]! ^ 0x5a;
  writeFileSync(file, bytes);
  assert.equal(await codeCacheTaken(path.join(dir, 'dist')), false);
  await assertWorks(dir);
});

test('a cache cut short, empty or missing is not used; the command line works', async () => {
  const dir = copyOfBuild();
  const file = path.join(dir, 'dist/fleetplan.code-cache');
  for (const content of [readFileSync(file).subarray(0, 1000), Buffer.alloc(0)]) {
    writeFileSync(file, content);
    assert.equal(await codeCacheTaken(path.join(dir, 'dist')), false);
    await assertWorks(dir);
  }
  unlinkSync(file);
  assert.equal(await codeCacheTaken(path.join(dir, 'dist')), false);
  await assertWorks(dir);
});

test('a cache that more users can change than the bundle (another owner, group or world write) is not used', async (t) => {
  const dir = copyOfBuild();
  const cache = path.join(dir, 'dist/fleetplan.code-cache');
  chmodSync(path.join(dir, 'dist/fleetplan.cjs'), 0o644);
  for (const mode of [0o664, 0o646]) {
    chmodSync(cache, mode);
    assert.equal(await codeCacheTaken(path.join(dir, 'dist')), false, mode.toString(8));
  }
  chmodSync(cache, 0o644);
  assert.equal(await codeCacheTaken(path.join(dir, 'dist')), true);
  // As writable as the bundle: the cache adds no way in.
  chmodSync(path.join(dir, 'dist/fleetplan.cjs'), 0o664);
  chmodSync(cache, 0o664);
  assert.equal(await codeCacheTaken(path.join(dir, 'dist')), true);
  if (process.getuid?.() !== 0) return t.skip('changing a file\'s owner needs root');
  chownSync(cache, 65534, 65534);
  assert.equal(await codeCacheTaken(path.join(dir, 'dist')), false);
  await assertWorks(dir);
});

test('V8 rejects the cache under other V8 flags; the command line works', async () => {
  assert.equal(await codeCacheTaken(path.join(root, 'dist'), ['--no-opt']), false);
  await assertWorks(copyOfBuild(), ['--no-opt']);
});

test('the bundled ssh2 loads its native crypto binding from the installed ssh2 package', async (t) => {
  const binding = path.join(root, 'node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node');
  if (!existsSync(binding)) return t.skip('ssh2\'s binding was not compiled here (ssh2 then uses its JavaScript crypto)');
  const r = await runProcess(process.execPath, [path.join(root, 'dist/fleetplan.js'), '--version'], { env: { ...process.env, NODE_DEBUG: 'module' } });
  assert.equal(r.code, 0, r.output);
  assert.ok(r.stderr.includes(`load "${binding}"`), r.stderr.split('\n').filter((l) => l.includes('ssh2')).join('\n'));
});

test('a bin without its bundle says so in one line and exits 70, without a stack trace', async () => {
  const dir = copyOfBuild();
  unlinkSync(path.join(dir, 'dist/fleetplan.cjs'));
  const r = await runProcess(process.execPath, [path.join(dir, 'dist/fleetplan.js'), '--version']);
  assert.equal(r.code, 70, r.output);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^fleetplan: cannot load the command line \(ENOENT: .*fleetplan\.cjs'\): reinstall fleetplan, or run 'npm run build' in a checkout\n$/);
});
