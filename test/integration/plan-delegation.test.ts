// Where and how often tasks run, on real hosts (two of the freebsd personality, which has sudo, doas
// and su): run_once (exactly once per batch, the others report it; passed over a host that skips it),
// throttle (proved by the intervals the task itself records — the hosts share one clock), serial as a
// list, any_errors_fatal, become with su, doas and sudo and become_user, and wait_for. Each in a dry
// run, a real run and, where it changes something, a re-run that changes nothing.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-delegation-');
const H1 = 'freebsd-1';
const H2 = 'freebsd-2';
let fleet: Fleet;

before(async () => {
  if (skip) return;
  fleet = await up({ os: 'freebsd', count: 2, out });
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

let planNo = 0;
function planFile(yaml: string): string {
  const file = path.join(out, `plan-${++planNo}.yml`);
  writeFileSync(file, yaml);
  return file;
}

async function apply(plan: string, ...extra: string[]) {
  const r = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--json', ...extra]);
  assert.ok(r.json, `no JSON: ${r.stderr}`);
  return r;
}

const task = (json: any, host: string, name: string) => (json.hosts[host].tasks as any[]).find((t) => t.name === name);
const sh = async (host: string, cmd: string) => (await fleet.exec(host, cmd)).stdout;

test('run_once: runs on the first host of the batch only; the other reports it, in a dry run, a run and a re-run', { skip, timeout: 120_000 }, async () => {
  const plan = planFile(`
- hosts: all
  tasks:
    - name: once
      command: { cmd: "hostname > /var/tmp/once", creates: /var/tmp/once }
      run_once: true
`);
  const check = await apply(plan, '--check');
  assert.equal(check.code, 0, check.stderr);
  assert.equal(task(check.json, H1, 'once').status, 'changed');
  assert.doesNotMatch(task(check.json, H1, 'once').reason ?? '', /run once on/);
  assert.equal(task(check.json, H2, 'once').status, 'changed');
  assert.match(task(check.json, H2, 'once').reason, /^run once on freebsd-1/);
  assert.equal(await sh(H1, 'test -e /var/tmp/once && echo yes || echo no'), 'no\n', 'a dry run changes nothing');

  const run = await apply(plan);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(task(run.json, H1, 'once').status, 'changed');
  assert.equal(task(run.json, H2, 'once').status, 'changed');
  assert.match(task(run.json, H2, 'once').reason, /^run once on freebsd-1/);
  assert.equal(await sh(H1, 'cat /var/tmp/once'), 'freebsd-1\n');
  assert.equal(await sh(H2, 'test -e /var/tmp/once && echo yes || echo no'), 'no\n', 'ran exactly once, on freebsd-1');

  const again = await apply(plan);
  assert.equal(again.code, 0, again.stderr);
  for (const h of [H1, H2]) assert.equal(task(again.json, h, 'once').status, 'ok', `${h}: nothing to do on a re-run`);
});

test('run_once: a host that skips the task (when:) is passed over, the next one runs it', { skip, timeout: 120_000 }, async () => {
  const plan = planFile(`
- hosts: all
  tasks:
    - name: once elsewhere
      command: { cmd: "hostname > /var/tmp/once-2", creates: /var/tmp/once-2 }
      run_once: true
      when: { inventory_hostname: freebsd-2 }
`);
  const run = await apply(plan);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(task(run.json, H1, 'once elsewhere').status, 'skipped');
  assert.equal(task(run.json, H2, 'once elsewhere').status, 'changed');
  assert.equal(await sh(H2, 'cat /var/tmp/once-2'), 'freebsd-2\n');
  assert.equal(await sh(H1, 'test -e /var/tmp/once-2 && echo yes || echo no'), 'no\n');
});

test('run_once inside include_tasks: once per batch for each item of a looping include, as a task of the play', { skip, timeout: 120_000 }, async () => {
  writeFileSync(path.join(out, 'once-inc.yml'), '- name: once inside\n  command: "hostname >> /var/tmp/once-inc-{{n}}"\n  run_once: true\n');
  const plan = planFile(`
- hosts: all
  tasks:
    - include_tasks: once-inc.yml
      loop: [a, b]
      loop_control: { loop_var: n }
`);
  const run = await apply(plan);
  assert.equal(run.code, 0, run.stderr);
  const results = (h: string) => (run.json.hosts[h].tasks as any[]).filter((t) => t.name === 'once inside');
  assert.equal(results(H1).length, 2);
  assert.ok(results(H1).every((t) => t.status === 'changed' && !/run once on/.test(t.reason ?? '')), JSON.stringify(results(H1)));
  assert.ok(results(H2).every((t) => t.status === 'changed' && /^run once on freebsd-1/.test(t.reason)), JSON.stringify(results(H2)));
  for (const n of ['a', 'b']) {
    assert.equal(await sh(H1, `cat /var/tmp/once-inc-${n}`), 'freebsd-1\n', `item ${n} ran once, on freebsd-1`);
    assert.equal(await sh(H2, `test -e /var/tmp/once-inc-${n} && echo yes || echo no`), 'no\n');
  }
});

test('throttle: 1 runs the task on one host at a time (the intervals it records do not overlap)', { skip, timeout: 120_000 }, async () => {
  const plan = planFile(`
- hosts: all
  tasks:
    - name: serialised
      command: "date +%s%N > /var/tmp/span; sleep 1; date +%s%N >> /var/tmp/span"
      throttle: 1
`);
  const check = await apply(plan, '--check');
  assert.equal(check.code, 0, check.stderr);
  const run = await apply(plan);
  assert.equal(run.code, 0, run.stderr);
  const span = async (h: string) => (await sh(h, 'cat /var/tmp/span')).trim().split('\n').map(BigInt);
  const [a, b] = [await span(H1), await span(H2)];
  assert.equal(a.length, 2);
  assert.equal(b.length, 2);
  // One ended before the other started.
  assert.ok(a[1]! <= b[0]! || b[1]! <= a[0]!, `overlapping: ${a.join('-')} and ${b.join('-')}`);
});

test('serial as a list: batches of the given sizes, the last repeating', { skip, timeout: 120_000 }, async () => {
  // Each host records the hosts of its batch that ran before it: with serial [1], freebsd-2 sees freebsd-1's mark.
  const plan = planFile(`
- hosts: all
  serial: [1]
  tasks:
    - name: mark
      command: "date +%s%N > /var/tmp/batch-start; sleep 0.5; date +%s%N > /var/tmp/batch-end"
`);
  const run = await apply(plan);
  assert.equal(run.code, 0, run.stderr);
  const at = async (h: string, f: string) => BigInt((await sh(h, `cat /var/tmp/${f}`)).trim());
  assert.ok((await at(H1, 'batch-end')) <= (await at(H2, 'batch-start')), 'the second batch starts after the first ended');
  assert.equal(run.json.hosts[H1].tasks.length, 1);
});

test('any_errors_fatal: a failure on one host stops the play on the other after that task', { skip, timeout: 120_000 }, async () => {
  const plan = planFile(`
- hosts: all
  any_errors_fatal: true
  tasks:
    # freebsd-1 comes late: freebsd-2 has failed by then, and freebsd-1 still runs the failed task.
    - name: slow on freebsd-1
      command: "[ $(hostname) != freebsd-1 ] || sleep 1"
      any_errors_fatal: false
    - name: fails on freebsd-2
      command: "test $(hostname) != freebsd-2"
    - name: never reached
      command: "touch /var/tmp/fatal-reached"
- hosts: all
  tasks:
    - name: later play
      command: "touch /var/tmp/fatal-later"
`);
  const check = await apply(plan, '--check');
  assert.equal(check.code, 0, `a dry run cannot know the command fails: ${check.stderr}`);
  const run = await apply(plan);
  assert.notEqual(run.code, 0);
  assert.equal(task(run.json, H2, 'fails on freebsd-2').status, 'failed');
  assert.equal(task(run.json, H1, 'fails on freebsd-2').status, 'changed');
  assert.equal(task(run.json, H1, 'never reached'), undefined);
  assert.match(run.json.hosts[H1].error ?? '', /any_errors_fatal/);
  for (const h of [H1, H2]) {
    assert.equal(await sh(h, 'ls /var/tmp/fatal-reached /var/tmp/fatal-later 2>/dev/null | wc -l'), '0\n', `${h}: nothing after the fatal task`);
  }
});

test('become: su (from root) to another user, doas and sudo (from the fleet user), per task', { skip, timeout: 120_000 }, async () => {
  const plan = planFile(`
- hosts: all
  tasks:
    - name: su to fleet
      command: { cmd: "id -un > /tmp/by-su", creates: /tmp/by-su }
      become: true
      become_method: su
      become_user: fleet
`);
  const check = await apply(plan, '--check');
  assert.equal(check.code, 0, check.stderr);
  assert.equal(task(check.json, H1, 'su to fleet').status, 'changed');
  const run = await apply(plan);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await sh(H1, 'cat /tmp/by-su; stat -c %U /tmp/by-su'), 'fleet\nfleet\n');
  assert.equal(task((await apply(plan)).json, H1, 'su to fleet').status, 'ok');

  // Logged in as fleet: root through doas (FreeBSD's, /usr/local/etc/doas.conf) and through sudo.
  const asFleet = planFile(`
- hosts: all
  tasks:
    - name: doas to root
      command: { cmd: "id -un > /var/tmp/by-doas", creates: /var/tmp/by-doas }
      become: true
      become_method: doas
    - name: sudo to root
      command: { cmd: "id -un > /var/tmp/by-sudo", creates: /var/tmp/by-sudo }
      become: true
    - name: doas to nobody
      command: { cmd: "id -un > /tmp/by-doas-nobody; chmod 644 /tmp/by-doas-nobody", creates: /tmp/by-doas-nobody }
      become: true
      become_method: doas
      become_user: nobody
`);
  const fleetRun = await apply(asFleet, '-e', 'ssh_user=fleet');
  assert.equal(fleetRun.code, 0, fleetRun.stderr);
  assert.equal(await sh(H1, 'cat /var/tmp/by-doas /var/tmp/by-sudo /tmp/by-doas-nobody'), 'root\nroot\nnobody\n');
  const fleetAgain = await apply(asFleet, '-e', 'ssh_user=fleet');
  for (const t of ['doas to root', 'sudo to root', 'doas to nobody']) assert.equal(task(fleetAgain.json, H1, t).status, 'ok', t);

});

test('become: su from a non-root login needs become_password, the target user\'s, fed on stdin', { skip, timeout: 120_000 }, async () => {
  const plan = planFile(`
- hosts: all
  tasks:
    - name: su to root
      command: "id -un > /var/tmp/by-su-root"
      become: true
      become_method: su
`);
  const r = await apply(plan, '-e', 'ssh_user=fleet', '--limit', H1);
  assert.notEqual(r.code, 0);
  assert.match(JSON.stringify(r.json.hosts[H1]), /su as fleet needs become_password/);
  assert.equal(await sh(H1, 'test -e /var/tmp/by-su-root && echo yes || echo no'), 'no\n');

  // With root's password it is fed after su's prompt (never on the command line); a wrong one is named.
  await fleet.exec(H1, "echo 'root:Su-test-pw-1' | chpasswd");
  const wrong = await apply(plan, '-e', 'ssh_user=fleet', '-e', 'become_password=not-it', '--limit', H1);
  assert.notEqual(wrong.code, 0);
  assert.match(JSON.stringify(wrong.json.hosts[H1]), /become \(su root\) failed .*Authentication failure/);
  assert.doesNotMatch(wrong.stdout, /not-it/);
  const right = await apply(plan, '-e', 'ssh_user=fleet', '-e', 'become_password=Su-test-pw-1', '--limit', H1);
  assert.equal(right.code, 0, right.stderr);
  assert.equal(await sh(H1, 'cat /var/tmp/by-su-root'), 'root\n');
  assert.doesNotMatch(right.stdout, /Su-test-pw-1/);
});

test('wait_for: port open and closed, path present and absent, regex in a file, timeout fails', { skip, timeout: 120_000 }, async () => {
  // The freebsd personality's base sendmail listens on 127.0.0.1:25 after boot.
  const plan = planFile(`
- hosts: all
  tasks:
    - name: smtp open
      wait_for: { port: 25, timeout: 10 }
    - name: nothing on 2525
      wait_for: { port: 2525, state: stopped, timeout: 10 }
    - name: passwd present
      wait_for: { path: /etc/passwd }
    - name: no such file
      wait_for: { path: /var/tmp/never-there, state: absent }
    - name: root in passwd
      wait_for: { path: /etc/passwd, search_regex: "^root:", timeout: 10 }
`);
  const check = await apply(plan, '--check');
  assert.equal(check.code, 0, check.stderr);
  assert.match(task(check.json, H1, 'smtp open').reason, /^would wait for port 25 on 127\.0\.0\.1 to be open .*not evaluated in a dry run/);
  assert.equal(task(check.json, H1, 'smtp open').status, 'ok');
  const run = await apply(plan);
  assert.equal(run.code, 0, run.stderr);
  for (const t of ['smtp open', 'nothing on 2525', 'passwd present', 'no such file', 'root in passwd']) assert.equal(task(run.json, H1, t).status, 'ok', t);

  const late = planFile(`
- hosts: all
  tasks:
    - name: appears later
      wait_for: { path: /var/tmp/appears, timeout: 20 }
`);
  const waiting = apply(late, '--limit', H1);
  await fleet.exec(H1, 'sleep 2; touch /var/tmp/appears');
  const done = await waiting;
  assert.equal(done.code, 0, done.stderr);
  assert.equal(task(done.json, H1, 'appears later').status, 'ok');

  const timeout = planFile(`
- hosts: all
  tasks:
    - name: never opens
      wait_for: { port: 2526, timeout: 2 }
`);
  const failed = await apply(timeout, '--limit', H1);
  assert.notEqual(failed.code, 0);
  assert.equal(task(failed.json, H1, 'never opens').status, 'failed');
  assert.match(task(failed.json, H1, 'never opens').error, /timed out after 2 s waiting for port 2526 on 127\.0\.0\.1 to be open/);
});

const logins = async (h: string) => Number((await sh(h, 'grep -c "Accepted publickey" /var/log/sshd.log || true')).trim());

test('delegate_to an inventory host outside the play: lands on the delegate, with the delegating host\'s variables', { skip, timeout: 120_000 }, async () => {
  const plan = planFile(`
- hosts: freebsd-1
  vars: { greeting: hello }
  tasks:
    - name: to the other
      file: { path: /var/tmp/delegated, content: "{{greeting}} from {{inventory_hostname}}\\n" }
      delegate_to: freebsd-2
`);
  const check = await apply(plan, '--check', '--diff');
  assert.equal(check.code, 0, check.stderr);
  const planned = task(check.json, H1, 'to the other');
  assert.equal(planned.status, 'changed');
  assert.match(planned.reason, /^freebsd-1 → freebsd-2/);
  assert.equal(await sh(H2, 'test -e /var/tmp/delegated && echo yes || echo no'), 'no\n', 'a dry run changes nothing');

  const run = await apply(plan);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(task(run.json, H1, 'to the other').status, 'changed');
  assert.equal(await sh(H2, 'cat /var/tmp/delegated'), 'hello from freebsd-1\n');
  assert.equal(await sh(H1, 'test -e /var/tmp/delegated && echo yes || echo no'), 'no\n');
  assert.equal(run.json.hosts[H2], undefined, 'the delegate is not a host of the play');

  const again = await apply(plan);
  assert.equal(task(again.json, H1, 'to the other').status, 'ok');
});

test('delegate_to a host of the same play shares its one connection', { skip, timeout: 120_000 }, async () => {
  const plan = planFile(`
- hosts: all
  tasks:
    - name: collect
      file: { path: "/var/tmp/from-{{inventory_hostname}}", content: "{{inventory_hostname}}\\n" }
      delegate_to: freebsd-2
`);
  const before = await logins(H2);
  const run = await apply(plan);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await logins(H2), before + 1, 'one SSH login on freebsd-2 for its own tasks and the delegated ones');
  assert.equal(await sh(H2, 'cat /var/tmp/from-freebsd-1 /var/tmp/from-freebsd-2'), 'freebsd-1\nfreebsd-2\n');
  assert.equal(await sh(H1, 'ls /var/tmp/from-* 2>/dev/null | wc -l'), '0\n');
  const again = await apply(plan);
  for (const h of [H1, H2]) assert.equal(task(again.json, h, 'collect').status, 'ok', h);
});

