// ansible-playbook's flags that contact no host, through the real command line: --syntax-check,
// --list-hosts, --list-tasks (with --tags), --list-tags, --start-at-task with a name no task has,
// --step / -k / -K without a terminal, `fleetplan vars <host>` (layers, files, secrets masked,
// command-line flags below every variable), and the no-silent-no-op errors (exit 4, closest names).
// The inventory's addresses are in TEST-NET (192.0.2.x): a test that contacted a host would hang, not pass.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../run-process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const main = path.join(root, 'dist/fleetplan.js');
const SECRET = 'Vars-Secret-5d1c';

describe('Ansible flags that contact no host', () => {
  let dir: string;
  const at = (...p: string[]) => path.join(dir, ...p);
  const cli = (...args: string[]) => runProcess(process.execPath, [main, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 60_000 });

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-flags-'));
    writeFileSync(
      at('inventory.yml'),
      [
        'all:',
        '  vars: { ssh_user: root, level: all }',
        '  children:',
        '    relays:',
        '      hosts:',
        '        relay1: { ssh_host: 192.0.2.1 }',
        '        relay2: { ssh_host: 192.0.2.2, level: host }',
        '        relay3: { ssh_host: 192.0.2.3 }',
        '    web:',
        '      hosts:',
        '        web1: { ssh_host: 192.0.2.9 }',
        '',
      ].join('\n'),
    );
    mkdirSync(at('group_vars'));
    writeFileSync(at('group_vars', 'relays.yml'), `level: relays\nrelay_password: !secret ${SECRET}\n`);
    writeFileSync(
      at('plan.yml'),
      [
        '- name: relays',
        '  hosts: relays',
        '  tags: [mail]',
        '  tasks:',
        '    - name: first',
        '      command: "true"',
        '      tags: [one]',
        '    - name: second',
        '      command: "true"',
        '      tags: [two]',
        '- name: web',
        '  hosts: web',
        '  tasks:',
        '    - name: third',
        '      command: "true"',
        '',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--syntax-check is validate', async () => {
    const r = await cli('apply', 'plan.yml', '--syntax-check');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'plan.yml: valid (2 play(s), 3 task(s), 4 host(s))\n');
  });

  it('--list-hosts, --list-tasks (with --tags and --limit), --list-tags', async () => {
    const hosts = await cli('apply', 'plan.yml', '--list-hosts', '-l', 'relays[1:]:web');
    assert.equal(hosts.code, 0, hosts.stderr);
    assert.match(hosts.stdout, /play #1 \(relays\): relays\tTAGS: \[mail\]\n {4}pattern: relays\n {4}hosts \(2\):\n {6}relay2\n {6}relay3\n/);
    assert.match(hosts.stdout, /play #2 \(web\): web\tTAGS: \[\]\n {4}pattern: web\n {4}hosts \(1\):\n {6}web1\n/);
    const tasks = await cli('apply', 'plan.yml', '--list-tasks', '--tags', 'two');
    assert.equal(tasks.code, 0, tasks.stderr);
    assert.match(tasks.stdout, /tasks:\n {6}second\tTAGS: \[two, mail\]\n\n/);
    assert.doesNotMatch(tasks.stdout, /first|third/);
    const tags = await cli('apply', 'plan.yml', '--list-tags');
    assert.match(tags.stdout, /TASK TAGS: \[mail, one, two\]/);
  });

  it('--start-at-task naming no task is an input error with the closest name; --step needs a terminal', async () => {
    const start = await cli('apply', 'plan.yml', '--check', '--start-at-task', 'secnod');
    assert.equal(start.code, 4);
    assert.match(start.stderr, /--start-at-task 'secnod' names no task of the plan \(did you mean 'second'\?\)/);
    const step = await cli('apply', 'plan.yml', '--check', '--step');
    assert.equal(step.code, 2);
    assert.match(step.stderr, /--step asks on a terminal and stdin is not one/);
  });

  it('-k and -K need a terminal: a usage error naming the flag, before anything loads', async () => {
    for (const flag of ['-k', '-K']) {
      const r = await cli('apply', 'plan.yml', '--check', flag);
      assert.equal(r.code, 2, flag);
      assert.match(r.stderr, new RegExp(`^error: ${flag}/--ask-(become-)?pass asks on a terminal and stdin is not one`), flag);
    }
  });

  it('no silent no-op: a pattern, --limit, tag or glob that selects nothing is exit 4 with the closest names', async () => {
    const cases: [string[], RegExp][] = [
      [['apply', 'plan.yml', '--check', '-l', 'relay9'], /--limit 'relay9' matches no host or group \(did you mean 'relay[1-3s]'\?\)/],
      [['apply', 'plan.yml', '--check', '-l', 'relayz*'], /--limit 'relayz\*' selects no host: no host or group name matches this glob \(did you mean 'relays'\?\)/],
      [['apply', 'plan.yml', '--check', '-l', 'relays[5]'], /'relays\[5\]' selects no host: 'relays' has 3 host\(s\)/],
      [['apply', 'plan.yml', '--check', '-t', 'too'], /--tags 'too' is on no task of the plan \(did you mean 'two'\?\)/],
      [['apply', 'plan.yml', '--check', '--tags', 'one', '--skip-tags', 'one'], /--tags 'one' with --skip-tags 'one' select no task of the plan/],
      [['run', 'relayz', '--', 'true'], /pattern 'relayz' matches no host or group \(did you mean 'relays'\?\)/],
      [['run', 'web:&relays', '--', 'true'], /pattern 'web:&relays' selects no host/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.match(r.stderr, /no host was contacted/);
    }
  });

  it('run: a command line that cannot work is a usage error (exit 2)', async () => {
    const both = await cli('run', 'all', '-a', 'uptime', '--', 'uptime');
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give the command after -- or with -a, not both/);
    const none = await cli('run', 'all');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /nothing to run/);
    const wrongOp = await cli('run', 'all', '-m', 'package', '--', 'tree');
    assert.equal(wrongOp.code, 2);
    assert.match(wrongOp.stderr, /for -m command only/);
    const unknownOp = await cli('run', 'all', '-m', 'pakage', '-a', 'name=tree');
    assert.equal(unknownOp.code, 4);
    assert.match(unknownOp.stderr, /package/);
  });

  it('vars <host>: every variable with its layer and file:line:col, secrets masked, -e last, flags only where no variable says', async () => {
    const r = await cli('vars', 'relay2', '-e', 'extra=1', '-u', 'nobody', '-b', '--become-user', 'postfix');
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, new RegExp(SECRET));
    const line = (name: string) => r.stdout.split('\n').find((l) => l.trimStart().startsWith(`${name}:`)) ?? '';
    assert.match(line('level'), /"host"\s+host\s+inventory\.yml:7:47$/);
    assert.match(line('relay_password'), /"\[redacted\]"\s+group relays\s+group_vars\/relays\.yml:2:25$/);
    assert.match(line('ssh_user'), /"root"\s+group all\s+inventory\.yml:2:21$/, '-u does not win over an inventory ssh_user');
    assert.match(line('become'), /true\s+command line\s+-b$/);
    assert.match(line('become_user'), /"postfix"\s+command line\s+--become-user$/);
    assert.match(line('extra'), /1\s+extra vars\s+-e$/);
    const order = r.stdout.split('\n').slice(1).map((l) => l.trim().split(':')[0]);
    assert.ok(order.indexOf('become') < order.indexOf('ssh_user') && order.indexOf('level') < order.indexOf('extra'), 'layers in the order they apply');
    const json = JSON.parse((await cli('vars', 'relay1', '--json')).stdout);
    assert.deepEqual(json.level, { value: 'relays', layer: 'group relays', where: 'group_vars/relays.yml:1:8' });
    const unknown = await cli('vars', 'relay7');
    assert.equal(unknown.code, 4);
    assert.match(unknown.stderr, /unknown host 'relay7' \(did you mean 'relay1'\?\)/);
  });
});
