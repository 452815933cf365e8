// Operations as data: arguments + current state → the exact commands (or the no-op reason).
// Cheap and exhaustive; the integration tests prove the same code against real hosts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apt } from '../../src/backends/package/apt.js';
import { systemd } from '../../src/backends/init/systemd.js';
import { shadowUtils } from '../../src/backends/accounts/shadow-utils.js';
import { parseFacts } from '../../src/facts/gather.js';
import { operations } from '../../src/ops/registry.js';
import { Unresolved, type OpContext, type PlanResult } from '../../src/ops/operation.js';
import { sha256 } from '../../src/ops/file-content.js';
import { StateView } from '../../src/state/query.js';

const ctx: OpContext = {
  host: 'h1',
  facts: parseFacts('system=Linux\nos_release.ID=debian\nhas_apt-get=1\nrun_systemd=1\n'),
  vars: {},
  backends: { package: apt, init: systemd, accounts: shadowUtils },
  controllerPath: (_k, src) => src,
  renderTemplate: () => 'rendered\n',
  noLog: false,
};

/** Plans `op` with `args`, answering each of its queries with `answer(key)`. */
function plan(op: string, args: Record<string, unknown>, answer: (key: string) => unknown, view = new StateView()): PlanResult {
  const o = operations.get(op)!;
  const parsed = o.schema.parse(args);
  const r = o.resolve(parsed, ctx);
  for (const q of o.queries(r, ctx)) view.set(q.key, answer(q.key));
  return o.plan(r, view, ctx);
}

const commands = (p: PlanResult) => p.changes.map((c) => (c.kind === 'run' ? c.command : `write ${c.write.path} ${c.write.mode}`));

test('file: absent → write with mode and a diff from nothing', () => {
  const p = plan('file', { path: '/etc/x', content: 'a\n', mode: '0600' }, () => ({ exists: false }));
  assert.deepEqual(commands(p), ['write /etc/x 0600']);
  const c = p.changes[0]!;
  assert.ok(c.kind === 'write' && c.diff?.before === null && c.diff.after === 'a\n');
});

test('file: same hash and attributes → nothing to do', () => {
  const st = { exists: true, type: 'file', mode: '0600', owner: 'root', group: 'root', sha256: sha256(Buffer.from('a\n')) };
  const p = plan('file', { path: '/etc/x', content: 'a\n', mode: '0600', owner: 'root' }, () => st);
  assert.deepEqual(p.changes, []);
  assert.match(p.reason!, /up to date/);
});

test('file: same content, wrong mode and group → chown/chmod only, no write', () => {
  const st = { exists: true, type: 'file', mode: '0644', owner: 'root', group: 'root', sha256: sha256(Buffer.from('a\n')) };
  const p = plan('file', { path: '/etc/x', content: 'a\n', mode: '0640', group: 'postfix' }, () => st);
  assert.deepEqual(commands(p), ['chown -h -- :postfix /etc/x && chmod -- 0640 /etc/x']);
});

test('file: no_log masks the diff content', () => {
  const o = operations.get('file')!;
  const r = o.resolve(o.schema.parse({ path: '/p', content: 'secret\n' }), { ...ctx, noLog: true });
  const v = new StateView();
  for (const q of o.queries(r, ctx)) v.set(q.key, { exists: false });
  const p = o.plan(r, v, { ...ctx, noLog: true });
  const c = p.changes[0]!;
  assert.ok(c.kind === 'write' && c.diff?.masked === 'secret' && c.diff.after === null);
});

test('template: renders through the context and plans a write', () => {
  const p = plan('template', { src: 'main.cf.hbs', dest: '/etc/postfix/main.cf' }, () => ({ exists: false }));
  assert.deepEqual(commands(p), ['write /etc/postfix/main.cf 0644']);
});

test('line: missing file → Unresolved (check mode turns this into "depends on")', () => {
  assert.throws(() => plan('line', { path: '/etc/postfix/main.cf', key: 'relayhost', value: 'x' }, () => ({ exists: false })), Unresolved);
});

test('line: edits the fetched content', () => {
  const content = Buffer.from('relayhost =\n');
  const st = { exists: true, type: 'file', mode: '0644', owner: 'root', group: 'root', sha256: sha256(content), content };
  const p = plan('line', { path: '/etc/postfix/main.cf', key: 'relayhost', value: '[smtp]:587' }, () => st);
  const c = p.changes[0]!;
  assert.ok(c.kind === 'write');
  assert.equal(c.write.content.toString(), 'relayhost = [smtp]:587\n');
});

test('directory: missing → mkdir -p with attributes', () => {
  const p = plan('directory', { path: '/var/db/dkim', owner: 'opendkim', mode: '0750' }, () => ({ exists: false }));
  assert.deepEqual(commands(p), ['mkdir -p -- /var/db/dkim && chown -h -- opendkim /var/db/dkim && chmod -- 0750 /var/db/dkim']);
});

test('command: guards decide, the reason says why', () => {
  const created = plan('command', { cmd: 'opendkim-genkey -D /k', creates: '/k/s.private' }, () => ({ exists: true }));
  assert.deepEqual(created.changes, []);
  assert.match(created.reason!, /exists \(creates\)/);
  const run = plan('command', { cmd: 'postmap /etc/postfix/sasl_passwd', creates: '/x.db' }, () => ({ exists: false }));
  assert.deepEqual(commands(run), ['postmap /etc/postfix/sasl_passwd']);
  assert.equal(run.opaque, true);
  assert.equal(run.mayCreateAnything, false, 'creates declares the effect');
  assert.equal(plan('command', { cmd: 'make install' }, () => ({})).mayCreateAnything, true);
  const unless = plan('command', { cmd: 'x', unless: 'grep -q y /z' }, () => ({ exitCode: 0 }));
  assert.deepEqual(unless.changes, []);
  const env = plan('command', { cmd: 'echo "$A"', env: { A: "it's" }, chdir: '/tmp' }, () => ({}));
  assert.deepEqual(commands(env), [`cd /tmp && export A='it'\\''s' && eval 'echo "$A"'`]);
});

