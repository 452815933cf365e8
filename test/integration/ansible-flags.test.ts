// Ansible's flags and ad-hoc commands on real hosts (two of the debian-sysv personality):
// `fleetplan run` (identical results grouped, the command as data, --json, exit codes, -m with
// --check --diff then for real), -u/--private-key/-b/--become-user below the inventory's variables and
// a play's `become:`, -K on a terminal (the password fed to sudo on stdin, never shown),
// --start-at-task, --step answered on a terminal, and -vvv's command output.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { shQuote } from '../../src/core/quote.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan, repoRoot } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-flags-');
const H1 = 'deb-sysv-1';
const H2 = 'deb-sysv-2';
const PASSWORD = 'Become-pw-7e31';
let fleet: Fleet;
/** The fleet's hosts with no login user or key: the command line's flags decide (H2 says ansible_user: root). */
let bare: string;

before(async () => {
  if (skip) return;
  fleet = await up({ os: 'debian-sysv', count: 2, out });
  bare = path.join(out, 'bare.yml');
  const [a, b] = fleet.hosts;
  writeFileSync(bare, `all:\n  vars: { ssh_known_hosts_file: known_hosts }\n  hosts:\n    ${H1}: { ssh_host: ${a!.address} }\n    ${H2}: { ssh_host: ${b!.address}, ansible_user: root }\n`);
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

const key = () => path.join(out, 'id_ed25519');
const sh = async (host: string, cmd: string) => (await fleet.exec(host, cmd)).stdout;
let planNo = 0;
function planFile(yaml: string): string {
  const file = path.join(out, `plan-${++planNo}.yml`);
  writeFileSync(file, yaml);
  return file;
}

/** fleetplan on a pseudo-terminal (script(1)): each answer is typed once its prompt has appeared. */
function onTerminal(args: string[], answers: [prompt: string, answer: string][]): Promise<{ code: number; output: string }> {
  const cmd = [process.execPath, path.join(repoRoot, 'dist/fleetplan.js'), ...args].map(shQuote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let next = 0;
    let from = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      for (let i: number; next < answers.length && (i = output.indexOf(answers[next]![0], from)) >= 0; next++) {
        from = i + answers[next]![0].length;
        child.stdin.write(`${answers[next]![1]}\n`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output: output.replace(/\r/g, '') });
    });
  });
}

test('run: identical results are one group, different ones apart; the command reaches the host as typed; --json and exit codes as apply', { skip, timeout: 120_000 }, async () => {
  const same = await fleetplan(['run', 'all', '-i', fleet.inventoryPath, '--', 'echo Mail queue is empty']);
  assert.equal(same.code, 0, same.stderr);
  assert.equal(same.stdout.split('\n')[0], `2 hosts (${H1}, ${H2}): changed rc=0`);
  assert.match(same.stdout, /^ {4}Mail queue is empty\n2 host\(s\) in 1 group\(s\) of identical results: 2 changed; /m);

  // Braces, quotes and $ are the host shell's, never a template's: `{{x}}` stays, $HOME expands there.
  const data = await fleetplan(['run', `${H1}:${H2}`, '-i', fleet.inventoryPath, '--', 'printf "%s %s\\n" "{{x}}" "$HOME"; test $(hostname) =', H1]);
  assert.equal(data.code, 2, 'a host whose command failed: exit 2, as apply');
  assert.match(data.stdout, new RegExp(`^${H1}: changed rc=0\n {4}\\{\\{x\\}\\} /root\n`, 'm'));
  assert.match(data.stdout, new RegExp(`^${H2}: failed rc=1\n {4}\\{\\{x\\}\\} /root\n`, 'm'));

  const json = await fleetplan(['run', 'all[-1]', '-i', fleet.inventoryPath, '--json', '--', 'hostname; echo oops >&2']);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(Object.keys(json.json.hosts), [H2]);
  const t = json.json.hosts[H2].tasks[0];
  assert.deepEqual([t.status, t.operation, t.rc, t.stdout, t.stderr], ['changed', 'command', 0, `${H2}\n`, 'oops\n']);
});

test('run -m <operation> -a: --check --diff changes nothing, then the real run, then nothing to do', { skip, timeout: 120_000 }, async () => {
  const args = ['run', 'all', '-i', fleet.inventoryPath, '-m', 'file', '-a', '{path: /var/tmp/adhoc, content: "hello\\n", mode: "0600"}'];
  const check = await fleetplan([...args, '--check', '--diff']);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, new RegExp(`^2 hosts \\(${H1}, ${H2}\\): would change`, 'm'));
  assert.match(check.stdout, /\+hello/);
  assert.equal(await sh(H1, 'test -e /var/tmp/adhoc && echo yes || echo no'), 'no\n');
  const run = await fleetplan(args);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await sh(H2, 'stat -c %a /var/tmp/adhoc; cat /var/tmp/adhoc'), '600\nhello\n');
  const again = await fleetplan(args);
  assert.match(again.stdout, /^2 hosts \(.*\): ok \(\/var\/tmp\/adhoc is up to date\)\n/m);
  // key=value words, as Ansible's -a.
  const words = await fleetplan(['run', H1, '-i', fleet.inventoryPath, '-m', 'file', '-a', 'path=/var/tmp/adhoc state=absent']);
  assert.equal(words.code, 0, words.stderr);
  assert.equal(await sh(H1, 'test -e /var/tmp/adhoc && echo yes || echo no'), 'no\n');
});

