// Operations as data: arguments + current state → the exact commands (or the no-op reason).
// Cheap and exhaustive; the integration tests prove the same code against real hosts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apt } from '../../src/backends/package/apt.js';
import { operations } from '../../src/ops/registry.js';
import { Unresolved, type OpContext, type PlanResult } from '../../src/ops/operation.js';
import { sha256 } from '../../src/ops/file-content.js';
import { StateView } from '../../src/state/query.js';
import { SecretRegistry } from '../../src/core/secret.js';
import { debianOpContext } from './op-context.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const ctx: OpContext = debianOpContext({ renderTemplate: () => 'rendered\n', secrets: testSecrets });

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

// Symbolic links and directories a host user may write (docs/security.md, "Symlinks and paths a host user controls").
const home = { logical: '/home/u', physical: '/home/u' };
const userLink = { exists: true, type: 'link', mode: '0777', owner: 'u', group: 'u', linked: true, anchor: home, userWritable: { path: '/home/u', owner: 'u' }, link: { target: '/etc/shadow', owner: 'u', uid: 1000, userWritable: { path: '/home/u', owner: 'u' } } };

test('file, copy, template, directory: a link at the path is refused naming the path, its target and owner', () => {
  const re = /\/home\/u\/x is a symbolic link to \/etc\/shadow owned by u; refusing to follow it \(follow: true acts on its target\)$/;
  assert.throws(() => plan('file', { path: '/home/u/x', content: 'a\n' }, () => userLink), re);
  assert.throws(() => plan('file', { path: '/home/u/x', mode: '0600' }, () => userLink), re);
  assert.throws(() => plan('copy', { src: 'package.json', dest: '/home/u/x' }, () => userLink), re);
  assert.throws(() => plan('template', { src: 't.hbs', dest: '/home/u/x' }, () => userLink), re);
  assert.throws(() => plan('directory', { path: '/home/u/x', owner: 'u' }, () => userLink), re);
});

test('follow: true refuses a link a host user owns or could replace, and follows root\'s own link to its target', () => {
  assert.throws(() => plan('file', { path: '/home/u/x', content: 'a\n', follow: true }, () => userLink), /follow: true follows only a link owned by root/);
  const inUserDir = { ...userLink, link: { ...userLink.link, owner: 'root', uid: 0 } };
  assert.throws(() => plan('file', { path: '/home/u/x', content: 'a\n', follow: true }, () => inUserDir), /in \/home\/u, which u may write/);
  const followed = { exists: true, type: 'file', mode: '0644', owner: 'root', group: 'root', sha256: 'x', linked: true, followed: '/etc/real', anchor: { logical: '/etc', physical: '/etc' }, link: { target: '/etc/real', owner: 'root', uid: 0 } };
  const p = plan('file', { path: '/etc/alias', content: 'a\n', follow: true }, () => followed);
  const c = p.changes[0]!;
  assert.ok(c.kind === 'write');
  assert.deepEqual(c.write.place, { dir: { logical: '/etc', physical: '/etc' }, name: 'real', userWritable: false });
  const attrs = plan('file', { path: '/etc/alias', mode: '0600', follow: true }, () => followed);
  assert.deepEqual(commands(attrs), ['chmod -- 0600 /etc/real']);
});

test('a parent directory that is a host user\'s link is never followed', () => {
  const st = { exists: false, linked: true, anchor: { logical: '/home/u/.ssh', physical: '/root' }, foreignLink: { path: '/home/u/.ssh', owner: 'u' } };
  assert.throws(() => plan('file', { path: '/home/u/.ssh/authorized_keys', content: 'k\n' }, () => st), /\/home\/u\/\.ssh\/authorized_keys: \/home\/u\/\.ssh is a symbolic link owned by u; refusing to follow a link a host user controls$/);
  assert.throws(() => plan('directory', { path: '/home/u/.ssh/x' }, () => st), /symbolic link owned by u/);
});

test('a file with other hard links in a directory a user may write is refused', () => {
  const st = { exists: true, type: 'file', mode: '0600', owner: 'root', group: 'root', sha256: 'x', nlink: 2, anchor: home, userWritable: { path: '/home/u', owner: 'u' } };
  assert.throws(() => plan('file', { path: '/home/u/h', mode: '0644' }, () => st), /has 2 hard links and \/home\/u is writable by u/);
});

