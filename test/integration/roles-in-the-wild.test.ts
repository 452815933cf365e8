// Roles written the way popular public Postfix and OpenDKIM roles are (test/roles-in-the-wild: Ansible's
// layout, FQCN names, asserts on inputs, set_fact when undefined, per-OS vars and include_tasks,
// debconf in a loop, templates looping over dicts, notify lists, flush_handlers, probes with
// register/changed_when, fetch and slurp to the controller, run_once + delegate_to localhost in a later
// play over hostvars/groups, dict2items/combine/b64decode helpers),
// run on two relays of different OS families: validate, a dry run that predicts the real run, the real
// run (state checked on the hosts: postfix check, opendkim -n, the milter signing), and a re-run that
// changes nothing.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, repoRoot, tasksWith } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-wild-');
const dir = path.join(repoRoot, 'test/roles-in-the-wild');
const plan = path.join(dir, 'site.yml');
const DEB = 'deb-sysv-1';
const EL = 'c7-1';
let fleet: Fleet;
let inventory: string;
let controllerDir: string;

before(async () => {
  if (skip) return;
  fleet = await up({ os: ['debian-sysv', 'centos7'], count: 1, out });
  // The example inventory, with the fleet's addresses and key files in place of its ssh_host lines.
  const inv = YAML.parse(readFileSync(path.join(dir, 'inventory.yml'), 'utf8'));
  Object.assign(inv.all.vars, { ssh_private_key_file: fleet.keyPath, ssh_known_hosts_file: fleet.knownHostsPath });
  for (const h of fleet.hosts) Object.assign(inv.all.children.relays.hosts[h.name], { ssh_host: h.address, ssh_port: h.port });
  inventory = path.join(out, 'inventory.yml');
  writeFileSync(inventory, YAML.stringify(inv));
  controllerDir = path.join(out, 'controller');
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

const run = (...extra: string[]) => fleetplan(['apply', plan, '-i', inventory, '-e', `controller_dir=${controllerDir}`, '--json', ...extra]);
/** The results of a task on a host (one per loop item: their names end in ' (<label>)'). */
const task = (json: any, host: string, name: string) => (json.hosts[host].tasks as any[]).filter((t) => !t.handler && (t.name === name || t.name.startsWith(`${name} (`)));
const sh = async (host: string, cmd: string) => fleet.exec(host, cmd);

let check: any;
let applied: any;

test('validate: the roles load as written (FQCN structure modules, tasks/main.yml layout, defined guards)', { skip }, async () => {
  const r = await fleetplan(['validate', plan, '-i', inventory, '-e', `controller_dir=${controllerDir}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /valid \(2 play\(s\), \d+ task\(s\), 2 host\(s\)\)/);
});

test('dry run: per-OS tasks, guards and probes as predicted; nothing changes on the hosts', { skip, timeout: 60_000 }, async () => {
  const before = await sh(DEB, 'md5sum /etc/postfix/main.cf; debconf-show postfix | grep -c "main_mailer_type: Internet Site"');
  const r = await run('--check');
  assert.equal(r.code, 0, r.stderr);
  check = r.json;
  // include_tasks per OS family: debconf only on Debian.
  assert.equal(task(check, DEB, 'preseed the postfix package questions').length, 2, 'one per debconf selection');
  assert.equal(task(check, EL, 'preseed the postfix package questions').length, 0);
  // Optional variables guarded by `defined`: only the host that sets them gets the task.
  assert.equal(task(check, DEB, 'smarthost, when the inventory names one')[0].status, 'skipped');
  assert.equal(task(check, EL, 'smarthost, when the inventory names one')[0].status, 'changed');
  assert.equal(task(check, DEB, 'extra main.cf lines, when the inventory gives some')[0].status, 'skipped');
  assert.equal(task(check, EL, 'extra main.cf lines, when the inventory gives some')[0].status, 'changed');
  // set_fact only where the inventory leaves the variable undefined.
  assert.equal(task(check, DEB, 'mailname defaults to the mail domain')[0].status, 'ok');
  assert.equal(task(check, EL, 'mailname defaults to the mail domain')[0].status, 'skipped');
  // A check_mode: false probe runs in the dry run; the condition reading it is decided.
  assert.equal(task(check, DEB, 'postfix version (a read-only probe, also run in a dry run)')[0].status, 'ok');
  assert.notEqual(task(check, DEB, 'compatibility level of Postfix 3')[0].status, 'skipped');
  // A probe that does not run in check mode: the assertion reading it is deferred, naming it.
  const answers = task(check, DEB, 'postfix answers')[0];
  assert.match(`${answers.depends_on} ${answers.reason}`, /postfix (check|status)/);
  // run_once + delegate_to localhost (a later play): planned once, reported on the other relay; what
  // it writes reads the other relays' DKIM records (hostvars), unknown until the keys exist: deferred.
  const dns = (h: string) => task(check, h, 'DNS records of every relay, written once on the controller')[0];
  const runner = /^run once on /.test(dns(EL).reason) ? DEB : EL;
  const other = runner === DEB ? EL : DEB;
  assert.match(dns(other).reason, new RegExp(`^run once on ${runner}`));
  assert.doesNotMatch(dns(runner).reason ?? '', /run once on/);
  assert.match(dns(runner).depends_on ?? '', /the DNS record/, JSON.stringify(dns(runner)));
  assert.equal(existsSync(controllerDir), false, 'a dry run writes nothing on the controller');
  assert.equal((await sh(DEB, 'md5sum /etc/postfix/main.cf; debconf-show postfix | grep -c "main_mailer_type: Internet Site"')).stdout, before.stdout);
  assert.equal((await sh(EL, 'test -e /usr/sbin/opendkim && echo installed || echo absent')).stdout, 'absent\n');
});

test('apply: what the dry run predicted; postfix check, opendkim -n and the milter pass on both hosts', { skip, timeout: 90_000 }, async () => {
  assert.ok(check, 'needs the dry run');
  const r = await run();
  assert.equal(r.code, 0, r.stderr);
  applied = r.json;
  for (const h of [DEB, EL]) assertPredicted(check, applied, h);
  for (const h of [DEB, EL]) {
    assert.equal((await sh(h, 'postfix check && echo ok')).stdout, 'ok\n', `${h}: postfix check`);
    assert.equal((await sh(h, 'opendkim -n -x /etc/opendkim.conf && echo ok')).stdout, 'ok\n', `${h}: opendkim -n`);
    const conf = (await sh(h, 'postconf -h smtpd_milters non_smtpd_milters myorigin transport_maps')).stdout;
    assert.equal(conf, 'inet:localhost:8891\ninet:localhost:8891\nexample.org\nhash:/etc/postfix/transport\n', h);
    assert.match((await sh(h, 'postmap -q example.net hash:/etc/postfix/transport')).stdout, /^smtp:\[mx\.example\.net\]:25$/m, `${h}: the handler built the map`);
    assert.equal((await sh(h, 'postfix status >/dev/null 2>&1 && echo running')).stdout, 'running\n', `${h}: postfix runs`);
    // TrustedHosts lists every relay, from groups + hostvars.
    assert.match((await sh(h, 'cat /etc/opendkim/TrustedHosts')).stdout, /192\.0\.2\.11\n192\.0\.2\.12\n/, h);
  }
  // Per-OS: debconf preseeded on Debian; the per-host selector and optional lines on EL.
  assert.match((await sh(DEB, 'debconf-show postfix')).stdout, /main_mailer_type: Internet Site/);
  assert.equal((await sh(EL, 'test -s /etc/opendkim/keys/example.org/el7.private && postconf -h smtp_tls_security_level')).stdout, 'may\n');
  assert.equal((await sh(EL, 'postconf -h relayhost')).stdout, '[smtp.example.net]:587\n');
  // The role's main.cf dict combined with the inventory's (dict2items of combine).
  assert.equal((await sh(DEB, 'postconf -h smtpd_banner')).stdout, '$myhostname ESMTP\n');
  assert.equal((await sh(EL, 'postconf -h smtpd_banner')).stdout, '$myhostname ESMTP relay\n');
  assert.equal((await sh(DEB, 'cat /etc/mailname')).stdout, 'example.org\n', 'set_fact where undefined');
  assert.equal((await sh(EL, 'cat /etc/mailname')).stdout, 'relay2.example.org\n', "the inventory's value where defined");
  // The milter signs: a message submitted locally is queued (its destination is unreachable) with a DKIM-Signature.
  for (const h of [DEB, EL]) {
    const sel = h === EL ? 'el7' : 'mail';
    await sh(h, "printf 'From: a@example.org\\nTo: b@example.net\\nSubject: t\\n\\nhello\\n' | sendmail -f a@example.org b@example.net");
    const signed = await sh(h, 'for i in $(seq 50); do for id in $(postqueue -p | sed -n "s/^\\([0-9A-F]\\{6,\\}\\)[* !].*/\\1/p"); do postcat -hq $id; done | grep -m1 "^DKIM-Signature" && break; sleep 0.1; done');
    assert.match(signed.stdout, new RegExp(`^DKIM-Signature: .*d=example\\.org; s=${sel};`), `${h}: ${signed.stdout}${signed.stderr}`);
  }
  // fetch and the run_once template delegated to the controller.
  for (const h of [DEB, EL]) {
    const sel = h === EL ? 'el7' : 'mail';
    assert.match(readFileSync(path.join(controllerDir, 'keys', h, `etc/opendkim/keys/example.org/${sel}.txt`), 'utf8'), /v=DKIM1/);
  }
  // The records file, written once on the controller from every relay's set_fact (hostvars of a later play).
  const records = readFileSync(path.join(controllerDir, 'dkim-records.txt'), 'utf8');
  for (const h of [DEB, EL]) {
    const sel = h === EL ? 'el7' : 'mail';
    const txt = readFileSync(path.join(controllerDir, 'keys', h, `etc/opendkim/keys/example.org/${sel}.txt`), 'utf8');
    assert.ok(records.includes(`; ${h}\n${txt.trim()}\n`), `${h}'s record in:\n${records}`);
  }
  const ran = [DEB, EL].filter((h) => !/^run once on/.test(task(applied, h, 'DNS records of every relay, written once on the controller')[0].reason));
  assert.equal(ran.length, 1, 'written by one host');
});

test('re-run: nothing changes on either host', { skip, timeout: 60_000 }, async () => {
  assert.ok(applied, 'needs the real run');
  const r = await run('--detailed-exitcode');
  assert.equal(r.code, 0, r.stderr);
  for (const h of [DEB, EL]) assert.deepEqual(tasksWith(r.json, h, 'changed'), [], h);
  assert.equal(task(r.json, DEB, 'postfix answers')[0].status, 'ok');
  assert.equal(task(r.json, EL, 'opendkim accepts its configuration')[0].status, 'ok');
});
