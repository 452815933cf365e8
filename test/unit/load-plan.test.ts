import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPlan } from '../../src/load/plan.js';
import { fix, hasError, inputErrors, registry } from './load-helpers.js';
import { SecretRegistry } from '../../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const opts = { rolesPath: [fix('rolespath')], bundledRolesDir: fix('bundled'), registry, secrets: testSecrets };
const load = (file: string) => loadPlan(fix(...file.split('/')), opts);

describe('loadPlan: a valid plan', () => {
  const plan = load('site/site.yml');
  const [p1, p2] = plan.plays;

  it('reads plays, vars and vars_files (files override vars)', () => {
    assert.equal(plan.plays.length, 2);
    assert.equal(p1!.name, 'relays');
    assert.equal(p1!.hosts, 'relays');
    assert.deepEqual(p1!.vars, { motd: 'overridden', from_vars_file: 'yes' });
    assert.equal(p2!.name, 'web:&centos');
  });

  it('finds roles: plan-dir roles beat --roles-path beat bundled', () => {
    const [common, web, extra] = p1!.roles;
    assert.match(common!.role.dir, /site[/\\]roles[/\\]common$/);
    assert.equal(common!.role.tasks[0]!.op, 'template');
    assert.match(web!.role.dir, /rolespath[/\\]web$/);
    assert.equal(web!.role.tasks[0]!.args.cmd, 'from rolespath web');
    assert.deepEqual(web!.params, { port: 8080 });
    assert.deepEqual(web!.tags, ['web']);
    assert.match(extra!.role.dir, /bundled[/\\]extra$/);
  });

  it('loads role files: defaults, per-OS vars, handlers; role tasks know their role', () => {
    const common = p1!.roles[0]!.role;
    assert.deepEqual(common.defaults, { common_greeting: 'hi' });
    assert.deepEqual(Object.keys(common.osVars).sort(), ['Debian', 'RedHat']);
    const t = common.tasks[0]!;
    assert.equal(t.role, 'common');
    assert.equal(t.roleDir, common.dir);
    assert.equal(t.baseDir, common.dir);
  });

  it('parses tasks: shorthand, default names, argPos, when, notify, tags, changed_when', () => {
    const [motd, echo] = p1!.tasks;
    assert.equal(motd!.op, 'file');
    assert.equal(motd!.argPos.path!.line, 17);
    assert.equal(motd!.argPos.path!.col, 15);
    assert.deepEqual(motd!.when, { 'facts.os_family': ['Debian', 'RedHat'] });
    assert.deepEqual(motd!.notify, ['restart thing']);
    assert.deepEqual(echo!.args, { cmd: 'echo hi' });
    assert.equal(echo!.name, 'command echo hi');
    assert.equal(echo!.changedWhen, false);
    assert.deepEqual(echo!.tags, ['always']);
    assert.deepEqual(p2!.tasks[0]!.args, { path: '/tmp/x' });
    assert.equal(p2!.tasks[0]!.name, 'file /tmp/x');
    assert.equal(echo!.pos.line, 22);
  });

  it('collects handlers: roles first, then the play, with listen aliases', () => {
    assert.deepEqual(p1!.handlers.map((h) => h.name), ['reload common', 'restart thing']);
    assert.deepEqual(p1!.handlers[1]!.listen, ['thing changed']);
  });
});

describe('loadPlan: bad input names file:line:col', () => {
  it('YAML syntax error', () => {
    const errs = inputErrors(() => load('bad/syntax.yml'));
    assert.ok(errs[0]!.pos?.file.endsWith('bad/syntax.yml'));
    assert.match(errs[0]!.message, /^YAML syntax error/);
    assert.equal(errs[0]!.pos?.line, 5);
  });

  it('unknown operation, with did-you-mean', () => {
    const errs = inputErrors(() => load('bad/unknown-op.yml'));
    const e = hasError(errs, 'bad/unknown-op.yml', 4, 7, "unknown operation 'templat' (did you mean 'template'?)");
    assert.match(e.describe(), /unknown-op\.yml:4:7: unknown operation 'templat'/);
  });

  it('two operation keys', () => {
    const errs = inputErrors(() => load('bad/two-ops.yml'));
    hasError(errs, 'bad/two-ops.yml', 4, 7, "exactly one operation: found 'file' and 'command'");
  });

  it('wrong argument type, bad enum, unknown argument — but not templated values', () => {
    const errs = inputErrors(() => load('bad/wrong-arg.yml'));
    hasError(errs, 'bad/wrong-arg.yml', 6, 15, "argument 'mode' of 'file': expected string (octal permission bits as a string, e.g. \"0640\"), got number 644");
    hasError(errs, 'bad/wrong-arg.yml', 7, 16, "argument 'state' of 'file': expected one of present, absent (did you mean 'present'?)");
    hasError(errs, 'bad/wrong-arg.yml', 8, 9, "unknown argument 'colour' for 'file'");
    assert.equal(errs.length, 3, errs.map((e) => e.describe()).join('\n'));
  });

  it('unknown play key', () => {
    const errs = inputErrors(() => load('bad/unknown-play-key.yml'));
    hasError(errs, 'bad/unknown-play-key.yml', 2, 3, "unknown play key 'taks' (did you mean 'tasks'?)");
  });

  it('notify naming no handler; duplicate handler names', () => {
    const errs = inputErrors(() => load('bad/notify.yml'));
    hasError(errs, 'bad/notify.yml', 5, 11, "no handler named 'restart postfx' in this play (did you mean 'restart postfix'?)");
    hasError(errs, 'bad/notify.yml', 9, 7, "duplicate handler name 'restart postfix'");
  });

  it('missing role lists where it looked', () => {
    const errs = inputErrors(() => load('bad/missing-role.yml'));
    const e = hasError(errs, 'bad/missing-role.yml', 4, 7, "role 'nosuchrole' not found");
    assert.match(e.message, /bad[/\\]roles[/\\]nosuchrole, .*rolespath[/\\]nosuchrole, .*bundled[/\\]nosuchrole/);
  });

  it('role dependency cycle', () => {
    const errs = inputErrors(() => load('bad/role-cycle.yml'));
    hasError(errs, 'cyc-b/meta.yml', 2, 11, 'role dependency cycle: cyc-a → cyc-b → cyc-a');
  });

  it('bad when shapes', () => {
    const errs = inputErrors(() => load('bad/bad-when.yml'));
    hasError(errs, 'bad/bad-when.yml', 4, 13, 'when: expected a mapping of variable paths to values');
    hasError(errs, 'bad/bad-when.yml', 7, 30, "when: unknown test 'between' for 'relay.port'");
    hasError(errs, 'bad/bad-when.yml', 10, 14, "when: 'any' expects a list of conditions, got mapping");
  });
});
