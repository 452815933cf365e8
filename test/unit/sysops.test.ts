// The system operations of issue 17 as data: arguments + a fake host state → the exact changes (or the
// no-op reason), idempotence (planning against the predicted state changes nothing), per-OS backends and
// bad arguments. The integration test (test/integration/plan-sysops.test.ts) runs the same on real hosts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shadowUtils } from '../../src/backends/accounts/shadow-utils.js';
import { systemd } from '../../src/backends/init/systemd.js';
import { bsdrc } from '../../src/backends/init/bsdrc.js';
import { pw } from '../../src/backends/accounts/pw.js';
import { apt } from '../../src/backends/package/apt.js';
import { freebsdPkg } from '../../src/backends/package/freebsd-pkg.js';
import { rpmBackend } from '../../src/backends/package/rpm.js';
import { SecretRegistry } from '../../src/core/secret.js';
import { parseFacts } from '../../src/facts/gather.js';
import { editSources, sourceFileName } from '../../src/ops/apt-repository.js';
import { editCronEnv, editCrontab } from '../../src/ops/cron.js';
import { debconfValue } from '../../src/ops/debconf.js';
import type { OpContext, PlanResult } from '../../src/ops/operation.js';
import { Unresolved } from '../../src/ops/operation.js';
import { operations } from '../../src/ops/registry.js';
import { editRepoFile } from '../../src/ops/yum-repository.js';
import { bootBefore } from '../../src/ops/reboot.js';
import { sha256 } from '../../src/ops/file-content.js';
import { StateView } from '../../src/state/query.js';
import { resourceKey } from '../../src/state/resource.js';

const debian = parseFacts('system=Linux\nos_release.ID=debian\nos_release.VERSION_ID=12\nhas_apt-get=1\nrun_systemd=1\n');
const centos = parseFacts('system=Linux\nos_release.ID=centos\nos_release.VERSION_ID=7\nhas_yum=1\nrun_systemd=1\n');
const freebsd = parseFacts('system=FreeBSD\nos_release.ID=freebsd\nos_release.VERSION_ID=14.1\nhas_pkg=1\n');

function context(facts = debian, secrets = new SecretRegistry()): OpContext {
  const bsd = facts.system === 'FreeBSD';
  return {
    host: 'h1',
    facts,
    vars: {},
    backends: {
      package: bsd ? freebsdPkg : facts.pkg_mgr === 'yum' ? rpmBackend('yum') : apt,
      init: bsd ? bsdrc : systemd,
      accounts: bsd ? pw : shadowUtils,
    },
    controllerPath: (_k, src) => src,
    renderTemplate: () => '',
    noLog: false,
    secrets,
  };
}

/** A file as the state read reports it. */
const file = (content: string) => ({ exists: true, type: 'file', mode: '0644', owner: 'root', group: 'root', sha256: sha256(Buffer.from(content)), content: Buffer.from(content) });
const missing = { exists: false };

type Answer = (key: string) => unknown;

/** Plans `op`; then, with every prediction applied, plans it again: the second plan must change nothing. */
function planTwice(op: string, args: Record<string, unknown>, answer: Answer, ctx = context()): { first: PlanResult; second: PlanResult } {
  const o = operations.get(op)!;
  const r = o.resolve(o.schema.parse(args), ctx);
  const view = new StateView();
  for (const q of o.queries(r, ctx)) view.set(q.key, answer(q.key));
  const first = o.plan(r, view, ctx);
  for (const p of first.effects?.predicts ?? []) {
    // A predicted file carries its content (what the state read would return for the new hash).
    view.predict(p.resource, p.value);
  }
  return { first, second: o.plan(r, view, ctx) };
}

const commands = (p: PlanResult) => p.changes.map((c) => (c.kind === 'run' ? c.command : `write ${c.write.path}`));
const written = (p: PlanResult) => p.changes.flatMap((c) => (c.kind === 'write' ? [c.write.content.toString()] : []));

