// copy of a large file (40 MiB here; the pull role's single-file executable is 102 MiB), streamed over
// an exec's stdin (src/engine/streamed-write.ts), on real SSH hosts (a Debian SysV one and the FreeBSD
// personality): the dry run shows the hashes; the real run writes exactly those bytes with the mode
// asked, with the controller's peak RSS far below the file's multiple (the bytes once travelled in the
// change script: a 20 MB file took 1.6 GB); a second run changes nothing and sends nothing (no exec
// besides the run's one shell, counted in the host's sshd log); a changed file is replaced; the small
// copies around it still run; a symbolic link planted at the destination is not followed; logged in
// as a user, the bytes go through sudo (with and without a password handshake).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan, tasksWith } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-copy-large-');
const MiB = 1024 * 1024;
const SIZE = 40 * MiB;
const big = path.join(out, 'files', 'big.bin');
const plan = path.join(out, 'copy.yml');
const rssFile = path.join(out, 'rss');
const preload = path.join(out, 'rss.cjs');
let fleet: Fleet;

/** The 40 MiB source, written a MiB at a time (the test holds no 40 MiB buffer either); its SHA-256. */
function writeBig(seed: Buffer): string {
  const hash = createHash('sha256');
  const fd = openSync(big, 'w');
  for (let i = 0; i < SIZE / MiB; i++) {
    const chunk = i === 20 ? Buffer.concat([seed, randomBytes(MiB - seed.length)]) : randomBytes(MiB);
    hash.update(chunk);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  return hash.digest('hex');
}

before(async () => {
  if (skip) return;
  fleet = await up({ os: ['debian-sysv', 'freebsd'], count: 1, out });
  mkdirSync(path.join(out, 'files'));
  writeFileSync(path.join(out, 'files', 'small.txt'), 'small\n');
  // The controller's peak RSS, as the kernel counts it, written when fleetplan exits.
  writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`);
  writeFileSync(
    plan,
    [
      'hosts: all',
      'tasks:',
      '  - name: directory',
      '    directory: { path: /opt/big, mode: "0755" }',
      '  - name: small before',
      '    copy: { src: small.txt, dest: /opt/big/before.txt }',
      '  - name: big file',
      '    copy: { src: big.bin, dest: /opt/big/big.bin, mode: "0750" }',
      '  - name: small after',
      '    copy: { src: small.txt, dest: /opt/big/after.txt, mode: "0600" }',
      '',
    ].join('\n'),
  );
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

const run = (...extra: string[]) => fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--json', ...extra], { env: { NODE_OPTIONS: `--require=${preload}` } });
const sessions = async (host: string) => Number((await fleet.exec(host, 'grep -c "Starting session" /var/log/sshd.log || true')).stdout.trim());
const hostFile = async (host: string) => (await fleet.exec(host, 'sha256sum /opt/big/big.bin | cut -c1-64; stat -c %a:%s /opt/big/big.bin; ls -a /opt/big | grep -c fleetplan || true')).stdout.trim().split('\n');
const bigTask = (json: any, host: string) => (json.hosts[host].tasks as any[]).find((t) => t.name === 'big file');
/** The dry run as an operator reads it (console, --diff). */
const checkConsole = () => fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--check', '--diff']);

test('a 40 MiB copy: hashes in the dry run, streamed with bounded memory, nothing sent again, replaced when changed', { skip }, async (t) => {
  const sha1 = writeBig(randomBytes(64));
  const check = await run('--check', '--diff');
  assert.equal(check.code, 0, check.stderr);
  for (const h of fleet.hosts) {
    assert.deepEqual(tasksWith(check.json, h.name, 'changed').sort(), ['big file', 'directory', 'small after', 'small before'], h.name);
    const t = bigTask(check.json, h.name);
    assert.deepEqual([t.diff?.[0]?.masked, t.diff?.[0]?.sha256, t.files?.[0]?.sha256, t.files?.[0]?.mode], ['large file', { after: sha1 }, sha1, '0750'], h.name);
  }
  const shown = await checkConsole();
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(shown.stdout.split(`/opt/big/big.bin: content changed (large file, sha256 ${sha1})`).length - 1, fleet.hosts.length, shown.stdout);

  const before1 = Object.fromEntries(await Promise.all(fleet.hosts.map(async (h) => [h.name, await sessions(h.name)])));
  const first = await run();
  assert.equal(first.code, 0, first.stderr + first.stdout);
  const rss = Number(readFileSync(rssFile, 'utf8')) / 1024;
  t.diagnostic(`controller peak RSS ${rss.toFixed(0)} MB`);
  assert.ok(rss < 200, `controller peak RSS ${rss.toFixed(0)} MB for a 40 MiB copy to ${fleet.hosts.length} hosts`);
  for (const h of fleet.hosts) {
    assert.deepEqual(tasksWith(first.json, h.name, 'changed').sort(), ['big file', 'directory', 'small after', 'small before'], h.name);
    assert.deepEqual(await hostFile(h.name), [sha1, `750:${SIZE}`, '0'], `${h.name}: the bytes, mode and size planned, no temporary directory left`);
    assert.equal((await fleet.exec(h.name, 'cat /opt/big/before.txt /opt/big/after.txt; stat -c %a /opt/big/after.txt')).stdout, 'small\nsmall\n600\n');
    // The run's shell, and one exec for the streamed bytes.
    assert.equal((await sessions(h.name)) - before1[h.name], 2, `${h.name}: exec sessions of the first run`);
  }

  const before2 = Object.fromEntries(await Promise.all(fleet.hosts.map(async (h) => [h.name, await sessions(h.name)])));
  const again = await run();
  assert.equal(again.code, 0, again.stderr);
  for (const h of fleet.hosts) {
    assert.deepEqual(tasksWith(again.json, h.name, 'changed'), [], `${h.name}: a second run changes nothing`);
    assert.equal((await sessions(h.name)) - before2[h.name], 1, `${h.name}: the run's one shell, no exec for the bytes`);
  }

  const sha2 = writeBig(Buffer.from('a changed middle'));
  const check2 = await checkConsole();
  assert.equal(check2.code, 0, check2.stderr);
  assert.equal(check2.stdout.split(`/opt/big/big.bin: content changed (large file, sha256 ${sha1} → ${sha2})`).length - 1, fleet.hosts.length, check2.stdout);
  const third = await run();
  assert.equal(third.code, 0, third.stderr);
  for (const h of fleet.hosts) {
    assert.deepEqual(tasksWith(third.json, h.name, 'changed'), ['big file'], h.name);
    assert.deepEqual(await hostFile(h.name), [sha2, `750:${SIZE}`, '0'], h.name);
  }
});