test('where a user may write: chown/chmod from inside the checked directory, never through a link', () => {
  const dir = { exists: true, type: 'directory', mode: '0755', owner: 'u', group: 'u', anchor: home, userWritable: { path: '/home/u', owner: 'u' } };
  const [d] = commands(plan('directory', { path: '/home/u/.ssh', owner: 'root', mode: '0700' }, () => dir));
  assert.match(d!, /^if cd -P -- \/home\/u 2>\/dev\/null; then \[ "\$PWD" = \/home\/u \] \|\| .*; else _fp_nodir \/home\/u\/\.ssh \/home\/u; exit 1; fi\n/);
  assert.match(d!, /\ncd -P -- \.ssh && \[ "\$PWD" = \/home\/u\/\.ssh \] \|\| .*\nchown -h -- root \. && chmod -- 0700 \.$/);
  const file = { ...dir, type: 'file', sha256: 'x' };
  const [f] = commands(plan('file', { path: '/home/u/.profile', mode: '0600' }, () => file));
  assert.match(f!, /\{ \[ -f \.profile \] && ! \[ -L \.profile \]; \} \|\| /);
  assert.match(f!, /\{ _fp_same \.profile \|\| .*; _fp_fattr '' 0600 \.profile; \} < \.profile$/);
  const [m] = commands(plan('directory', { path: '/home/u/a/b', mode: '0750' }, () => ({ exists: false, anchor: home, userWritable: { path: '/home/u', owner: 'u' } })));
  const step = (c: string, p: string) => `\\{ \\[ -d ${c} \\] \\|\\| mkdir -- ${c} \\|\\| .*cannot create directory ${p}.*; \\} && cd -P -- ${c} && \\[ "\\$PWD" = ${p} \\] \\|\\| `;
  assert.match(m!, new RegExp(`\\n${step('a', '/home/u/a')}.*\\n${step('b', '/home/u/a/b')}.*\\nchmod -- 0750 \\.$`));
});

test('file and directory absent: a link at the path is removed itself, from inside its checked directory', () => {
  assert.match(commands(plan('file', { path: '/home/u/x', state: 'absent' }, () => userLink))[0]!, /&& rm -f -- x$/);
  assert.match(commands(plan('directory', { path: '/home/u/x', state: 'absent' }, () => userLink))[0]!, /&& rm -rf -- x$/);
  assert.deepEqual(commands(plan('file', { path: '/etc/x', state: 'absent' }, () => ({ exists: true, type: 'file' }))), ['rm -f -- /etc/x']);
});

test('command: guards decide, the reason says why', () => {
  const created = plan('command', { cmd: 'opendkim-genkey -D /k', creates: '/k/s.private' }, () => ({ exists: true }));
  assert.deepEqual(created.changes, []);
  assert.match(created.reason!, /exists \(creates\)/);
  const run = plan('command', { cmd: 'postmap /etc/postfix/sasl_passwd', creates: '/x.db' }, () => ({ exists: false }));
  assert.deepEqual(commands(run), ['postmap /etc/postfix/sasl_passwd']);
  assert.equal(run.effects?.unpredictable, 'other-changes');
  assert.notEqual(run.effects?.unpredictable, 'may-create-anything', 'creates declares the effect');
  assert.equal(plan('command', { cmd: 'make install' }, () => ({})).effects?.unpredictable, 'may-create-anything');
  const unless = plan('command', { cmd: 'x', unless: 'grep -q y /z' }, () => ({ exitCode: 0 }));
  assert.deepEqual(unless.changes, []);
  const env = plan('command', { cmd: 'echo "$A"', env: { A: "it's" }, chdir: '/tmp' }, () => ({}));
  assert.deepEqual(commands(env), [`cd /tmp && export A='it'\\''s' && eval 'echo "$A"'`]);
});

test('package: installs only what is missing, in one command', () => {
  const p = plan('package', { name: ['postfix', 'libsasl2-modules'] }, () => ({ postfix: { installed: '3.7' }, 'libsasl2-modules': { installed: null } }));
  assert.equal(p.changes.length, 1);
  assert.match(commands(p)[0]!, /apt-get .* install -- libsasl2-modules$/);
  const none = plan('package', { name: 'postfix' }, () => ({ postfix: { installed: '3.7' } }));
  assert.deepEqual(none.changes, []);
  const absent = plan('package', { name: 'sendmail', state: 'absent' }, () => ({ sendmail: { installed: '8' } }));
  assert.match(commands(absent)[0]!, /remove -- sendmail$/);
});

