// `fleetplan pull` on the fleet, installed by roles/fleetplan_pull: one host per scheduler — a systemd
// timer (debian-systemd), a cron entry (debian-sysv) and FreeBSD's periodic (freebsd). Each host
// fetches a tarball over HTTPS from a server inside its own network namespace (127.0.60.1, its
// sha256sum file from 127.0.60.2; a throw-away CA, given with --ca-file) and applies it with the
// local connection, with the single-file executable (no Node on the hosts).
//
// What is real and what stands in: the systemd hosts's timer really fires (its period shortened to
// PERIOD_S, splay SPLAY_S). The fleet's SysV and FreeBSD hosts run no cron and no periodic, so the
// test runs the job as they would, when they would: cron's line from /etc/cron.d/fleetplan-pull
// under sh, periodic's daily script. The role installs the 102 MiB executable with `copy`
// (fleetplan_pull_executable), streamed, with the controller's peak RSS bounded; its second run sends
// nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BUNDLE_ADDRESS, DIGEST_ADDRESS, makeTestCa, PORT, startBundleServer, type BundleServer } from '../fleet/bundle-server.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { runProcess } from '../run-process.js';
import { shQuote } from '../../src/core/quote.js';
import { fleetplan, repoRoot } from './cli.js';

const reason = process.platform !== 'linux' || process.arch !== 'x64' ? 'the single-file executable is built for Linux x86-64 only' : unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const tmp = mkdtempSync('/tmp/fleetplan-pull-');
const out = path.join(tmp, 'fleet');
const served = { bundle: path.join(tmp, 'served-bundle'), digest: path.join(tmp, 'served-digest') };
const PERIOD_S = 8;
const SPLAY_S = 2;
/** What "within one timer period" means: the timer starts the pull at most this long after a publication (AccuracySec=1s). */
const ONE_PERIOD_US = BigInt((PERIOD_S + SPLAY_S + 1) * 1_000_000);
/** How long the test waits for a pull to be done: generous, since a loaded machine slows the pull itself, not the timer. */
const WAIT_MS = 3 * (PERIOD_S + SPLAY_S) * 1000 + 30_000;
/** CLOCK_MONOTONIC in µs: the hosts share the controller's kernel, so systemd's monotonic timestamps compare with it. */
const monotonicUs = () => process.hrtime.bigint() / 1000n;
const SYSTEMD = 'deb-systemd-1';
const CRON = 'deb-sysv-1';
const PERIODIC = 'freebsd-1';
let fleet: Fleet;
/** The controller's peak RSS installing the role (the executable's copy), MB. */
let rssMb = 0;
const servers: BundleServer[] = [];