test('a symbolic link planted at the destination is not followed: the task fails, its target is untouched', { skip }, async () => {
  for (const h of fleet.hosts) {
    const planted = await fleet.exec(h.name, 'echo victim > /etc/victim && rm /opt/big/big.bin && ln -s /etc/victim /opt/big/big.bin && echo planted');
    assert.equal(planted.stdout.trim(), 'planted', planted.stderr);
  }
  const r = await run();
  assert.equal(r.code, 2, r.stderr + r.stdout);
  for (const h of fleet.hosts) {
    assert.deepEqual(tasksWith(r.json, h.name, 'failed'), ['big file'], h.name);
    const left = await fleet.exec(h.name, 'cat /etc/victim; readlink /opt/big/big.bin; ls -a /opt/big | grep -c fleetplan || true');
    assert.equal(left.stdout, 'victim\n/etc/victim\n0\n', `${h.name}: the link and its target as planted`);
  }
});

test('logged in as a user with become (sudo -n; sudo -S with a password): the streamed bytes reach root\'s file', { skip }, async () => {
  const becomePlan = path.join(out, 'become.yml');
  writeFileSync(becomePlan, 'hosts: all\ntasks:\n  - name: medium file\n    copy: { src: medium.bin, dest: /opt/big/medium.bin, mode: "0640" }\n');
  const hosts = fleet.hosts.map((h) => `    ${h.name}: { ssh_host: ${h.address}, ssh_port: ${h.port} }`).join('\n');
  for (const [name, extra] of [['sudo-n', ''], ['sudo-S', ', become_password: not-asked-by-nopasswd']] as const) {
    const inventory = path.join(out, `${name}.yml`);
    writeFileSync(inventory, `all:\n  vars: { ssh_user: fleet, ssh_private_key_file: id_ed25519, ssh_known_hosts_file: known_hosts, become: true${extra} }\n  hosts:\n${hosts}\n`);
    const bytes = randomBytes(3 * MiB);
    writeFileSync(path.join(out, 'files', 'medium.bin'), bytes);
    const r = await fleetplan(['apply', becomePlan, '-i', inventory, '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    for (const h of fleet.hosts) {
      assert.deepEqual(tasksWith(r.json, h.name, 'changed'), ['medium file'], `${name} ${h.name}`);
      const onHost = await fleet.exec(h.name, 'sha256sum /opt/big/medium.bin | cut -c1-64; stat -c %U:%a /opt/big/medium.bin');
      assert.equal(onHost.stdout, `${createHash('sha256').update(bytes).digest('hex')}\nroot:640\n`, `${name} ${h.name}`);
    }
  }
});