test('sysctl (Linux): missing file and another running value → the sysctl.d file and sysctl -w; then nothing', () => {
  const answer: Answer = (k) => (k.startsWith('file:') ? missing : { 'net.ipv4.ip_forward': '0' });
  const { first, second } = planTwice('sysctl', { name: 'net.ipv4.ip_forward', value: true }, answer);
  assert.deepEqual(commands(first), ['write /etc/sysctl.d/99-fleetplan.conf', 'sysctl -q -w -- net.ipv4.ip_forward=1']);
  assert.deepEqual(written(first), ['net.ipv4.ip_forward = 1\n']);
  assert.deepEqual(second.changes, []);
  assert.match(second.reason!, /= 1 in \/etc\/sysctl.d\/99-fleetplan.conf and the running kernel/);
});

test('sysctl (FreeBSD): /etc/sysctl.conf with name=value, set with `sysctl name=value`; an existing line is replaced', () => {
  const answer: Answer = (k) => (k.startsWith('file:') ? file('# tuning\nkern.ipc.somaxconn=128\n') : { 'kern.ipc.somaxconn': '128' });
  const { first } = planTwice('sysctl', { name: 'kern.ipc.somaxconn', value: 1024 }, answer, context(freebsd));
  assert.deepEqual(commands(first), ['write /etc/sysctl.conf', 'sysctl -- kern.ipc.somaxconn=1024 >/dev/null']);
  assert.deepEqual(written(first), ['# tuning\nkern.ipc.somaxconn=1024\n']);
});

test('sysctl: a running value equal but for whitespace is the same; absent leaves the running value alone', () => {
  const range = planTwice('sysctl', { name: 'net.ipv4.ip_local_port_range', value: '1024 65000', reload: true }, (k) =>
    k.startsWith('file:') ? file('net.ipv4.ip_local_port_range = 1024 65000\n') : { 'net.ipv4.ip_local_port_range': '1024\t65000' },
  );
  assert.deepEqual(range.first.changes, []);
  const gone = planTwice('sysctl', { name: 'net.ipv4.ip_forward', state: 'absent' }, (k) => (k.startsWith('file:') ? file('a = 1\nnet.ipv4.ip_forward = 1\n') : {}));
  assert.deepEqual(written(gone.first), ['a = 1\n']);
  assert.deepEqual(gone.second.changes, []);
});

test('sysctl: a parameter the kernel does not have cannot be planned (Unresolved, with a hint)', () => {
  assert.throws(
    () => planTwice('sysctl', { name: 'net.ipv4.no_such', value: 1 }, (k) => (k.startsWith('file:') ? missing : { 'net.ipv4.no_such': null })),
    (e: unknown) => e instanceof Unresolved && /no parameter net.ipv4.no_such/.test(e.message),
  );
});

test('sysctl: names are grammar-checked (no option, no path, no `=`), values are one line', () => {
  const schema = operations.get('sysctl')!.schema;
  for (const name of ['-w', 'net/ipv4/../x', 'a=b', 'net.ipv4 .x', '']) assert.equal(schema.safeParse({ name, value: 1 }).success, false, name);
  assert.equal(schema.safeParse({ name: 'net.ipv4.conf.eth0@1.rp_filter', value: 1 }).success, true);
  assert.equal(schema.safeParse({ name: 'vm.swappiness', value: '1\nkernel.x = 2' }).success, false);
  assert.equal(schema.safeParse({ name: 'vm.swappiness' }).success, false, 'present needs a value');
});

test('cron: entries by marker — added, updated in place, an Ansible entry adopted, removed', () => {
  const table = 'MAILTO=root\n#Ansible: backup\n0 1 * * * /usr/local/bin/backup\n';
  assert.equal(editCrontab(table, 'backup', '0 2 * * * /usr/local/bin/backup'), 'MAILTO=root\n#fleetplan: backup\n0 2 * * * /usr/local/bin/backup\n');
  assert.equal(editCrontab(table, 'other', '@daily x'), `${table}#fleetplan: other\n@daily x\n`);
  assert.equal(editCrontab(table, 'backup', null), 'MAILTO=root\n');
  assert.equal(editCrontab('', 'x', null), '');
});