test('package: installs only what is missing, in one command', () => {
  const p = plan('package', { name: ['postfix', 'libsasl2-modules'] }, () => ({ postfix: { installed: '3.7' }, 'libsasl2-modules': { installed: null } }));
  assert.equal(p.changes.length, 1);
  assert.match(commands(p)[0]!, /apt-get .* install libsasl2-modules$/);
  const none = plan('package', { name: 'postfix' }, () => ({ postfix: { installed: '3.7' } }));
  assert.deepEqual(none.changes, []);
  const absent = plan('package', { name: 'sendmail', state: 'absent' }, () => ({ sendmail: { installed: '8' } }));
  assert.match(commands(absent)[0]!, /remove sendmail$/);
});

test('package: a prediction from an earlier task is what a later one sees', () => {
  const view = new StateView();
  view.predict('package:postfix', { installed: 'predicted' });
  const p = plan('package', { name: 'postfix' }, () => ({ postfix: { installed: null } }), view);
  assert.deepEqual(p.changes, []);
});

test('service: start + enable, stop + disable, unknown → Unresolved, restarted always acts', () => {
  const down = { postfix: { exists: true, running: false, enabled: false } };
  assert.deepEqual(commands(plan('service', { name: 'postfix', state: 'started', enabled: true }, () => down)), [
    'systemctl start postfix',
    'systemctl enable --no-reload postfix',
  ]);
  const up = { sendmail: { exists: true, running: true, enabled: true } };
  assert.deepEqual(commands(plan('service', { name: 'sendmail', state: 'stopped', enabled: false }, () => up)), [
    'systemctl stop sendmail',
    'systemctl disable --no-reload sendmail',
  ]);
  assert.deepEqual(plan('service', { name: 'sendmail', state: 'started', enabled: true }, () => up).changes, []);
  assert.throws(() => plan('service', { name: 'nope', state: 'started' }, () => ({ nope: { exists: false, running: false, enabled: false } })), Unresolved);
  assert.deepEqual(commands(plan('service', { name: 'sendmail', state: 'restarted' }, () => up)), ['systemctl restart sendmail']);
});

test('user: adds missing supplementary groups only', () => {
  const p = plan('user', { name: 'postfix', groups: ['opendkim', 'postfix'] }, (key) =>
    key.startsWith('user:') ? { exists: true, uid: 100, primaryGroup: 'postfix', groups: ['postfix'] } : { exists: true, gid: 5 },
  );
  assert.deepEqual(commands(p), ['usermod -a -G opendkim postfix']);
  const missingGroup = () =>
    plan('user', { name: 'postfix', groups: ['nogroup2'] }, (key) => (key.startsWith('user:') ? { exists: true, groups: ['postfix'] } : { exists: false }));
  assert.throws(missingGroup, Unresolved);
});

test('group: create when missing', () => {
  assert.deepEqual(commands(plan('group', { name: 'dkim', system: true }, () => ({ exists: false }))), ['groupadd -r dkim']);
});

test('schemas reject unknown arguments and wrong types', () => {
  assert.equal(operations.get('file')!.schema.safeParse({ path: '/x', modee: '0644' }).success, false);
  assert.equal(operations.get('file')!.schema.safeParse({ path: '/x', mode: 644 }).success, false);
  assert.equal(operations.get('service')!.schema.safeParse({ name: 'x' }).success, false);
});

test('settings: several key = value lines in one write; null removes; "Key value" files', async () => {
  const { applySettings } = await import('../../src/ops/settings.js');
  const maincf = 'myhostname = old\nrelayhost =\nsmtpd_milters = a\n    b\n';
  assert.equal(
    applySettings(maincf, { values: { relayhost: '[smtp.example.net]:587', smtpd_milters: null, smtp_tls_security_level: 'may' }, separator: ' = ', continuation: true }),
    'myhostname = old\nrelayhost = [smtp.example.net]:587\nsmtp_tls_security_level = may\n',
  );
  assert.equal(applySettings('Mode\tv\n#Socket x\n', { values: { Mode: 'sv', Socket: 'inet:8891@localhost' }, separator: ' ', continuation: false }), 'Mode sv\n#Socket x\nSocket inet:8891@localhost\n');
  const st = { exists: true, type: 'file', mode: '0644', owner: 'root', group: 'root', sha256: 'x', content: Buffer.from(maincf) };
  const p = plan('settings', { path: '/etc/postfix/main.cf', values: { relayhost: 'r' }, continuation: true }, () => st);
  assert.equal(p.changes.length, 1);
});

test('service: ignore_missing makes "stopped and disabled" true of a service that is not installed', () => {
  const none = () => ({ sendmail: { exists: false, running: false, enabled: false } });
  assert.deepEqual(plan('service', { name: 'sendmail', state: 'stopped', enabled: false, ignore_missing: true }, none).changes, []);
  assert.throws(() => plan('service', { name: 'sendmail', state: 'started', ignore_missing: true }, none), Unresolved);
});
