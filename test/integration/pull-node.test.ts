// `fleetplan pull` with the host's Node instead of the single-file executable (docs/pull.md): a
// Debian SysV host whose Node 20 is at /usr/bin/node (where Debian's nodejs package puts it) and
// fleetplan is the npm package installed globally (`npm install -g fleetplan-<version>.tgz`: the
// `fleetplan` command is npm's link to the bundle, run by `#!/usr/bin/env node`). The host has no npm
// and no route out, so the test stands in for the host's package manager: it copies the controller's
// own node binary into the host's root and runs `npm install -g` of this checkout's `npm pack` with
// the host's /usr/local as the prefix (from npm's cache, as test/integration/installed.ts does). The
// role, with `fleetplan_pull_executable` empty, installs only the pull around it; cron's job, run as
// cron would (bare environment, PATH=/usr/bin:/bin), fetches the bundle over HTTPS — through the
// CONNECT proxy the role's fleetplan_pull_https_proxy names (in the host's namespace, like the bundle
// server) — and applies it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BUNDLE_ADDRESS, makeTestCa, PORT, PROXY_ADDRESS, PROXY_PORT, startBundleServer, startConnectProxy, type BundleServer } from '../fleet/bundle-server.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { shQuote } from '../../src/core/quote.js';
import { fleetplan } from './cli.js';
import { installGlobal, pack, packageVersion } from './installed.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const tmp = mkdtempSync('/tmp/fleetplan-pull-node-');
const out = path.join(tmp, 'fleet');
const served = path.join(tmp, 'served');
let fleet: Fleet;
let host = '';
let server: BundleServer | undefined;
let proxy: BundleServer | undefined;

before(async () => {
  if (skip) return;
  const [tarball, booted] = await Promise.all([pack(tmp), up({ os: 'debian-sysv', count: 1, out })]);
  fleet = booted;
  const h = fleet.hosts[0]!;
  host = h.name;
  copyFileSync(process.execPath, path.join(h.rootDir, 'usr/bin/node'));
  chmodSync(path.join(h.rootDir, 'usr/bin/node'), 0o755);
  await installGlobal(tarball, path.join(h.rootDir, 'usr/local'));

  const src = path.join(tmp, 'bundle');
  mkdirSync(path.join(src, 'files'), { recursive: true });
  writeFileSync(path.join(src, 'files', 'marker'), 'node\n');
  writeFileSync(path.join(src, 'local.yml'), '- hosts: localhost\n  tasks:\n    - name: marker\n      copy: { src: marker, dest: /etc/pull-marker }\n');
  mkdirSync(served);
  const tar = spawnSync('tar', ['-C', src, '-czf', path.join(served, 'bundle.tar.gz'), '.'], { encoding: 'utf8' });
  assert.equal(tar.status, 0, tar.stderr);
  const digest = createHash('sha256').update(readFileSync(path.join(served, 'bundle.tar.gz'))).digest('hex');
  const tls = makeTestCa(path.join(tmp, 'ca'), [BUNDLE_ADDRESS]);
  server = await startBundleServer({ tls, netnsPid: h.pid, dirs: { [BUNDLE_ADDRESS]: served }, log: path.join(tmp, 'server.log') });
  proxy = await startConnectProxy({ netnsPid: h.pid, log: path.join(tmp, 'proxy.log') });

  const vars = path.join(tmp, 'vars.yml');
  writeFileSync(vars, [`fleetplan_pull_url: https://${BUNDLE_ADDRESS}:${PORT}/bundle.tar.gz`, `fleetplan_pull_sha256: ${digest}`, `fleetplan_pull_ca_file: ${tls.ca}`, 'fleetplan_pull_splay: 0', `fleetplan_pull_https_proxy: http://${PROXY_ADDRESS}:${PROXY_PORT}`, 'fleetplan_pull_no_proxy: localhost', ''].join('\n'));
  writeFileSync(path.join(tmp, 'install.yml'), '- hosts: all\n  roles: [fleetplan_pull]\n');
  const install = await fleetplan(['apply', path.join(tmp, 'install.yml'), '-i', fleet.inventoryPath, '-e', `@${vars}`]);
  assert.equal(install.code, 0, install.stdout + install.stderr);
});

after(async () => {
  await server?.stop();
  await proxy?.stop();
  if (!skip) await down(out).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

const sh = (cmd: string) => fleet.exec(host, cmd, { timeoutMs: 120_000 });

test("the pull runs with the host's Node and the npm package: cron's job fetches the bundle through the proxy, applies it, the run is recorded", { skip }, async (t) => {
  // What runs is npm's link to the bundle under the host's node, not the single-file executable.
  const t1 = Date.now();
  const what = await sh('readlink /usr/local/bin/fleetplan; head -1 /usr/local/lib/node_modules/fleetplan/dist/fleetplan.js; env -i PATH=/usr/bin:/bin /usr/local/bin/fleetplan --version');
  t.diagnostic(`--version: ${Date.now() - t1} ms`);
  assert.equal(what.stdout, `../lib/node_modules/fleetplan/dist/fleetplan.js\n#!/usr/bin/env node\n${packageVersion}\n`, what.stderr);
  const table = (await sh('cat /etc/cron.d/fleetplan-pull')).stdout.split('\n');
  const job = table[table.findIndex((l) => l.startsWith('#fleetplan: fleetplan pull')) + 1]!.trim().split(/\s+/).slice(6).join(' ');
  const t0 = Date.now();
  const run = await sh(`env -i HOME=/root LOGNAME=root PATH=/usr/bin:/bin SHELL=/bin/sh sh -c ${shQuote(job)}; echo $?`);
  t.diagnostic(`cron's pull with the host's Node: ${Date.now() - t0} ms`);
  const log = (await sh('tail -c 3000 /var/log/fleetplan-pull.log')).stdout;
  assert.equal(run.stdout.trim().split('\n').at(-1), '0', log);
  assert.equal((await sh('cat /etc/pull-marker')).stdout, 'node\n');
  assert.equal(proxy!.log(), `CONNECT ${BUNDLE_ADDRESS}:${PORT}\n`, 'the one fetch went through the proxy');
  const show = await sh('HOME=/root /usr/local/bin/fleetplan history show last --json');
  assert.equal(show.code, 0, show.stderr);
  const record = JSON.parse(show.stdout);
  assert.deepEqual([record.exitCode, record.argv[0]], [0, 'pull']);
  assert.match(record.plan.file, /\/var\/lib\/fleetplan\/pull\/bundles\/[0-9a-f]{64}\/local\.yml$/);
});