test("cron: a user's crontab through crontab(1), with the crontab's diff; then nothing", () => {
  const answer: Answer = () => ({ available: true, content: '' });
  const { first, second } = planTwice('cron', { name: 'rotate', minute: '*/5', job: '/usr/local/bin/rotate', user: 'fleet' }, answer);
  assert.deepEqual(commands(first), ["printf '%s' '#fleetplan: rotate\n*/5 * * * * /usr/local/bin/rotate\n' | crontab -u fleet -"]);
  const change = first.changes[0]!;
  assert.ok(change.kind === 'run' && change.diff?.before === '' && change.diff.after === '#fleetplan: rotate\n*/5 * * * * /usr/local/bin/rotate\n');
  assert.deepEqual(second.changes, []);
  assert.throws(() => planTwice('cron', { name: 'rotate', job: 'x' }, () => ({ available: false, content: '' })), /no crontab\(1\) on h1/);
});

test('cron: cron_file under /etc/cron.d carries the user; disabled comments the job; the last entry removes the file', () => {
  const { first } = planTwice('cron', { name: 'boot', special_time: 'reboot', job: '/x', user: 'nobody', cron_file: 'fleet', disabled: true }, () => missing);
  assert.deepEqual(written(first), ['#fleetplan: boot\n#@reboot nobody /x\n']);
  const gone = planTwice('cron', { name: 'boot', state: 'absent', cron_file: 'fleet' }, () => file('#fleetplan: boot\n@reboot nobody /x\n'));
  assert.match(commands(gone.first)[0]!, /rm -f -- .*fleet/);
  assert.deepEqual(gone.second.changes, []);
});

test('debconf: a string answer set through debconf-set-selections on stdin; equal → nothing', () => {
  const { first, second } = planTwice('debconf', { name: 'postfix', question: 'postfix/mailname', vtype: 'string', value: 'relay.test' }, () => ({ exists: true, value: 'fleet.test' }));
  assert.deepEqual(commands(first), ["printf '%s\\n' 'postfix postfix/mailname string relay.test' | debconf-set-selections"]);
  assert.equal(first.changes[0]!.description, 'postfix/mailname: "fleet.test" → "relay.test"');
  assert.deepEqual(second.changes, []);
  assert.equal(debconfValue('boolean', 'yes'), 'true');
  assert.equal(debconfValue('multiselect', 'b, a'), 'a, b');
});

test('debconf: a password is compared by hash, registered as a secret, never described', () => {
  const secrets = new SecretRegistry();
  const ctx = context(debian, secrets);
  const same = planTwice('debconf', { name: 'mysql', question: 'mysql/root_pw', vtype: 'password', value: 's3cret!' }, () => ({ exists: true, sha256: sha256(Buffer.from('s3cret!')) }), ctx);
  assert.deepEqual(same.first.changes, []);
  assert.ok(secrets.values().has('s3cret!'));
  const other = planTwice('debconf', { name: 'mysql', question: 'mysql/root_pw', vtype: 'password', value: 's3cret!' }, () => ({ exists: true, sha256: 'x' }), ctx);
  assert.equal(other.first.changes[0]!.description, 'mysql/root_pw: (password changed)');
  assert.equal(secrets.redact(commands(other.first)[0]!).includes('s3cret!'), false);
  assert.deepEqual(other.second.changes, []);
});

test('debconf: not Debian → an error naming the host and its OS', () => {
  assert.throws(() => planTwice('debconf', { name: 'postfix', question: 'postfix/mailname', vtype: 'string', value: 'x' }, () => ({}), context(centos)), /only on Debian .*h1 is centos 7/);
});