test('-u, --private-key, -b, --become-user: below the inventory\'s variables and a play\'s become:, above ~/.ssh/config', { skip, timeout: 120_000 }, async () => {
  const as = ['-i', bare, '-u', 'fleet', '--private-key', key()];
  const login = await fleetplan(['run', 'all', ...as, '--json', '--', 'id -un']);
  assert.equal(login.code, 0, login.stderr);
  assert.equal(login.json.hosts[H1].tasks[0].stdout, 'fleet\n', '-u where the inventory says nothing');
  assert.equal(login.json.hosts[H2].tasks[0].stdout, 'root\n', "the inventory's ansible_user wins over -u");

  const become = await fleetplan(['run', H1, ...as, '-b', '--json', '--', 'id -un']);
  assert.equal(become.json.hosts[H1].tasks[0].stdout, 'root\n');

  const plan = planFile(`
- hosts: ${H1}
  become: false
  tasks:
    - name: who
      command: "id -un > /var/tmp/who-play"
- hosts: ${H1}
  tasks:
    - name: who as
      command: "id -un > /var/tmp/who-task"
      become: true
      become_user: nobody
    - name: who by default
      command: "id -un > /var/tmp/who-default"
`);
  const r = await fleetplan(['apply', plan, ...as, '-b', '--become-user', 'daemon', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await sh(H1, 'cat /var/tmp/who-play /var/tmp/who-task /var/tmp/who-default'), 'fleet\nnobody\ndaemon\n', 'play become: false > -b; task become_user > --become-user; --become-user where nothing says');
});

test('-K and -k: asked on the terminal without echo, fed to sudo / sshd only; never in the output', { skip, timeout: 120_000 }, async () => {
  await fleet.exec(H1, `echo 'fleet:${PASSWORD}' | chpasswd && echo 'fleet ALL=(ALL) ALL' > /etc/sudoers.d/fleet`);
  const args = ['run', H1, '-i', bare, '-u', 'fleet', '--private-key', key(), '-b', '--', 'id -un'];
  const without = await fleetplan(args);
  assert.notEqual(without.code, 0);
  assert.match(without.stdout, /a password is required/);
  const r = await onTerminal([...args.slice(0, -3), '-K', ...args.slice(-3)], [['BECOME password: ', PASSWORD]]);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, new RegExp(`^${H1}: changed rc=0\n {4}root$`, 'm'));
  assert.doesNotMatch(r.output, new RegExp(PASSWORD), 'not echoed, not reported');

  // -k: password login (sshd reads the drop-in at each connection: it runs per connection, inetd style).
  await fleet.exec(H1, "echo 'PasswordAuthentication yes' > /etc/ssh/sshd_config.d/00-password.conf; echo 'fleet ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/fleet");
  const k = await onTerminal(['run', H1, '-i', bare, '-u', 'fleet', '-k', '--', 'id -un'], [['SSH password: ', PASSWORD]]);
  assert.equal(k.code, 0, k.output);
  assert.match(k.output, new RegExp(`^${H1}: changed rc=0\n {4}fleet$`, 'm'));
  assert.doesNotMatch(k.output, new RegExp(PASSWORD));
  await fleet.exec(H1, 'rm /etc/ssh/sshd_config.d/00-password.conf');
});

test('--start-at-task passes over the tasks before it; --step runs only what is answered yes; -vvv shows output', { skip, timeout: 120_000 }, async () => {
  const plan = planFile(`
- hosts: ${H2}
  tasks:
    - name: one
      command: "echo 1 >> /var/tmp/steps"
    - name: two
      command: "echo 2 >> /var/tmp/steps"
    - name: three
      command: "echo 3 >> /var/tmp/steps"
`);
  const start = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--start-at-task', 'two', '--json']);
  assert.equal(start.code, 0, start.stderr);
  assert.deepEqual(start.json.hosts[H2].tasks.map((t: any) => [t.name, t.status, t.reason ?? '']), [['one', 'skipped', 'before --start-at-task'], ['two', 'changed', ''], ['three', 'changed', '']]);
  assert.equal(await sh(H2, 'cat /var/tmp/steps; rm /var/tmp/steps'), '2\n3\n');

  const step = await onTerminal(['apply', plan, '-i', fleet.inventoryPath, '--step'], [['task: one (N)o/(y)es/(c)ontinue', 'n'], ['task: two (N)o/(y)es/(c)ontinue', 'y'], ['task: three (N)o/(y)es/(c)ontinue', 'n']]);
  assert.equal(step.code, 0, step.output);
  assert.equal(await sh(H2, 'cat /var/tmp/steps; rm /var/tmp/steps'), '2\n');
  const cont = await onTerminal(['apply', plan, '-i', fleet.inventoryPath, '--step', '-vvv'], [['task: one (N)o/(y)es/(c)ontinue', 'c']]);
  assert.equal(cont.code, 0, cont.output);
  assert.equal(cont.output.match(/\(N\)o\/\(y\)es/g)?.length, 1, 'c: no more questions');
  assert.equal(await sh(H2, 'cat /var/tmp/steps'), '1\n2\n3\n');
  assert.match(cont.output, /changed {6}one\n {4}rc=0\n/, '-vvv: the exit status under the task');
});
