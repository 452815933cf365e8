// The engine end to end over the local connector: selection (tags, when), handlers (notified only on
// change, once, in definition order, "would run" in check mode), changed_when, ignore_errors,
// no_log redaction, and check mode predicting the real run — with real files in a temp directory.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { RunEvent, TaskResult } from '../../src/engine/events.js';
import { runPlan } from '../../src/engine/run.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlan } from '../../src/load/plan.js';
import { SecretRegistry } from '../../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-engine-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const inventoryFile = path.join(dir, 'inventory.yml');
// The run lock's directory for these runs: under this test's own temp dir, not the machine's /var/run.
const lockDir = path.join(dir, 'run-lock');
writeFileSync(inventoryFile, `all:\n  hosts:\n    me: { connection: local, relay_password: !secret "hunter2-sekrit" }\n`);

async function run(planText: string, opts: { check?: boolean; tags?: string[]; skipTags?: string[]; batchChanges?: boolean } = {}) {
  const file = path.join(dir, `plan-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, planText.replaceAll('DIR', dir));
  const events: RunEvent[] = [];
  const summary = await runPlan(
    loadPlan(file, { rolesPath: [], secrets: testSecrets }),
    loadInventory(inventoryFile, testSecrets),
    { check: opts.check ?? false, forks: 5, tags: opts.tags ?? [], skipTags: opts.skipTags ?? [], secrets: testSecrets, extraVars: {}, lockDir, batchChanges: opts.batchChanges },
    (e) => events.push(e),
  );
  const results = events.flatMap((e) => (e.type === 'task-result' ? [e.result] : []));
  const by = (name: string) => results.find((r) => r.task === name) as TaskResult;
  return { summary, results, events, by, statuses: results.map((r) => `${r.handler ? 'H ' : ''}${r.task}=${r.status}`) };
}

const HANDLERS_PLAN = `
hosts: all
tasks:
  - name: config a
    file: { path: DIR/h/a, content: "a\\n" }
    notify: [second, first]
  - name: config b
    file: { path: DIR/h/b, content: "b\\n" }
    notify: first
  - name: unchanged notifier
    command: { cmd: "true", creates: DIR }
    notify: never-notified
handlers:
  - name: first
    command: "echo first >> DIR/h/log"
  - name: second
    command: "echo second >> DIR/h/log"
  - name: never-notified
    command: "echo never >> DIR/h/log"
`;

test('handlers: once each, in definition order, only when notified by a change; "would run" in check mode', async () => {
  const check = await run(`${HANDLERS_PLAN}\n`.replace('tasks:', 'tasks:\n  - name: mk\n    directory: DIR/h'), { check: true });
  assert.deepEqual(check.statuses, ['mk=changed', 'config a=changed', 'config b=changed', 'unchanged notifier=ok', 'H first=changed', 'H second=changed']);
  assert.equal(existsSync(path.join(dir, 'h')), false, 'check mode changed nothing');
  const real = await run(`${HANDLERS_PLAN}\n`.replace('tasks:', 'tasks:\n  - name: mk\n    directory: DIR/h'));
  assert.deepEqual(real.statuses, check.statuses, 'the real run changed exactly what check predicted');
  assert.equal(readFileSync(path.join(dir, 'h/log'), 'utf8'), 'first\nsecond\n');
  const again = await run(`${HANDLERS_PLAN}\n`.replace('tasks:', 'tasks:\n  - name: mk\n    directory: DIR/h'));
  assert.deepEqual(again.statuses, ['mk=ok', 'config a=ok', 'config b=ok', 'unchanged notifier=ok']);
});

test('tags and when select tasks; skipped tasks say why', async () => {
  const plan = `
hosts: all
tasks:
  - name: tagged
    command: "true"
    tags: [dkim]
  - name: untagged
    command: "true"
  - name: always
    command: "true"
    tags: [always]
  - name: on debian only
    command: "true"
    when: { facts.os_family: Debian }
  - name: on freebsd only
    command: "true"
    when: { facts.os_family: [FreeBSD] }
  - name: by variable test
    command: "true"
    when: { any: [{ inventory_hostname: nope }, { relay_password: { defined: true } }] }
`;
  const r = await run(plan, { tags: ['dkim'] });
  assert.deepEqual(r.statuses, ['tagged=changed', 'untagged=skipped', 'always=changed', 'on debian only=skipped', 'on freebsd only=skipped', 'by variable test=skipped']);
  assert.equal(r.by('untagged').reason, 'not selected by --tags');
  const all = await run(plan, { skipTags: ['dkim'] });
  assert.deepEqual(all.statuses, ['tagged=skipped', 'untagged=changed', 'always=changed', 'on debian only=changed', 'on freebsd only=skipped', 'by variable test=changed']);
  assert.equal(all.by('on freebsd only').reason, 'when: condition is false');
});

test('changed_when, ignore_errors, and a failure stops that host only after reporting it', async () => {
  const r = await run(`
hosts: all
tasks:
  - name: read only
    command: "echo status"
    changed_when: false
  - name: output decides
    command: "echo nothing to do"
    changed_when: { stdout_not_contains: "nothing to do" }
  - name: tolerated failure
    command: "exit 3"
    ignore_errors: true
  - name: real failure
    command: "echo boom >&2; exit 4"
  - name: never reached
    command: "true"
`);
  assert.deepEqual(r.statuses, ['read only=ok', 'output decides=ok', 'tolerated failure=failed', 'real failure=failed']);
  assert.equal(r.by('tolerated failure').ignored, true);
  assert.match(r.by('real failure').error!, /exited 4: boom/);
  assert.equal(r.summary.hosts.me!.failed, 1);
  assert.equal(r.summary.hosts.me!.ok, 3);
});

test('check mode: a task needing what an earlier command would create reports "depends on", never fails', async () => {
  const plan = `
hosts: all
tasks:
  - name: generate config
    command: { cmd: "mkdir -p DIR/gen && echo 'x = 1' > DIR/gen/app.conf", creates: DIR/gen/app.conf }
  - name: tune config
    line: { path: DIR/gen/app.conf, key: x, value: "2" }
`;
  const check = await run(plan, { check: true });
  assert.deepEqual(check.statuses, ['generate config=changed', 'tune config=changed']);
  assert.equal(check.by('tune config').dependsOn, 'generate config');
  assert.match(check.by('tune config').reason!, /^depends on 'generate config': .*app\.conf does not exist yet$/);
  const real = await run(plan);
  assert.deepEqual(real.statuses, check.statuses);
  assert.equal(readFileSync(path.join(dir, 'gen/app.conf'), 'utf8'), 'x = 2\n');
});

test('secrets and no_log: never in any event, diffs masked', async () => {
  const r = await run(`
hosts: all
tasks:
  - name: password file
    file: { path: DIR/pw, content: "user:{{relay_password}}\\n", mode: "0600" }
  - name: uses the password in a command
    command: "echo {{relay_password}} > /dev/null"
  - name: hidden
    command: "echo hidden-output-xyz; exit 1"
    no_log: true
    ignore_errors: true
`);
  assert.equal(readFileSync(path.join(dir, 'pw'), 'utf8'), 'user:hunter2-sekrit\n', 'the host gets the real value');
  const everything = JSON.stringify(r.events);
  assert.ok(!everything.includes('hunter2-sekrit'), 'secret value appears in no event');
  assert.ok(everything.includes('[redacted]'));
  assert.deepEqual(r.events.filter((e) => JSON.stringify(e).includes('hidden-output-xyz')), []);
  const pw = r.by('password file').changes[0]!;
  assert.ok(pw.kind === 'write' && !pw.diff?.after?.includes('hunter2'));
});

test('play-level when: a play only for FreeBSD hosts is skipped here, with the reason, and the next play runs', async () => {
  const r = await run(`
- name: freebsd only
  hosts: all
  when: { facts.os_family: FreeBSD }
  tasks:
    - name: bsd task
      command: "true"
- name: debian only
  hosts: all
  when: { facts.os_family: Debian }
  tasks:
    - name: debian task
      command: "true"
`);
  assert.deepEqual(r.statuses, ['bsd task=skipped', 'debian task=changed']);
  assert.equal(r.by('bsd task').reason, 'play when: condition is false');
});

test('apply: a later task sees the state an earlier change left, not what a no-change task saw before it', async () => {
  writeFileSync(path.join(dir, 'stale'), 'a\n');
  const r = await run(`
hosts: all
tasks:
  - name: already right
    file: { path: DIR/stale, content: "a\\n" }
  - name: something else rewrites it
    command: "echo b > DIR/stale"
  - name: then a line is added
    line: { path: DIR/stale, line: c }
`);
  assert.deepEqual(r.statuses, ['already right=ok', 'something else rewrites it=changed', 'then a line is added=changed']);
  assert.equal(readFileSync(path.join(dir, 'stale'), 'utf8'), 'b\nc\n');
});

test('apply: what a change may have altered is read again when a later task needs it, once for all stale queries', async () => {
  for (const f of ['x', 'y', 'z']) writeFileSync(path.join(dir, `deferred-${f}`), 'a\n');
  const reads = (r: Awaited<ReturnType<typeof run>>) => r.events.filter((e) => e.type === 'command' && e.command.startsWith('read state again')).length;
  // Consecutive changes: each change's script re-reads what the next task needs; no extra read.
  const chain = await run(`
hosts: all
tasks:
  - name: rewrite x
    command: "echo b > DIR/deferred-x"
  - name: rewrite y
    command: "echo b > DIR/deferred-y"
  - name: add to x
    line: { path: DIR/deferred-x, line: c }
  - name: add to y
    line: { path: DIR/deferred-y, line: c }
`);
  assert.deepEqual(chain.statuses, ['rewrite x=changed', 'rewrite y=changed', 'add to x=changed', 'add to y=changed']);
  assert.equal(readFileSync(path.join(dir, 'deferred-x'), 'utf8'), 'b\nc\n');
  assert.equal(readFileSync(path.join(dir, 'deferred-y'), 'utf8'), 'b\nc\n');
  assert.equal(reads(chain), 0);
  // A task with nothing to change after a change reads every stale query once, before it plans
  // (one exec per change, as before batching: batch-apply.ts reads them in the change's own exec).
  const GAP = `
hosts: all
tasks:
  - name: rewrite z
    command: "echo b > DIR/deferred-z"
  - name: z is as wanted now
    file: { path: DIR/deferred-z, content: "b\\n" }
  - name: y unchanged
    line: { path: DIR/deferred-y, line: c }
  - name: add to z
    line: { path: DIR/deferred-z, line: c }
`;
  const gap = await run(GAP, { batchChanges: false });
  assert.deepEqual(gap.statuses, ['rewrite z=changed', 'z is as wanted now=ok', 'y unchanged=ok', 'add to z=changed']);
  assert.equal(readFileSync(path.join(dir, 'deferred-z'), 'utf8'), 'b\nc\n');
  // "z is as wanted now" was read in the change's own script; "y unchanged" then reads y and z's
  // other query together, and "add to z" finds nothing stale.
  assert.equal(reads(gap), 1);
  // Batching changes: the command's exec reads again what the tasks after it that may share a batch need.
  writeFileSync(path.join(dir, 'deferred-z'), 'a\n');
  const gapBatched = await run(GAP);
  assert.deepEqual(gapBatched.statuses, gap.statuses);
  assert.equal(readFileSync(path.join(dir, 'deferred-z'), 'utf8'), 'b\nc\n');
  assert.equal(reads(gapBatched), 0);
  const LATE = `
hosts: all
tasks:
  - name: rewrite z again
    command: "echo d > DIR/deferred-z"
  - name: nothing to do on y
    line: { path: DIR/deferred-y, line: c }
  - name: z has d and c
    line: { path: DIR/deferred-z, line: c }
`;
  const late = await run(LATE, { batchChanges: false });
  assert.deepEqual(late.statuses, ['rewrite z again=changed', 'nothing to do on y=ok', 'z has d and c=changed']);
  assert.equal(readFileSync(path.join(dir, 'deferred-z'), 'utf8'), 'd\nc\n');
  assert.equal(reads(late), 1, 'z, stale since the command, read once when a task needs it');
  writeFileSync(path.join(dir, 'deferred-z'), 'a\n');
  const lateBatched = await run(LATE);
  assert.deepEqual(lateBatched.statuses, late.statuses);
  assert.equal(readFileSync(path.join(dir, 'deferred-z'), 'utf8'), 'd\nc\n');
  assert.equal(reads(lateBatched), 0, "z read again in the command's own exec");
});

test('a command running past --timeout fails the host with the host and the cause', async () => {
  const file = path.join(dir, 'slow.yml');
  writeFileSync(file, 'hosts: all\ntasks:\n  - name: slow\n    command: "sleep 5"\n');
  const events: RunEvent[] = [];
  const t0 = Date.now();
  const summary = await runPlan(
    loadPlan(file, { rolesPath: [], secrets: testSecrets }),
    loadInventory(inventoryFile, testSecrets),
    { check: false, forks: 1, tags: [], skipTags: [], secrets: testSecrets, extraVars: {}, commandTimeoutMs: 300 },
    (e) => events.push(e),
  );
  assert.ok(Date.now() - t0 < 4000);
  assert.equal(summary.hosts.me!.failed, 1);
  const failure = events.find((e) => e.type === 'task-result' && e.result.status === 'failed');
  assert.ok(failure && failure.type === 'task-result');
  assert.match(failure.result.error!, /timed out after 300 ms on me/);
});

test('loop: one task per item, reported with its label; variables may reference variables', async () => {
  const r = await run(`
hosts: all
vars:
  domains: [example.org, example.net]
  key_dir: "DIR/keys"
  key_file_of_first: "{{key_dir}}/{{first_domain}}.key"
  first_domain: example.org
tasks:
  - name: key directory
    directory: "{{key_dir}}"
  - name: key
    file: { path: "{{key_dir}}/{{item}}.key", content: "key for {{item}}\\n" }
    loop: "{{domains}}"
  - name: labelled
    command: "true"
    loop: [{ d: a }, { d: b }]
    loop_control: { loop_var: entry, label: "{{entry.d}}" }
  - name: derived variable
    file: { path: "{{key_file_of_first}}", content: "key for example.org\\n" }
`);
  assert.deepEqual(r.statuses, [
    'key directory=changed',
    'key (example.org)=changed',
    'key (example.net)=changed',
    'labelled (a)=changed',
    'labelled (b)=changed',
    'derived variable=ok',
  ]);
  assert.equal(readFileSync(path.join(dir, 'keys/example.net.key'), 'utf8'), 'key for example.net\n');
});

test('variables referencing each other in a cycle fail the host with the chain named', async () => {
  const r = await run(`
hosts: all
vars: { a: "{{b}}", b: "{{a}}" }
tasks:
  - name: t
    command: "true"
`);
  const failed = r.events.find((e) => e.type === 'host-failed');
  assert.ok(failed && failed.type === 'host-failed');
  assert.match(failed.error, /cycle: a → b → a/);
});

test('a file holding a secret shows no content diff: the old secret on the host is never printed', async () => {
  writeFileSync(path.join(dir, 'rotated'), 'user:old-password-on-host\n');
  const r = await run(`
hosts: all
tasks:
  - name: rotate
    file: { path: DIR/rotated, content: "user:{{relay_password}}\\n", mode: "0600" }
`);
  assert.deepEqual(r.statuses, ['rotate=changed']);
  const everything = JSON.stringify(r.events);
  assert.ok(!everything.includes('old-password-on-host'));
  assert.ok(!everything.includes('hunter2-sekrit'));
  const c = r.by('rotate').changes[0]!;
  assert.ok(c.kind === 'write' && c.diff?.masked === 'secret');
});

test('serial batches: hosts run a play in batches, and max_fail_percentage stops the run', async () => {
  const multi = path.join(dir, 'multi.yml');
  writeFileSync(multi, 'all:\n  hosts:\n' + [1, 2, 3, 4, 5].map((i) => `    h${i}: { connection: local }\n`).join(''));
  const planFile = path.join(dir, 'serial.yml');
  // h2's file is missing: its line task cannot be planned and fails (in check mode: nothing is changed).
  writeFileSync(planFile, `
hosts: all
serial: 2
max_fail_percentage: 40
tasks:
  - name: edit
    line: { path: "${dir}/serial-{{inventory_hostname}}", line: x }
`);
  for (const h of ['h1', 'h3', 'h4', 'h5']) writeFileSync(path.join(dir, `serial-${h}`), 'x\n');
  const events: RunEvent[] = [];
  const summary = await runPlan(loadPlan(planFile, { rolesPath: [], secrets: testSecrets }), loadInventory(multi, testSecrets), { check: true, forks: 5, tags: [], skipTags: [], secrets: testSecrets, extraVars: {} }, (e) => events.push(e));
  const started = events.filter((e) => e.type === 'host-start').map((e) => (e as any).host);
  assert.deepEqual(started, ['h1', 'h2'], 'the first batch failed 50% > 40%: no later batch started');
  assert.equal(summary.hosts.h2!.failed, 1);
  const notRun = events.filter((e) => e.type === 'host-failed' && /not run: 1 of 2 host\(s\)/.test(e.error)).map((e) => (e as any).host);
  assert.deepEqual(notRun, ['h3', 'h4', 'h5']);
  // Never provisioned is not "ok, nothing changed": each counts as failed in the summary.
  for (const h of ['h3', 'h4', 'h5']) assert.deepEqual([summary.hosts[h]!.failed, summary.hosts[h]!.ok], [1, 0], h);
  assert.deepEqual((await import('../../src/engine/run.js')).batches([1, 2, 3, 4, 5], '40%'), [[1, 2], [3, 4], [5]]);
});

test('force_handlers: notified handlers still run after a later task failed', async () => {
  const plan = (force: boolean) => `
hosts: all
force_handlers: ${force}
tasks:
  - name: change
    file: { path: DIR/fh-${force}, content: "x\\n" }
    notify: record
  - name: boom
    command: "exit 1"
handlers:
  - name: record
    command: "echo ran > DIR/fh-handler-${force}"
`;
  const off = await run(plan(false));
  assert.deepEqual(off.statuses, ['change=changed', 'boom=failed']);
  const on = await run(plan(true));
  assert.deepEqual(on.statuses, ['change=changed', 'boom=failed', 'H record=changed']);
  assert.equal(readFileSync(path.join(dir, 'fh-handler-true'), 'utf8'), 'ran\n');
});

test('host lock: a second run is refused naming the holder; --break-lock takes over; a run leaves no lock', async () => {
  const { lockPath } = await import('../../src/engine/host-lock.js');
  const { existsSync: exists, mkdirSync, utimesSync } = await import('node:fs');
  const lock = lockPath(lockDir);
  rmSync(lock, { force: true });
  const plan = 'hosts: all\ntasks:\n  - name: t\n    command: "true"\n';
  await run(plan);
  assert.equal(exists(lock), false, 'released after the run');
  mkdirSync(lockDir, { recursive: true, mode: 0o700 });
  writeFileSync(lock, 'v1 abc1230000000000 bob@ops-2 pid 77\n');
  const then = Date.now() / 1000 - 60;
  utimesSync(lock, then, then);
  try {
    const held = await run(plan);
    const failed = held.events.find((e) => e.type === 'host-failed');
    assert.ok(failed && failed.type === 'host-failed');
    assert.equal(failed.error.includes(`another fleetplan run holds this host (bob@ops-2 pid 77, since 6`), true, failed.error);
    assert.match(failed.error, / s ago; lock \S+\/run-lock\/lock\); .*--break-lock/);
    assert.equal(exists(lock), true, 'the other run\'s lock is left alone');
    const file = path.join(dir, 'lock-plan.yml');
    writeFileSync(file, plan);
    const events: RunEvent[] = [];
    const s = await runPlan(loadPlan(file, { rolesPath: [], secrets: testSecrets }), loadInventory(inventoryFile, testSecrets), { check: false, forks: 1, tags: [], skipTags: [], secrets: testSecrets, extraVars: {}, breakLock: true, lockDir }, (e) => events.push(e));
    assert.equal(s.hosts.me!.failed, 0);
    assert.equal(exists(lock), false);
  } finally {
    rmSync(lock, { force: true });
  }
});

test('host lock: a record not in the v1 grammar (an older format) is an error naming the file, not data', async () => {
  const { lockPath } = await import('../../src/engine/host-lock.js');
  const { mkdirSync } = await import('node:fs');
  const lock = lockPath(lockDir);
  mkdirSync(lockDir, { recursive: true, mode: 0o700 });
  writeFileSync(lock, 'abc123 carol@ops-3 pid 88\n');
  try {
    const held = await run('hosts: all\ntasks:\n  - name: t\n    command: "true"\n');
    const failed = held.events.find((e) => e.type === 'host-failed');
    assert.ok(failed && failed.type === 'host-failed');
    assert.match(failed.error, /the run lock record at \S+\/run-lock\/lock is malformed — not written by fleetplan; inspect and remove it/);
  } finally {
    rmSync(lock, { force: true });
  }
});

test('host lock: a lock left by a dead run of this controller is taken over with a note', async () => {
  const { lockPath, newOwner } = await import('../../src/engine/host-lock.js');
  const { mkdirSync } = await import('node:fs');
  const lock = lockPath(lockDir);
  mkdirSync(lockDir, { recursive: true, mode: 0o700 });
  // pid 2^22+1 is above Linux's pid_max default: no such process.
  const me = newOwner();
  writeFileSync(lock, `v1 dead000000000000 ${me.user}@${me.host} pid 4194305\n`);
  try {
    const r = await run('hosts: all\ntasks:\n  - name: t\n    command: "true"\n');
    assert.equal(r.summary.hosts.me!.failed, 0);
    const note = r.events.find((e) => e.type === 'host-note');
    assert.ok(note && note.type === 'host-note' && / stale run lock \(\S+@\S+ pid 4194305, no longer running\)/.test(note.note), note && 'note' in note ? note.note : '');
  } finally {
    rmSync(lock, { force: true });
  }
});

test('host lock: no record file (lock.<token>) is left — after a run, a refused (held) lock, --break-lock, a dead run\'s lock taken over', async () => {
  const { lockPath, newOwner } = await import('../../src/engine/host-lock.js');
  const { linkSync, mkdirSync, readdirSync } = await import('node:fs');
  const lock = lockPath(lockDir);
  const names = () => readdirSync(lockDir).filter((n) => n.startsWith('lock')).sort();
  const plan = 'hosts: all\ntasks:\n  - name: t\n    command: "true"\n';
  const ok = async (breakLock = false) => {
    const file = path.join(dir, 'lock-aside-plan.yml');
    writeFileSync(file, plan);
    const s = await runPlan(loadPlan(file, { rolesPath: [], secrets: testSecrets }), loadInventory(inventoryFile, testSecrets), { check: false, forks: 1, tags: [], skipTags: [], secrets: testSecrets, extraVars: {}, breakLock, lockDir }, () => undefined);
    assert.equal(s.hosts.me!.failed, 0);
  };
  rmSync(lockDir, { recursive: true, force: true });
  try {
    await ok();
    assert.deepEqual(names(), [], 'after a run');
    mkdirSync(lockDir, { recursive: true, mode: 0o700 });
    writeFileSync(lock, 'v1 abc1230000000000 bob@ops-2 pid 77\n');
    const held = await run(plan);
    assert.ok(held.events.some((e) => e.type === 'host-failed'));
    assert.deepEqual(names(), ['lock'], 'after a refused lock');
    await ok(true);
    assert.deepEqual(names(), [], 'after --break-lock');
    // A run of this controller killed before its release: its lock and its record file (one file, two names).
    const me = newOwner();
    writeFileSync(lock, `v1 dead000000000000 ${me.user}@${me.host} pid 4194305\n`);
    linkSync(lock, path.join(lockDir, 'lock.dead000000000000'));
    await ok();
    assert.deepEqual(names(), [], 'after a dead run\'s lock was taken over');
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
});

test('follow-ups: systemd enables skip their own daemon-reload; ONE reload runs after the play, also after a failure, and a dry run shows it', async () => {
  // A fake systemctl on PATH: `show` answers from marker files, every call is logged.
  const sd = path.join(dir, 'sd');
  mkdirSync(sd, { recursive: true });
  const fake = path.join(sd, 'systemctl');
  writeFileSync(fake, `#!/bin/sh
echo "$*" >> ${sd}/log
case "$1" in
  show) while [ "$1" != "--" ]; do shift; done; shift
    for n; do e=disabled; [ -e ${sd}/on-$n ] && e=enabled; l=loaded; [ -e ${sd}/gone-$n ] && l=not-found
      printf 'Id=%s.service\\nNames=%s.service\\nLoadState=%s\\nActiveState=active\\nUnitFileState=%s\\n\\n' $n $n $l $e; done ;;
  enable) [ "$2" = --no-reload ] && [ "$3" = -- ] && touch ${sd}/on-$4 ;;
esac
`, { mode: 0o755 });
  const oldPath = process.env.PATH;
  process.env.PATH = `${sd}:${oldPath}`;
  try {
    const plan = (then: string) => `
hosts: all
tasks:
  - name: a at boot
    service: { name: a, enabled: true, use: systemd }
  - name: b at boot
    service: { name: b, enabled: true, use: systemd }
${then}`;
    const log = () => (existsSync(path.join(sd, 'log')) ? readFileSync(path.join(sd, 'log'), 'utf8').split('\n').filter((l) => l && !l.startsWith('show')) : []);
    const reload = "H reload systemd's unit configuration";

    const check = await run(plan(''), { check: true });
    assert.deepEqual(check.statuses, ['a at boot=changed', 'b at boot=changed', `${reload}=changed`]);
    const shown = check.by("reload systemd's unit configuration");
    assert.deepEqual(shown.changes.map((c) => (c.kind === 'run' ? c.command : '')), ['systemctl daemon-reload']);
    assert.equal(shown.reason, 'after: enable a at boot, enable b at boot');
    assert.deepEqual(log(), [], 'the dry run ran nothing');

    const real = await run(plan(''));
    assert.deepEqual(real.statuses, check.statuses, 'the real run does what the dry run showed');
    assert.deepEqual(log(), ['enable --no-reload -- a', 'enable --no-reload -- b', 'daemon-reload']);

    const again = await run(plan(''));
    assert.deepEqual(again.statuses, ['a at boot=ok', 'b at boot=ok'], 'nothing enabled: no reload');
    assert.equal(log().length, 3);

    rmSync(path.join(sd, 'on-b'));
    const failing = await run(plan('  - name: boom\n    command: "exit 1"\n'));
    assert.deepEqual(failing.statuses, ['a at boot=ok', 'b at boot=changed', 'boom=failed', `${reload}=changed`], 'the enable was made: its reload still runs');
    assert.deepEqual(log().slice(3), ['enable --no-reload -- b', 'daemon-reload']);
    assert.equal(failing.summary.hosts.me!.failed, 1);

    // A dry run that cannot plan the enable yet (its unit comes from an earlier command) still shows the reload, as uncertain.
    writeFileSync(path.join(sd, 'gone-c'), '');
    const installs = `  - name: install c\n    command: "rm ${path.join(sd, 'gone-c')}"\n  - name: c at boot\n    service: { name: c, enabled: true, use: systemd }\n`;
    const unsure = await run(plan(installs), { check: true });
    assert.deepEqual(unsure.statuses, ['a at boot=ok', 'b at boot=ok', 'install c=changed', 'c at boot=changed', `${reload}=changed`]);
    assert.equal(unsure.by('c at boot').dependsOn, 'install c');
    assert.equal(unsure.by("reload systemd's unit configuration").dependsOn, 'c at boot', 'only possibly needed');
    const made = await run(plan(installs));
    assert.deepEqual(made.statuses, unsure.statuses);
    assert.deepEqual(log().slice(5), [`enable --no-reload -- c`, 'daemon-reload']);
  } finally {
    process.env.PATH = oldPath;
  }
});