test('package: update_cache alone, by age — stale → refresh (then predicted fresh); fresh enough → nothing', () => {
  const stale = planTwice('package', { update_cache: true, cache_valid_time: 3600 }, () => ({ age: 7200 }));
  assert.deepEqual(commands(stale.first), [`${apt.cache!.update} && mkdir -p -- /var/lib/apt/periodic && touch -- /var/lib/apt/periodic/update-success-stamp`]);
  assert.equal(stale.first.reason, 'update the package cache (apt; last updated 7200 s ago)');
  assert.deepEqual(stale.second.changes, []);
  assert.deepEqual(planTwice('package', { cache_valid_time: 3600 }, () => ({ age: 10 })).first.changes, []);
  assert.equal(commands(planTwice('package', { update_cache: true }, () => ({ age: 10 })).first).length, 1, 'without cache_valid_time: every run');
});

test('package: the cache refresh per backend (yum makecache, pkg update) runs before the install', () => {
  const yum = planTwice('package', { name: 'tree', update_cache: true }, (k) => (k.startsWith('package-cache') ? { age: null } : { tree: { installed: null } }), context(centos));
  assert.deepEqual(commands(yum.first), ['yum -q -y makecache && mkdir -p -- /var/cache/yum && touch -- /var/cache/yum/fleetplan-makecache-stamp', 'yum -y install -- tree']);
  const pkg = planTwice('package', { update_cache: true }, () => ({ age: null }), context(freebsd));
  assert.match(commands(pkg.first)[0]!, /^env ASSUME_ALWAYS_YES=yes pkg update -q && /);
  assert.throws(() => planTwice('package', { name: 'mail/postfix', use: 'ports', update_cache: true }, () => ({})), /ports has no package cache/);
});

test('apt_repository: the line appended (a commented copy enabled again), removed, the file gone with its last source', () => {
  const line = 'deb [signed-by=/etc/apt/keyrings/x.asc] https://example.org/debian bookworm main';
  assert.equal(editSources('', line, 'present'), `${line}\n`);
  assert.equal(editSources(`# ${line}\n`, line, 'present'), `${line}\n`);
  assert.equal(editSources(`deb  https://a  b  c\n${line}\n`, 'deb https://a b c', 'absent'), `${line}\n`);
  assert.equal(editSources(`# note\n${line}\n`, line, 'absent'), null);
  assert.equal(sourceFileName(line), 'example.org_debian');
});

test('apt_repository: a change refreshes the indexes; the signed-by key must exist; not apt → error naming the host', () => {
  const line = 'deb [signed-by=/etc/apt/keyrings/x.asc] https://example.org/debian bookworm main';
  const answer = (key: boolean): Answer => (k) => (k.includes('keyrings') ? (key ? file('key') : missing) : missing);
  const { first, second } = planTwice('apt_repository', { repo: line, filename: 'example' }, answer(true));
  assert.deepEqual(commands(first), ['write /etc/apt/sources.list.d/example.list', `${apt.cache!.update} && mkdir -p -- /var/lib/apt/periodic && touch -- /var/lib/apt/periodic/update-success-stamp`]);
  assert.deepEqual(second.changes, []);
  assert.throws(() => planTwice('apt_repository', { repo: line }, answer(false)), (e: unknown) => e instanceof Unresolved && /signed-by key \/etc\/apt\/keyrings\/x.asc/.test(e.message));
  assert.throws(() => planTwice('apt_repository', { repo: line }, answer(true), context(freebsd)), /h1 is freebsd .*with package manager pkg/);
});

test('deb822_repository: the stanza as Ansible writes it', () => {
  const { first } = planTwice(
    'deb822_repository',
    { name: 'example', uris: 'https://example.org/debian', suites: ['bookworm'], components: 'main', signed_by: '/etc/apt/keyrings/x.asc' },
    (k) => (k.includes('keyrings') ? file('key') : missing),
  );
  assert.deepEqual(written(first), ['X-Repolib-Name: example\nTypes: deb\nURIs: https://example.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /etc/apt/keyrings/x.asc\n']);
});