test('delegate_to localhost writes on the controller; an unknown delegate fails naming the task', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(out, 'controller-'));
  const plan = planFile(`
- hosts: all
  tasks:
    - name: on the controller
      file: { path: "${dir}/{{inventory_hostname}}.txt", content: "{{inventory_hostname}}\\n" }
      delegate_to: localhost
`);
  const check = await apply(plan, '--check');
  assert.equal(check.code, 0, check.stderr);
  assert.match(task(check.json, H1, 'on the controller').reason, /^freebsd-1 → localhost/);
  assert.equal(existsSync(path.join(dir, 'freebsd-1.txt')), false);
  const run = await apply(plan);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(readFileSync(path.join(dir, 'freebsd-1.txt'), 'utf8'), 'freebsd-1\n');
  assert.equal(readFileSync(path.join(dir, 'freebsd-2.txt'), 'utf8'), 'freebsd-2\n');
  const again = await apply(plan);
  for (const h of [H1, H2]) assert.equal(task(again.json, h, 'on the controller').status, 'ok', h);
  // A delegated probe's rc and output are registered on the delegating host (a dry run runs it too).
  const probe = planFile(`
- hosts: all
  tasks:
    - name: probe on the controller
      command: "cat ${dir}/{{inventory_hostname}}.txt"
      delegate_to: localhost
      check_mode: false
      changed_when: false
      register: probe
    - name: what the probe read
      assert: { that: [{ probe.rc: 0 }, { probe.stdout: { eq: { var: inventory_hostname } } }], success_msg: "read {{probe.stdout}}" }
`);
  for (const args of [['--check'], []]) {
    const r = await apply(probe, ...args);
    assert.equal(r.code, 0, r.stderr);
    for (const h of [H1, H2]) assert.equal(task(r.json, h, 'what the probe read').reason, `read ${h}`, `${h} ${args}`);
  }

  // A templated name is known per host only at run time: the task fails there, naming its position.
  const bad = planFile(`
- hosts: freebsd-1
  vars: { target: nosuch }
  tasks:
    - name: nowhere
      file: { path: /var/tmp/nowhere, content: "x\\n" }
      delegate_to: "{{target}}"
`);
  const r = await apply(bad);
  assert.notEqual(r.code, 0);
  assert.match(task(r.json, H1, 'nowhere').error, /delegate_to: "nosuch" is not a host of the inventory \(nor localhost\) .*plan-\d+\.yml:5:7/);
});