/** A bundle whose plan writes `version` into /etc/pull-marker (and fails when `fail`). */
function bundle(version: string, opts: { fail?: boolean } = {}): Buffer {
  const src = path.join(tmp, `bundle-${version}`);
  mkdirSync(path.join(src, 'files'), { recursive: true });
  writeFileSync(path.join(src, 'files', 'marker'), `${version}\n`);
  const tasks = ['    - name: marker', '      copy: { src: marker, dest: /etc/pull-marker, mode: "0644" }'];
  if (opts.fail) tasks.push('    - name: fails', '      command: "false"');
  writeFileSync(path.join(src, 'local.yml'), ['- name: pulled', '  hosts: localhost', '  tasks:', ...tasks, ''].join('\n'));
  const file = path.join(tmp, `bundle-${version}.tar.gz`);
  const r = spawnSync('tar', ['-C', src, '-czf', file, '.'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
  return readFileSync(file);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Serves `data` as the bundle and `digestOf`'s SHA-256 as its sha256sum file, each replaced by a rename. */
function publish(data: Buffer, digestOf: Buffer = data): void {
  const put = (dir: string, name: string, content: Buffer | string) => {
    writeFileSync(path.join(dir, `.${name}`), content);
    renameSync(path.join(dir, `.${name}`), path.join(dir, name));
  };
  put(served.bundle, 'bundle.tar.gz', data);
  put(served.digest, 'bundle.tar.gz.sha256', `${sha256(digestOf)}  bundle.tar.gz\n`);
}

const sh = async (host: string, cmd: string) => fleet.exec(host, cmd, { timeoutMs: 60_000 });
const marker = async (host: string) => (await sh(host, 'cat /etc/pull-marker 2>/dev/null')).stdout.trim();
const history = async (host: string) => (await sh(host, 'ls /root/.local/state/fleetplan/runs 2>/dev/null')).stdout.split('\n').filter(Boolean).sort();

/** The cron entry's command, run as cron runs it (sh, cron's bare environment); its exit code. */
async function cronJob(): Promise<number> {
  const table = (await sh(CRON, 'cat /etc/cron.d/fleetplan-pull')).stdout.split('\n');
  const job = table[table.findIndex((l) => l.startsWith('#fleetplan: fleetplan pull')) + 1]!.trim().split(/\s+/).slice(6).join(' ');
  assert.match(job, new RegExp(`^/usr/local/sbin/fleetplan-pull --sleep ${SPLAY_S} >> `));
  const r = await sh(CRON, `env -i HOME=/root LOGNAME=root PATH=/usr/bin:/bin SHELL=/bin/sh sh -c ${shQuote(job)}; echo $?`);
  return Number(r.stdout.trim().split('\n').at(-1));
}

/** periodic's daily script, as `periodic daily` runs it; its exit code (0 ok, 3 the pull failed). */
const periodicDaily = async () => (await sh(PERIODIC, 'env -i HOME=/root PATH=/sbin:/bin:/usr/sbin:/usr/bin sh /usr/local/etc/periodic/daily/450.fleetplan-pull >/dev/null; echo $?')).stdout.trim();

async function waitFor(what: string, ms: number, probe: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > ms) assert.fail(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return Date.now() - start;
}

/** The systemd service's last run: its start (monotonic µs) and exit status. */
async function lastTimerRun(): Promise<{ started: bigint; status: number }> {
  const r = await sh(SYSTEMD, 'systemctl show fleetplan-pull.service -p ExecMainStartTimestampMonotonic -p ExecMainStatus -p ActiveState');
  const v = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split('=') as [string, string]));
  return v.ActiveState === 'activating' ? { started: 0n, status: -1 } : { started: BigInt(v.ExecMainStartTimestampMonotonic!), status: Number(v.ExecMainStatus) };
}

/** When the service's latest run started, whether or not it is still running. */
async function timerRunStart(): Promise<bigint> {
  const r = await sh(SYSTEMD, 'systemctl show fleetplan-pull.service -p ExecMainStartTimestampMonotonic --value');
  return BigInt(r.stdout.trim());
}

before(async () => {
  if (skip) return;
  const exe = path.join(tmp, 'sea', 'fleetplan');
  // The executable is built while the hosts boot.
  const [build, booted] = await Promise.all([
    runProcess(process.execPath, [path.join(repoRoot, 'scripts/sea.mjs'), '--out', exe], { cwd: repoRoot, timeoutMs: 120_000 }),
    up({ os: ['debian-systemd', 'debian-sysv', 'freebsd'], count: 1, out }),
  ]);
  fleet = booted;
  assert.equal(build.code, 0, build.output);
  const tls = makeTestCa(path.join(tmp, 'ca'), [BUNDLE_ADDRESS, DIGEST_ADDRESS]);
  mkdirSync(served.bundle);
  mkdirSync(served.digest);
  publish(bundle('v1'));
  for (const h of fleet.hosts) {
    servers.push(await startBundleServer({ tls, netnsPid: h.pid, dirs: { [BUNDLE_ADDRESS]: served.bundle, [DIGEST_ADDRESS]: served.digest }, log: path.join(tmp, `server-${h.name}.log`) }));
  }
  const vars = path.join(tmp, 'pull-vars.yml');
  writeFileSync(vars, [
    `fleetplan_pull_url: https://${BUNDLE_ADDRESS}:${PORT}/bundle.tar.gz`,
    `fleetplan_pull_sha256_url: https://${DIGEST_ADDRESS}:${PORT}/bundle.tar.gz.sha256`,
    `fleetplan_pull_ca_file: ${tls.ca}`,
    'fleetplan_pull_minutes: 1',
    `fleetplan_pull_timer_period: ${PERIOD_S}s`,
    `fleetplan_pull_splay: ${SPLAY_S}`,
    `fleetplan_pull_executable: ${exe}`,
    '',
  ].join('\n'));
  writeFileSync(path.join(tmp, 'install.yml'), '- hosts: all\n  roles: [fleetplan_pull]\n');
  // The controller's peak RSS, as the kernel counts it, written when fleetplan exits.
  const rssFile = path.join(tmp, 'rss');
  writeFileSync(path.join(tmp, 'rss.cjs'), `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`);
  const install = await fleetplan(['apply', path.join(tmp, 'install.yml'), '-i', fleet.inventoryPath, '-e', `@${vars}`], { env: { NODE_OPTIONS: `--require=${path.join(tmp, 'rss.cjs')}` } });
  assert.equal(install.code, 0, install.stdout + install.stderr);
  rssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
  const exeSha = sha256(readFileSync(exe));
  for (const h of fleet.hosts) {
    const onHost = await sh(h.name, 'sha256sum /usr/local/bin/fleetplan | cut -c1-64; stat -c %a /usr/local/bin/fleetplan');
    assert.equal(onHost.stdout, `${exeSha}\n755\n`, `${h.name}: the role's copy of the executable`);
  }
  assert.ok(rssMb < 200, `controller peak RSS ${rssMb.toFixed(0)} MB copying the ${(statSync(exe).size / 1048576).toFixed(0)} MiB executable to ${fleet.hosts.length} hosts`);
  const again = await fleetplan(['apply', path.join(tmp, 'install.yml'), '-i', fleet.inventoryPath, '-e', `@${vars}`, '--json']);
  assert.equal(again.code, 0, again.stderr);
  for (const h of fleet.hosts) assert.equal(again.json.hosts[h.name].changed, 0, `${h.name}: the role changed something on its second run`);
});

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  if (!skip) await down(out).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

const lastApplied = async (host: string) => JSON.parse((await sh(host, 'cat /var/lib/fleetplan/pull/last-applied.json')).stdout) as { digest: string; exitCode: number };
const pullLog = async (host: string) => (await sh(host, 'tail -c 3000 /var/log/fleetplan-pull.log')).stdout;

test('the role installs the pull: the timer, cron and periodic runs apply the bundle, each run recorded', { skip }, async (t) => {
  t.diagnostic(`controller peak RSS installing the role (the executable streamed to ${fleet.hosts.length} hosts): ${rssMb.toFixed(0)} MB`);
  await waitFor(`${SYSTEMD}: the timer's first pull`, WAIT_MS, async () => (await marker(SYSTEMD)) === 'v1');
  assert.equal(await cronJob(), 0, await pullLog(CRON));
  assert.equal(await periodicDaily(), '0', await pullLog(PERIODIC));
  for (const h of [CRON, PERIODIC]) assert.equal(await marker(h), 'v1', h);
  for (const h of [SYSTEMD, CRON, PERIODIC]) {
    const show = await sh(h, 'HOME=/root /usr/local/bin/fleetplan history show last --json');
    assert.equal(show.code, 0, show.stderr);
    const record = JSON.parse(show.stdout);
    assert.equal(record.exitCode, 0, h);
    assert.equal(record.check, false, h);
    assert.match(record.plan.file, /\/var\/lib\/fleetplan\/pull\/bundles\/[0-9a-f]{64}\/local\.yml$/);
    assert.deepEqual(record.argv.slice(0, 1), ['pull'], h);
  }
});

test('a changed bundle converges every host within one timer period', { skip }, async () => {
  const v2 = bundle('v2');
  const before = (await lastTimerRun()).started;
  publish(v2);
  const published = monotonicUs();
  await waitFor(`${SYSTEMD}: v2 after its timer`, WAIT_MS, async () => (await marker(SYSTEMD)) === 'v2');
  // Read at once, running or not: the run that wrote v2 (the next one starts a period later). It may
  // have started before the publication, sleeping its splay, and fetched v2 after it.
  const run = { started: await timerRunStart() };
  assert.ok(run.started > before, 'applied by a run the timer started');
  assert.ok(run.started - published <= ONE_PERIOD_US, `the timer started the pull ${(run.started - published) / 1000n} ms after the publication, more than one period (${PERIOD_S} s) and its splay (${SPLAY_S} s)`);
  assert.equal(await cronJob(), 0, await pullLog(CRON));
  assert.equal(await periodicDaily(), '0', await pullLog(PERIODIC));
  for (const h of [SYSTEMD, CRON, PERIODIC]) {
    assert.equal(await marker(h), 'v2', h);
    assert.deepEqual(await lastApplied(h), { ...(await lastApplied(h)), digest: sha256(v2), exitCode: 0 });
  }
});

test('--only-if-changed: the bundle applied already is fetched and checked, nothing applied', { skip }, async () => {
  const runs = await history(CRON);
  assert.equal(await cronJob(), 0);
  assert.match(await pullLog(CRON), /applied already .*--only-if-changed: nothing to do\n$/);
  assert.deepEqual(await history(CRON), runs, 'no run recorded');
});

test('a bundle whose digest does not match is refused and changes nothing, on every host', { skip }, async () => {
  const v3 = bundle('v3');
  const v2 = readFileSync(path.join(tmp, 'bundle-v2.tar.gz'));
  const runs = Object.fromEntries(await Promise.all([SYSTEMD, CRON, PERIODIC].map(async (h) => [h, await history(h)] as const)));
  const before = (await lastTimerRun()).started;
  publish(v3, v2);
  await waitFor(`${SYSTEMD}: a timer run after the bad bundle`, WAIT_MS, async () => {
    const run = await lastTimerRun();
    return run.started > before && run.status !== -1;
  });
  assert.equal((await lastTimerRun()).status, 4, 'the service exited 4 (refused)');
  const journal = await sh(SYSTEMD, 'journalctl -u fleetplan-pull.service --no-pager -n 20');
  assert.match(journal.stdout, new RegExp(`has SHA-256 ${sha256(v3)}, not the expected ${sha256(v2)}: refused, nothing applied`));
  assert.equal(await cronJob(), 4, await pullLog(CRON));
  assert.equal(await periodicDaily(), '3', await pullLog(PERIODIC));
  assert.match(await pullLog(PERIODIC), /refused, nothing applied/);
  for (const h of [SYSTEMD, CRON, PERIODIC]) {
    assert.equal(await marker(h), 'v2', h);
    assert.equal((await lastApplied(h)).digest, sha256(v2), h);
    assert.deepEqual(await history(h), runs[h], `${h}: no run recorded`);
    const bundles = (await sh(h, 'ls /var/lib/fleetplan/pull/bundles')).stdout.split('\n').filter(Boolean);
    assert.ok(!bundles.some((b) => b.includes(sha256(v3))), `${h}: v3 unpacked`);
  }
});

test('exit codes: a failing plan is 2 and is applied again despite --only-if-changed; an unreachable source is 3', { skip }, async () => {
  const bad = bundle('v4', { fail: true });
  publish(bad);
  const runs = (await history(CRON)).length;
  assert.equal(await cronJob(), 2, await pullLog(CRON));
  assert.equal(await marker(CRON), 'v4');
  assert.deepEqual(await lastApplied(CRON), { ...(await lastApplied(CRON)), digest: sha256(bad), exitCode: 2 });
  assert.equal(await cronJob(), 2, 'not skipped: the last apply of this digest failed');
  assert.equal((await history(CRON)).length, runs + 2);
  const r = await sh(CRON, `/usr/local/bin/fleetplan pull -U https://127.0.60.9:${PORT}/bundle.tar.gz --sha256 ${'0'.repeat(64)} --no-color; echo "exit $?"`);
  assert.match(r.stdout + r.stderr, /error: pull: cannot fetch https:\/\/127\.0\.60\.9:8443\/bundle\.tar\.gz: connect ECONNREFUSED/);
  assert.match(r.stdout, /exit 3$/m);
});