test('yum_repository: EPEL as a section; other sections kept; the file removed with its last section', () => {
  const epel = {
    name: 'epel',
    description: 'EPEL 7 - $basearch',
    metalink: 'https://mirrors.fedoraproject.org/metalink?repo=epel-7&arch=$basearch',
    gpgcheck: true,
    gpgkey: 'file:///etc/pki/rpm-gpg/RPM-GPG-KEY-EPEL-7',
  };
  const { first, second } = planTwice('yum_repository', epel, () => missing, context(centos));
  const text = '[epel]\nname=EPEL 7 - $basearch\nmetalink=https://mirrors.fedoraproject.org/metalink?repo=epel-7&arch=$basearch\nenabled=1\ngpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-EPEL-7\n';
  assert.deepEqual(written(first), [text]);
  assert.deepEqual(second.changes, []);
  assert.equal(editRepoFile('[a]\nx=1\n\n[b]\ny=2\n', 'a', null), '[b]\ny=2\n');
  assert.equal(editRepoFile('[a]\nx=1\n\n[b]\ny=2\n', 'a', ['[a]', 'x=2']), '[a]\nx=2\n\n[b]\ny=2\n');
  assert.equal(editRepoFile('[a]\nx=1\n', 'a', null), null);
  assert.equal(operations.get('yum_repository')!.schema.safeParse({ name: 'epel' }).success, false, 'needs a URL');
});

test('pkg_repository: the repos directory made when missing, the UCL block, pkg update with update_cache', () => {
  // As read on a fresh FreeBSD host: /usr/local/etc/pkg does not exist; the task makes it, so its write is not refused.
  const below = { exists: false, anchor: { logical: '/usr/local/etc', physical: '/usr/local/etc' } };
  const answer: Answer = (k) => (k.includes('update') ? { age: 5 } : k.startsWith('file:') ? below : missing);
  const { first, second } = planTwice('pkg_repository', { name: 'FreeBSD', enabled: false, update_cache: true }, answer, context(freebsd));
  assert.deepEqual(commands(first).slice(0, 2), ['mkdir -p -- /usr/local/etc/pkg/repos && chmod -- 0755 /usr/local/etc/pkg/repos', 'write /usr/local/etc/pkg/repos/FreeBSD.conf']);
  assert.match(commands(first)[2]!, /pkg update -q/);
  assert.deepEqual(written(first), ['FreeBSD: {\n  enabled: no\n}\n']);
  assert.deepEqual(second.changes, []);
});

test('new resources have distinct keys', () => {
  const keys = [
    resourceKey({ kind: 'sysctl', name: 'a' }),
    resourceKey({ kind: 'crontab', name: 'a' }),
    resourceKey({ kind: 'debconf', name: 'a' }),
    resourceKey({ kind: 'package-cache', name: 'a' }),
  ];
  assert.equal(new Set(keys).size, keys.length);
});