test('run_once with delegate_to localhost and a loop: every item once, on the controller; any_errors_fatal on one task', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(out, 'once-local-'));
  const plan = planFile(`
- hosts: all
  tasks:
    - name: once on the controller
      file: { path: "${dir}/{{item}}", content: "{{inventory_hostname}}\\n" }
      loop: [a, b]
      run_once: true
      delegate_to: localhost
    - name: fatal here
      command: "test $(hostname) != freebsd-1"
      any_errors_fatal: true
    - name: after
      command: "touch /var/tmp/after-fatal-task"
`);
  const check = await apply(plan, '--check');
  assert.equal(check.code, 0, check.stderr);
  assert.deepEqual(readdirSync(dir), []);
  const run = await apply(plan);
  assert.notEqual(run.code, 0);
  assert.equal(readFileSync(path.join(dir, 'a'), 'utf8'), 'freebsd-1\n');
  assert.equal(readFileSync(path.join(dir, 'b'), 'utf8'), 'freebsd-1\n');
  const items = (h: string) => (run.json.hosts[h].tasks as any[]).filter((t) => t.name.startsWith('once on the controller'));
  assert.deepEqual(items(H1).map((t) => t.reason.split(':')[0]), ['freebsd-1 → localhost', 'freebsd-1 → localhost']);
  assert.deepEqual(items(H2).map((t) => [t.status, t.reason.split(':')[0]]), [['changed', 'run once on freebsd-1'], ['changed', 'run once on freebsd-1']]);
  assert.equal(task(run.json, H1, 'fatal here').status, 'failed');
  assert.equal(task(run.json, H2, 'after'), undefined, 'freebsd-2 stopped after the fatal task');
  assert.equal(await sh(H2, 'test -e /var/tmp/after-fatal-task && echo yes || echo no'), 'no\n');
});

test('run_once: a change notifies the handlers of every host of the batch (the result is theirs too)', { skip, timeout: 120_000 }, async () => {
  const plan = planFile(`
- hosts: all
  tasks:
    - name: once, notifying
      command: { cmd: "true > /var/tmp/once-notify", creates: /var/tmp/once-notify }
      run_once: true
      notify: mark
  handlers:
    - name: mark
      command: "hostname > /var/tmp/handler-ran"
`);
  const check = await apply(plan, '--check');
  for (const h of [H1, H2]) assert.equal((check.json.hosts[h].tasks as any[]).find((t) => t.handler && t.name === 'mark')?.status, 'changed', h);
  const run = await apply(plan);
  assert.equal(run.code, 0, run.stderr);
  for (const h of [H1, H2]) assert.equal(await sh(h, 'cat /var/tmp/handler-ran'), `${h}\n`);
  const again = await apply(plan);
  for (const h of [H1, H2]) assert.equal((again.json.hosts[h].tasks as any[]).some((t) => t.handler), false, `${h}: nothing notified on a re-run`);
});
