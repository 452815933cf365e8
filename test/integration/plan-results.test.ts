// Per-task results on a real host: register (in when:, templates, arguments, a loop's results),
// set_fact across tasks and plays, failed_when/changed_when over output, until/retries, assert and
// fail, check_mode per task — each in a dry run (what it knows, what it defers) and a real run, with
// a zero-change re-run and the dry run agreeing with the real run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, repoRoot, tasksWith } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-results-');
const fixtures = path.join(repoRoot, 'test/integration/fixtures/plan-results');
const HOST = 'deb-sysv-1';
let fleet: Fleet;

before(async () => {
  if (skip) return;
  fleet = await up({ os: 'debian-sysv', count: 1, out });
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

const run = (plan: string, ...args: string[]) => fleetplan(['apply', path.join(fixtures, plan), '-i', fleet.inventoryPath, '--json', ...args]);
const task = (json: any, name: string) => {
  const t = json.hosts[HOST].tasks.find((x: any) => x.name === name);
  assert.ok(t, `no result for '${name}' in ${JSON.stringify(json.hosts[HOST].tasks.map((x: any) => x.name))}`);
  return t;
};
const onHost = async (cmd: string) => (await fleet.exec(HOST, cmd)).stdout;

let checked: any;

test('results: a dry run uses the probes it runs and defers what depends on output it cannot know', { skip }, async () => {
  const r = await run('results.yml', '--check');
  assert.equal(r.code, 0, r.stderr);
  checked = r.json;
  // check_mode: false probes ran: their results are real and conditions over them are decided.
  assert.equal(task(checked, 'read the hostname').status, 'ok');
  assert.equal(task(checked, 'exit 3 is fine').status, 'ok', 'failed_when {three.rc: {gt: 3}} does not hold for exit 3');
  assert.equal(task(checked, 'never on this fleet').status, 'skipped');
  assert.equal(task(checked, 'debian hosts get a note').status, 'changed');
  // The template reads deb.stdout, the output of a command a dry run does not run.
  const tpl = task(checked, 'host file from a template');
  assert.equal(tpl.status, 'changed');
  assert.equal(tpl.depends_on, 'debian version');
  assert.match(tpl.reason, /^deferred: depends on 'debian version'/);
  // Known parts of a result stay known: the file's state as the earlier task would leave it.
  assert.equal(task(checked, "the note's state is known").status, 'ok');
  assert.equal(task(checked, 'set_fact reaches a later play').status, 'ok');
  assert.equal(await onHost('ls /etc/results-note /etc/results-host.txt /etc/results-greeting 2>/dev/null | wc -l'), '0\n', 'a dry run changes nothing');
});

test('results: apply does what the dry run said; registered values reach templates, arguments and later plays', { skip }, async () => {
  const r = await run('results.yml');
  assert.equal(r.code, 0, r.stderr);
  assertPredicted(checked, r.json, HOST);
  assert.equal(task(r.json, 'exit 3 is fine').status, 'ok', 'changed_when {three.stdout: changed} does not hold');
  assert.equal(task(r.json, 'the note as a result').status, 'ok');
  assert.equal(await onHost('cat /etc/results-note'), `on ${HOST} rc=3 items=ab n=2\n`);
  const version = (await onHost('cat /etc/debian_version')).trim();
  assert.equal(await onHost('cat /etc/results-host.txt'), `host ${HOST}\nhello ${HOST}\ndebian ${version}\n`);
  assert.equal(await onHost('cat /etc/results-greeting'), `hello ${HOST}\n`);
  assert.equal(await onHost('test -e /etc/results-never && echo yes || echo no'), 'no\n');
});

test('results: a second run, dry and real, changes nothing', { skip }, async () => {
  const check = await run('results.yml', '--check');
  assert.equal(check.code, 0, check.stderr);
  assert.deepEqual(tasksWith(check.json, HOST, 'changed').filter((n) => n !== 'host file from a template'), []);
  // The template reads a command's output: the dry run cannot promise it is unchanged, and says why.
  assert.equal(task(check.json, 'host file from a template').depends_on, 'debian version');
  const again = await run('results.yml');
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(tasksWith(again.json, HOST, 'changed'), []);
});

test('results: with every registered value from a check_mode: false probe, the dry run reports exactly the real changes', { skip }, async () => {
  const check = await run('exact.yml', '--check');
  assert.equal(check.code, 0, check.stderr);
  assert.ok(check.json.hosts[HOST].tasks.every((t: any) => t.depends_on === undefined), 'nothing deferred');
  const real = await run('exact.yml');
  assert.equal(real.code, 0, real.stderr);
  const changed = (j: any) => tasksWith(j, HOST, 'changed').sort();
  assert.deepEqual(changed(check.json), ['kernel file', 'only on Linux']);
  assert.deepEqual(changed(real.json), changed(check.json));
  assert.equal(await onHost('cat /etc/results-kernel'), 'Linux\n');
  assert.deepEqual(changed((await run('exact.yml')).json), []);
});

test('until/retries: deferred in a dry run (a probe is retried for real), succeeds on the 3rd try in a real run', { skip }, async () => {
  const check = await run('retry.yml', '--check');
  assert.equal(check.code, 0, check.stderr);
  const count = task(check.json, 'count to three');
  assert.equal(count.status, 'changed');
  assert.match(count.reason, /until: deferred: depends on 'count to three'/);
  assert.equal(task(check.json, 'count reached').depends_on, 'count to three');
  const probe = task(check.json, 'probe counts in a dry run too');
  assert.equal(probe.status, 'ok');
  assert.equal(probe.attempts, 2);
  assert.equal(await onHost('cat /var/tmp/results-probe; test -e /var/tmp/results-count && echo counted || echo not-counted'), '2\nnot-counted\n');

  await fleet.exec(HOST, 'rm -f /var/tmp/results-probe');
  const real = await run('retry.yml');
  assert.equal(real.code, 0, real.stderr);
  const counted = task(real.json, 'count to three');
  assert.equal(counted.status, 'changed');
  assert.equal(counted.attempts, 3);
  assert.match(counted.reason, /until holds after 3 attempt\(s\)/);
  const giveUp = task(real.json, 'give up');
  assert.equal(giveUp.status, 'failed');
  assert.equal(giveUp.ignored, true);
  assert.equal(giveUp.attempts, 2, 'retries: 1 = the first try and one more');
  assert.match(giveUp.error, /until: not met after 2 attempt\(s\)/);
  assert.equal(task(real.json, 'count reached').status, 'ok');
  assert.equal(await onHost('cat /var/tmp/results-count'), '3\n');
});

test('assert and fail: evaluated in a dry run when their inputs are known, deferred when not', { skip }, async () => {
  const ok = await run('checks.yml', '--check', '-e', 'want=ok');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(task(ok.json, 'known inputs hold').reason, 'inputs fine');
  const deferred = task(ok.json, 'output-dependent assertion');
  assert.equal(deferred.status, 'ok');
  assert.equal(deferred.depends_on, 'version probe');
  assert.match(deferred.reason, /^deferred: depends on 'version probe'/);
  // A fact set from unknown output is unknown, and what reads it depends on the same probe.
  assert.equal(task(ok.json, 'version as a fact').depends_on, 'version probe');
  assert.equal(task(ok.json, 'the fact holds a version').depends_on, 'version probe');

  for (const [want, name, message] of [['bad-known', 'known input fails', 'want must not be bad-known'], ['fail', 'explicit fail', 'failing on purpose'], ['output-fails', 'output says error', 'failed_when holds (exit 0)']]) {
    for (const mode of [['--check'], []]) {
      const r = await run('checks.yml', ...mode, '-e', `want=${want}`);
      assert.notEqual(r.code, 0, `${want} ${mode}: fails`);
      const t = task(r.json, name!);
      assert.equal(t.status, 'failed', `${want} ${mode}`);
      assert.equal(t.error, message);
      assert.equal(r.json.hosts[HOST].tasks.some((x: any) => x.name === 'after the checks'), false, 'the host stops at the failure');
    }
  }
  assert.equal(await onHost('test -e /etc/results-checked && echo yes || echo no'), 'no\n', 'nothing after a failed assertion ran');

  // The same assertion over output the dry run cannot know: deferred in check, failing for real.
  const bad = await run('checks.yml', '--check', '-e', 'want=deferred-bad');
  assert.equal(bad.code, 0, bad.stderr);
  assert.equal(task(bad.json, 'output-dependent failure').depends_on, 'version probe');
  const badReal = await run('checks.yml', '-e', 'want=deferred-bad');
  assert.notEqual(badReal.code, 0);
  assert.equal(task(badReal.json, 'output-dependent failure').error, 'not a nope version');
});

test('check_mode: true reports a change without applying it, even in a real run', { skip }, async () => {
  const r = await run('checks.yml', '-e', 'want=ok');
  assert.equal(r.code, 0, r.stderr);
  const dry = task(r.json, 'only ever a dry run');
  assert.equal(dry.status, 'changed');
  assert.match(dry.reason, /^check_mode: true: not applied/);
  assert.equal(await onHost('test -e /etc/results-dry && echo yes || echo no'), 'no\n');
  assert.equal(await onHost('cat /etc/results-checked'), 'checked\n');
  assert.equal(task(r.json, 'output-dependent assertion').reason, 'all assertions passed');
  assert.equal(task(r.json, 'the fact holds a version').status, 'ok');
});

test("register: a no_log task's output stays secret in the tasks that use it", { skip }, async () => {
  for (const mode of [['--check'], []]) {
    const r = await run('nolog.yml', ...mode);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.includes('s3cr3t-token-42'), false, `${mode}: the secret is in the report`);
    assert.deepEqual(task(r.json, 'use it').commands, ['test [redacted] = [redacted]'], `${mode}`);
    assert.equal(task(r.json, 'use it').status, 'changed', `${mode}`);
  }
});

test('check_mode: false: a dry run does not run a probe after a change it would not see; the assertion over it is deferred', { skip }, async () => {
  const fresh = await run('probe-after-change.yml', '--check');
  assert.equal(fresh.code, 0, fresh.stderr);
  const probe = task(fresh.json, 'read the marker');
  assert.equal(probe.depends_on, 'marker before the probe');
  assert.match(probe.reason, /not run in a dry run: 'marker before the probe' would change the host before it/);
  const check = task(fresh.json, 'the marker reads ready');
  assert.equal(check.status, 'ok');
  assert.match(check.reason, /^deferred: depends on 'read the marker'/);
  assert.equal(await onHost('test -e /etc/results-marker && echo yes || echo no'), 'no\n', 'the dry run changed nothing');
  const real = await run('probe-after-change.yml');
  assert.equal(real.code, 0, real.stderr);
  assert.equal(task(real.json, 'the marker reads ready').status, 'ok');
  // Nothing changes before the probe now: the dry run runs it, and the assertion is decided.
  const again = await run('probe-after-change.yml', '--check');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(task(again.json, 'read the marker').depends_on, undefined);
  assert.equal(task(again.json, 'the marker reads ready').depends_on, undefined);
  assert.deepEqual(tasksWith(again.json, HOST, 'changed'), []);
});

test('a read-only probe (check_mode: false, changed_when: false) makes nothing stale: no state is read again after it', { skip }, async () => {
  const first = await run('probe-reads.yml');
  assert.equal(first.code, 0, first.stderr);
  const r = await fleetplan(['apply', path.join(fixtures, 'probe-reads.yml'), '-i', fleet.inventoryPath, '--verbose']);
  assert.equal(r.code, 0, r.stderr);
  const execs = r.stdout.split('\n').filter((l) => /^\s+\[[^\]]+\] exit/.test(l)).map((l) => l.replace(/.*: /, '').replace(/ \(with the facts\)$/, ''));
  // The probe's play reads nothing again. The plain command's play must read the files after it
  // again, but it does so in the command's own exec (batch-apply.ts), so no exec of its own.
  assert.deepEqual(execs, ['gather facts', 'probes read nothing again', 'cat /etc/hostname', 'commands do', 'cat /etc/hostname', 'release run lock'], r.stdout);
});

test('check_mode: false: a probe in a later play is not run in a dry run after an earlier play would change the host', { skip }, async () => {
  const fresh = await run('probe-after-play.yml', '--check');
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.equal(task(fresh.json, 'read the play marker').depends_on, 'marker in an earlier play');
  assert.match(task(fresh.json, 'the play marker reads ready').reason, /^deferred: depends on 'read the play marker'/);
  const real = await run('probe-after-play.yml');
  assert.equal(real.code, 0, real.stderr);
  const again = await run('probe-after-play.yml', '--check');
  assert.equal(task(again.json, 'the play marker reads ready').depends_on, undefined);
  assert.deepEqual(tasksWith(again.json, HOST, 'changed'), []);
});