test('reboot: reads the boot identity, then schedules shutdown -r in the background; defers every later task in a dry run', () => {
  const linux = planTwice('reboot', {}, () => ({}));
  assert.equal(
    commands(linux.first)[0],
    "_fp_b=$(cat /proc/sys/kernel/random/boot_id) && printf '%s%s\\n' '@@fleetplan-boot ' \"$_fp_b\" && { ( trap '' HUP; sleep 1; shutdown -r now 'Reboot initiated by fleetplan' ) </dev/null >/dev/null 2>&1 & }",
  );
  assert.equal(linux.first.effects?.unpredictable, 'restarts-the-host');
  assert.equal(linux.second.changes.length, 1, 'a reboot always reboots (as in Ansible)');
  const bsd = planTwice('reboot', { pre_reboot_delay: 5, msg: "it's time" }, () => ({}), context(freebsd));
  assert.match(commands(bsd.first)[0]!, /^_fp_b=\$\(sysctl -n kern.boottime\) .*sleep 5; shutdown -r now 'it'\\''s time'/);
  assert.equal(bootBefore('noise\n@@fleetplan-boot 1234-abcd\n'), '1234-abcd');
  assert.equal(bootBefore('nothing'), undefined);
  const schema = operations.get('reboot')!.schema;
  assert.equal(schema.safeParse({ msg: '-h now' }).success, false, 'a message is never an option');
  assert.equal(schema.safeParse({ reboot_timeout: 0 }).success, false);
});

test('reboot: waits for a new boot through reconnects, takes the lock again, then test_command; fails at the deadline', async () => {
  const o = operations.get('reboot')!;
  const r = o.resolve(o.schema.parse({ reboot_timeout: 5, test_command: 'true' }), context());
  const log: string[] = [];
  let boots = ['old', 'old', 'new'];
  const host = {
    async reconnect() {
      log.push('reconnect');
    },
    async relock() {
      log.push('relock');
    },
    interrupted: () => false,
    async script(text: string) {
      log.push(text);
      return { exitCode: 0, stdout: text === 'true' ? '' : `${boots.shift() ?? 'new'}\n`, stderr: '' };
    },
  };
  const done = await o.awaitHost!(r, { exitCode: 0, stdout: '@@fleetplan-boot old\n', stderr: '' }, host);
  assert.deepEqual(done, {});
  assert.deepEqual(log.filter((l) => l === 'reconnect').length, 3, 'until the identity changed');
  assert.deepEqual(log.slice(-2), ['relock', 'true']);
  boots = [];
  const never = o.resolve(o.schema.parse({ reboot_timeout: 1 }), context());
  const stuck = { ...host, script: async () => ({ exitCode: 0, stdout: 'old\n', stderr: '' }) };
  const failed = await o.awaitHost!(never, { exitCode: 0, stdout: '@@fleetplan-boot old\n', stderr: '' }, stuck);
  assert.match(failed.failed!, /did not come back with a new boot within 1 s: still the boot from before the reboot/);
});

test('reboot: Ctrl-C while waiting for the host stops the wait, failing the task', async () => {
  const o = operations.get('reboot')!;
  const r = o.resolve(o.schema.parse({ reboot_timeout: 30 }), context());
  const host = {
    reconnect: async () => undefined,
    relock: async () => undefined,
    interrupted: () => true,
    script: async () => ({ exitCode: 0, stdout: 'old\n', stderr: '' }),
  };
  const t0 = Date.now();
  const res = await o.awaitHost!(r, { exitCode: 0, stdout: '@@fleetplan-boot old\n', stderr: '' }, host);
  assert.match(res.failed!, /interrupted while waiting/);
  assert.ok(Date.now() - t0 < 5000, 'not the whole reboot_timeout');
});

test('cron env: a variable of the table, after the others at the top, replaced in place, removed', () => {
  const table = 'SHELL=/bin/sh\n#fleetplan: x\n@daily x\n';
  assert.equal(editCronEnv(table, 'MAILTO', 'MAILTO=root'), 'SHELL=/bin/sh\nMAILTO=root\n#fleetplan: x\n@daily x\n');
  assert.equal(editCronEnv('#fleetplan: x\n@daily x\n', 'MAILTO', 'MAILTO=a'), 'MAILTO=a\n#fleetplan: x\n@daily x\n');
  assert.equal(editCronEnv('MAILTO=a\n@daily x\n', 'MAILTO', 'MAILTO=b'), 'MAILTO=b\n@daily x\n');
  assert.equal(editCronEnv('MAILTO=a\n', 'MAILTO', null), '');
  const { first, second } = planTwice('cron', { name: 'MAILTO', env: true, job: 'ops@example.org' }, () => ({ available: true, content: '@daily x\n' }));
  assert.equal(first.changes[0]!.kind === 'run' && first.changes[0]!.diff?.after, 'MAILTO=ops@example.org\n@daily x\n');
  assert.deepEqual(second.changes, []);
  const schema = operations.get('cron')!.schema;
  assert.equal(schema.safeParse({ name: 'not a var', env: true, job: 'x' }).success, false);
  assert.equal(schema.safeParse({ name: 'MAILTO', env: true, job: 'x', hour: 3 }).success, false);
});
