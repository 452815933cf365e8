// Faults on real hosts: a connection dropped mid-task, a host that hangs at connect, a command that
// hangs — each reported with host, task and cause while the other hosts finish, and a re-run
// converges. Host keys: a changed key always fails loudly; an unknown one fails with its
// fingerprint and the line to add unless --accept-new-hostkeys, which records it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan, tasksWith } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-faults-');
let fleet: Fleet;
let inventory: string;
let hang: Server | undefined;
const sockets: Socket[] = [];

const slowPlan = () => {
  const p = path.join(out, 'slow.yml');
  writeFileSync(
    p,
    `hosts: all
tasks:
  - name: slow step
    command: { cmd: "sleep 4 && touch /var/tmp/slow-done", creates: /var/tmp/slow-done }
  - name: after the slow step
    file: { path: /var/tmp/after-slow, content: "done\\n" }
`,
  );
  return p;
};

before(async () => {
  if (skip) return;
  fleet = await up({ os: 'debian-sysv', count: 3, out: path.join(out, 'fleet') });
  inventory = path.join(out, 'inventory.yml');
  writeFileSync(
    inventory,
    readFileSync(fleet.inventoryPath, 'utf8')
      .replace('ssh_private_key_file: id_ed25519', `ssh_private_key_file: ${fleet.keyPath}`)
      .replace('ssh_known_hosts_file: known_hosts', `ssh_known_hosts_file: ${fleet.knownHostsPath}`),
  );
});
after(async () => {
  if (!out) return;
  for (const s of sockets) s.destroy();
  hang?.close();
  await down(path.join(out, 'fleet')).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

test('a connection dropped mid-task: that host is reported with task and cause, the others finish, a re-run converges', { skip }, async () => {
  const plan = slowPlan();
  const running = fleetplan(['apply', plan, '-i', inventory, '--json']);
  await new Promise((r) => setTimeout(r, 2000));
  await fleet.killSshd('deb-sysv-2');
  const r = await running;
  assert.equal(r.code, 2, r.stderr);
  const dropped = r.json.hosts['deb-sysv-2'].tasks.find((t: any) => t.status === 'failed');
  assert.equal(dropped.name, 'slow step');
  assert.match(dropped.error, /deb-sysv-2/);
  assert.match(dropped.error, /(closed|lost|reset|ended)/i);
  for (const h of ['deb-sysv-1', 'deb-sysv-3']) assert.deepEqual(tasksWith(r.json, h, 'changed'), ['slow step', 'after the slow step'], h);
  const again = await fleetplan(['apply', plan, '-i', inventory, '--json']);
  assert.equal(again.code, 0, again.stderr + JSON.stringify(again.json?.hosts['deb-sysv-2']));
  // The command may have finished on the host after the connection dropped (then its guard says so).
  assert.ok(tasksWith(again.json, 'deb-sysv-2', 'changed').includes('after the slow step'));
  const st = await fleet.exec('deb-sysv-2', 'cat /var/tmp/after-slow; test -e /var/tmp/slow-done && echo slow-done');
  assert.equal(st.stdout, 'done\nslow-done\n');
  assert.match((again.json.hosts['deb-sysv-2'].notes ?? []).join(''), /took over a stale run lock/);
  assert.deepEqual(tasksWith(again.json, 'deb-sysv-1', 'changed'), []);
});

test('a host that hangs at connect and a command that hangs: both time out, named, the others finish', { skip }, async () => {
  // A listener that accepts and never speaks SSH (loopback only).
  hang = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => hang!.listen(0, '127.0.0.1', () => r()));
  const port = (hang.address() as { port: number }).port;
  const inv = path.join(out, 'hang-inventory.yml');
  writeFileSync(inv, readFileSync(inventory, 'utf8') + `    stuck:\n      hosts:\n        frozen-1: { ssh_host: 127.0.0.1, ssh_port: ${port} }\n`);
  const plan = path.join(out, 'hang.yml');
  writeFileSync(plan, `hosts: all\ntasks:\n  - name: hangs on deb-sysv-3\n    command: "if [ $(hostname) = deb-sysv-3 ]; then sleep 60; fi"\n`);
  const t0 = Date.now();
  const r = await fleetplan(['apply', plan, '-i', inv, '--json', '--connect-timeout', '2', '--timeout', '3']);
  assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.json.hosts['frozen-1'].unreachable, true);
  assert.match(r.json.hosts['frozen-1'].error, /frozen-1.*no SSH handshake within 2000 ms/);
  const hung = r.json.hosts['deb-sysv-3'].tasks[0];
  assert.equal(hung.status, 'failed');
  assert.match(hung.error, /timed out after 3000 ms on deb-sysv-3/);
  for (const h of ['deb-sysv-1', 'deb-sysv-2']) assert.equal(r.json.hosts[h].failed, 0, h);
});

test('host keys: a changed key always fails loudly; an unknown key gives its fingerprint and line; --accept-new-hostkeys records it', { skip }, async () => {
  const plan = path.join(out, 'noop.yml');
  writeFileSync(plan, 'hosts: all\ntasks:\n  - name: noop\n    command: "true"\n');
  // deb-sysv-1 gets a new host key (as after a reinstall — or an attacker).
  const regen = await fleet.exec('deb-sysv-1', "rm -f /etc/ssh/ssh_host_ed25519_key* && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && echo ok");
  assert.equal(regen.stdout.trim(), 'ok', regen.stderr);
  for (const extra of [[], ['--accept-new-hostkeys']]) {
    const r = await fleetplan(['apply', plan, '-i', inventory, '--json', ...extra]);
    assert.equal(r.code, 3);
    assert.equal(r.json.hosts['deb-sysv-1'].unreachable, true);
    assert.match(r.json.hosts['deb-sysv-1'].error, /HOST KEY CHANGED.*SHA256:/s);
    assert.equal(r.json.hosts['deb-sysv-2'].failed, 0);
  }
  // An inventory whose known_hosts does not list deb-sysv-2 at all.
  const known = path.join(out, 'partial_known_hosts');
  const addr2 = fleet.hosts.find((h) => h.name === 'deb-sysv-2')!.address;
  writeFileSync(known, readFileSync(fleet.knownHostsPath, 'utf8').split('\n').filter((l) => !l.startsWith(`${addr2} `)).join('\n'));
  const inv = path.join(out, 'partial-inventory.yml');
  writeFileSync(inv, readFileSync(inventory, 'utf8').replace(fleet.knownHostsPath, known));
  const unknown = await fleetplan(['apply', plan, '-i', inv, '--json', '--limit', 'deb-sysv-2']);
  assert.equal(unknown.code, 3);
  assert.match(unknown.json.hosts['deb-sysv-2'].error, /SHA256:\S+/);
  assert.match(unknown.json.hosts['deb-sysv-2'].error, new RegExp(`${addr2.replace(/\./g, '\\.')} ssh-ed25519 AAAA`));
  const tofu = await fleetplan(['apply', plan, '-i', inv, '--json', '--limit', 'deb-sysv-2', '--accept-new-hostkeys']);
  assert.equal(tofu.code, 0, tofu.stderr + JSON.stringify(tofu.json?.hosts));
  assert.match(readFileSync(known, 'utf8'), new RegExp(`^${addr2.replace(/\./g, '\\.')} ssh-ed25519 `, 'm'));
  const later = await fleetplan(['apply', plan, '-i', inv, '--json', '--limit', 'deb-sysv-2']);
  assert.equal(later.code, 0, 'the recorded key is trusted from now on');
});