test('package: a prediction from an earlier task is what a later one sees', () => {
  const view = new StateView();
  view.predict({ kind: 'package', name: 'postfix' }, { installed: 'predicted' });
  const p = plan('package', { name: 'postfix' }, () => ({ postfix: { installed: null } }), view);
  assert.deepEqual(p.changes, []);
});

test('service: start + enable, stop + disable, unknown → Unresolved, restarted always acts', () => {
  const down = { postfix: { exists: true, running: false, enabled: false } };
  assert.deepEqual(commands(plan('service', { name: 'postfix', state: 'started', enabled: true }, () => down)), [
    'systemctl start -- postfix',
    'systemctl enable --no-reload -- postfix',
  ]);
  const up = { sendmail: { exists: true, running: true, enabled: true } };
  assert.deepEqual(commands(plan('service', { name: 'sendmail', state: 'stopped', enabled: false }, () => up)), [
    'systemctl stop -- sendmail',
    'systemctl disable --no-reload -- sendmail',
  ]);
  assert.deepEqual(plan('service', { name: 'sendmail', state: 'started', enabled: true }, () => up).changes, []);
  assert.throws(() => plan('service', { name: 'nope', state: 'started' }, () => ({ nope: { exists: false, running: false, enabled: false } })), Unresolved);
  assert.deepEqual(commands(plan('service', { name: 'sendmail', state: 'restarted' }, () => up)), ['systemctl restart -- sendmail']);
});

test("service registers Ansible's name, state and enabled: as read, and after a change from its arguments (no read again)", () => {
  const o = operations.get('service')!;
  const registered = (args: Record<string, unknown>, states: Record<string, unknown>, after: boolean) => {
    const view = new StateView();
    const r = o.resolve(o.schema.parse(args), ctx) as any;
    view.set(r.query.key, states);
    return (after ? o.registerAfterChange! : o.registerFields!)(r, view);
  };
  const down = { postfix: { exists: true, running: false, enabled: false } };
  const up = { postfix: { exists: true, running: true, enabled: true } };
  assert.deepEqual(registered({ name: 'postfix', state: 'started' }, up, false), { name: 'postfix', exists: true, state: 'started', enabled: true });
  assert.deepEqual(registered({ name: 'postfix', state: 'started' }, down, false), { name: 'postfix', exists: true, state: 'stopped', enabled: false });
  assert.deepEqual(registered({ name: 'postfix', state: 'started', enabled: true }, down, true), { name: 'postfix', exists: true, state: 'started', enabled: true });
  assert.deepEqual(registered({ name: 'postfix', state: 'stopped' }, up, true), { name: 'postfix', exists: true, state: 'stopped', enabled: true });
  assert.deepEqual(registered({ name: 'postfix', state: 'reloaded' }, up, true).state, 'started');
  assert.deepEqual(registered({ name: 'postfix', enabled: false }, up, true), { name: 'postfix', exists: true, state: 'started', enabled: false });
  const none = { postfix: { exists: false, running: false, enabled: false } };
  assert.deepEqual(registered({ name: 'postfix', state: 'stopped', ignore_missing: true }, none, false), { name: 'postfix', exists: false, state: 'stopped', enabled: false });
});

test('user: adds missing supplementary groups only', () => {
  const p = plan('user', { name: 'postfix', groups: ['opendkim', 'postfix'] }, (key) =>
    key.startsWith('user:') ? { exists: true, uid: 100, primaryGroup: 'postfix', groups: ['postfix'] } : { exists: true, gid: 5 },
  );
  assert.deepEqual(commands(p), ['usermod -a -G opendkim -- postfix']);
  const missingGroup = () =>
    plan('user', { name: 'postfix', groups: ['nogroup2'] }, (key) => (key.startsWith('user:') ? { exists: true, groups: ['postfix'] } : { exists: false }));
  assert.throws(missingGroup, Unresolved);
});

test('group: create when missing', () => {
  assert.deepEqual(commands(plan('group', { name: 'dkim', system: true }, () => ({ exists: false }))), ['groupadd -r -- dkim']);
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
