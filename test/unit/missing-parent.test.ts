// A missing parent directory said as what it is, never as a symbolic link swapped in. The read (a real sh,
// real files) names the entry on the way that is no directory; planning refuses a new file, link or
// directory below what is not there — as a dry run would, against what earlier tasks predict — and the
// change script, when the way is gone by the time it runs, tells a missing directory, an entry that is no
// directory and one it may not enter from a physical path that changed (the swap message stays for that).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DryRun } from '../../src/engine/dry-run.js';
import { changeScript } from '../../src/engine/executor.js';
import { mkdirScript, NOT_ENTERED } from '../../src/ops/safe-path.js';
import { operations } from '../../src/ops/registry.js';
import { Unresolved, type Change, type PlanResult } from '../../src/ops/operation.js';
import { fileQuery, fileResource, type FileState } from '../../src/state/file-state.js';
import { PRELUDE } from '../../src/state/prelude.js';
import { StateView } from '../../src/state/query.js';
import { debianOpContext } from './op-context.js';

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-missing-parent-'));
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, 'real'));
  mkdirSync(path.join(dir, 'locked/in'), { recursive: true });
  chmodSync(path.join(dir, 'locked'), 0o700);
  writeFileSync(path.join(dir, 'plain'), 'p\n');
  symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
  symlinkSync(path.join(dir, 'plain'), path.join(dir, 'to-file'));
  symlinkSync(path.join(dir, 'real'), path.join(dir, 'to-dir'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `script` under `shell` (as `user` through su when given); status and stderr. */
function sh(script: string, shell = 'sh', user?: string): { status: number | null; stderr: string; stdout: Buffer } {
  const [cmd, ...args] = shell.split(' ');
  const r = user ? spawnSync('su', ['-s', '/bin/sh', user, '-c', `${shell} -s`], { input: script }) : spawnSync(cmd!, [...args, '-s'], { input: script });
  return { status: r.status, stderr: r.stderr.toString().trim(), stdout: r.stdout };
}

/** The state the read finds for `p`. */
function read(p: string): FileState {
  const q = fileQuery(p);
  const r = sh(`${PRELUDE}\n${q.script}`);
  assert.equal(r.status, 0, r.stderr);
  return q.parse(r.stdout, 0);
}

describe('the read: the nearest directory, and the entry on the way that is no directory', () => {
  it('a missing parent: the anchor is the nearest directory, nothing blocks', () => {
    const st = read(path.join(dir, 'no/such/f'));
    assert.equal(st.exists, false);
    assert.deepEqual(st.anchor, { logical: dir, physical: dir });
    assert.equal(st.notDirectory, undefined);
  });
  it('a regular file, a dangling link, a link to a file on the way: named, links marked', () => {
    assert.deepEqual(read(path.join(dir, 'plain/sub/f')).notDirectory, { path: path.join(dir, 'plain'), link: false });
    assert.deepEqual(read(path.join(dir, 'dangling/f')).notDirectory, { path: path.join(dir, 'dangling'), link: true });
    assert.deepEqual(read(path.join(dir, 'to-file/f')).notDirectory, { path: path.join(dir, 'to-file'), link: true });
  });
  it('a parent that is there (a link to a directory too): nothing blocks', () => {
    for (const p of ['real/f', 'to-dir/f', 'plain']) assert.equal(read(path.join(dir, p)).notDirectory, undefined, p);
  });
});

const ctx = debianOpContext();

/** Plans `op` with `args` against `st` for every query, and `predicted` as earlier tasks' predictions. */
function plan(op: string, args: Record<string, unknown>, st: FileState, predicted: Record<string, FileState> = {}): PlanResult {
  const o = operations.get(op)!;
  const r = o.resolve(o.schema.parse(args), ctx);
  const view = new StateView();
  // link's stat queries: dest (below /srv) absent, src a file.
  const stat = (key: string) => (key.startsWith('stat:/srv') ? { kind: 'stat', exists: false } : { kind: 'stat', exists: true, type: 'file' });
  for (const q of o.queries(r, ctx)) view.set(q.key, q.key.startsWith('stat:') ? stat(q.key) : st);
  for (const [p, v] of Object.entries(predicted)) view.predict(fileResource(p), v);
  return o.plan(r, view, ctx);
}

/** The Unresolved a plan throws: its message and hint. */
function refusal(fn: () => unknown): { message: string; hint?: string; planned?: PlanResult } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Unresolved, String(err));
    return { message: err.message, hint: err.hint, planned: err.planned };
  }
  assert.fail('planned, not refused');
}

const missingBelowSrv: FileState = { exists: false, anchor: { logical: '/srv', physical: '/srv' } };
const dirState: FileState = { exists: true, type: 'directory', owner: 'root', group: 'root', mode: '0755' };

describe('planning: a new path whose parent is not there is refused, as the real run would fail', () => {
  it('file, link: "destination directory … does not exist" (Ansible\'s words), with how to make it', () => {
    const r = refusal(() => plan('file', { path: '/srv/a/b/f', content: 'x\n' }, missingBelowSrv));
    assert.equal(r.message, '/srv/a/b/f: destination directory /srv/a/b does not exist');
    assert.match(r.hint!, /a directory task makes it, parents included/);
    // What it would write once an earlier change (a package install) makes the directory: for the dry run's report.
    const planned = r.planned!;
    assert.ok(planned.changes[0]?.kind === 'write' && planned.changes[0].write.content.toString() === 'x\n');
    assert.deepEqual(planned.effects?.predicts?.map((x) => x.resource), [fileResource('/srv/a/b/f')]);
    assert.equal(refusal(() => plan('link', { src: '/etc/hostname', dest: '/srv/a/l' }, missingBelowSrv)).message, '/srv/a/l: destination directory /srv/a does not exist');
  });
  it('an entry on the way that is no directory, as read or as an earlier task leaves it', () => {
    const blocked = { ...missingBelowSrv, notDirectory: { path: '/srv/a', link: false } };
    assert.equal(refusal(() => plan('file', { path: '/srv/a/f', content: 'x\n' }, blocked)).message, '/srv/a/f: /srv/a is not a directory');
    const viaLink = { ...missingBelowSrv, notDirectory: { path: '/srv/a', link: true } };
    assert.equal(refusal(() => plan('file', { path: '/srv/a/b/f', content: 'x\n' }, viaLink)).message, '/srv/a/b/f: /srv/a is a symbolic link that leads to no directory');
    const predictedFile = { '/srv/a': { exists: true, type: 'file' } as FileState };
    assert.equal(refusal(() => plan('file', { path: '/srv/a/f', content: 'x\n' }, missingBelowSrv, predictedFile)).message, '/srv/a/f: /srv/a is not a directory');
    assert.equal(refusal(() => plan('directory', { path: '/srv/a/b' }, missingBelowSrv, predictedFile)).message, '/srv/a/b: /srv/a is not a directory');
    assert.equal(refusal(() => plan('directory', { path: '/srv/a/b/c' }, { ...blocked, anchor: { logical: '/srv', physical: '/srv' } })).message, '/srv/a/b/c: /srv/a is not a directory');
  });
  it('the parent an earlier task makes (dry run, batch): planned; a directory made above it is not enough', () => {
    const p = plan('file', { path: '/srv/a/b/f', content: 'x\n' }, missingBelowSrv, { '/srv/a/b': dirState });
    assert.equal(p.changes[0]?.kind, 'write');
    assert.equal(plan('link', { src: '/etc/hostname', dest: '/srv/a/l' }, missingBelowSrv, { '/srv/a': dirState }).changes.length, 1);
    const above = refusal(() => plan('file', { path: '/srv/a/b/f', content: 'x\n' }, missingBelowSrv, { '/srv/a': dirState }));
    assert.equal(above.message, '/srv/a/b/f: destination directory /srv/a/b does not exist');
    const removed = refusal(() => plan('file', { path: '/srv/a/f', content: 'x\n' }, { exists: false, anchor: { logical: '/srv/a', physical: '/srv/a' } }, { '/srv/a': { exists: false } }));
    assert.equal(removed.message, '/srv/a/f: destination directory /srv/a does not exist');
    // An entry read as no directory that an earlier task replaces: the prediction decides.
    const replaced = { ...missingBelowSrv, notDirectory: { path: '/srv/a', link: false } };
    assert.equal(plan('file', { path: '/srv/a/f', content: 'x\n' }, replaced, { '/srv/a': dirState }).changes.length, 1);
  });
  it('a directory task makes the missing parents; a parent that is there, or a read without an anchor, is never refused', () => {
    assert.equal(plan('directory', { path: '/srv/a/b/c' }, missingBelowSrv).changes.length, 1);
    assert.equal(plan('file', { path: '/srv/f', content: 'x\n' }, missingBelowSrv).changes.length, 1);
    assert.equal(plan('file', { path: '/srv/a/f', content: 'x\n' }, { exists: false }).changes.length, 1);
  });
});

describe('user: a new account gets a home directory no prediction names', () => {
  const answer = (key: string) => (key.startsWith('user:') ? { exists: false, groups: [] } : { exists: true, gid: 5 });
  const planUser = (args: Record<string, unknown>, exists = false) => {
    const o = operations.get('user')!;
    const r = o.resolve(o.schema.parse(args), ctx);
    const view = new StateView();
    for (const q of o.queries(r, ctx)) view.set(q.key, exists ? { exists: true, uid: 1000, primaryGroup: 'bob', groups: ['bob'] } : answer(q.key));
    return o.plan(r, view, ctx);
  };
  it('useradd -m: other changes (a dry run reports a write below the home as depending on it); a system account or an existing one: none', () => {
    assert.match((planUser({ name: 'bob' }).changes[0] as Extract<Change, { kind: 'run' }>).command, / -m /);
    assert.equal(planUser({ name: 'bob' }).effects?.unpredictable, 'other-changes');
    assert.equal(planUser({ name: 'svc', system: true }).effects?.unpredictable, undefined);
    assert.equal(planUser({ name: 'bob' }, true).effects?.unpredictable, undefined);
  });
});

describe('dry run: what a task cannot be planned against depends on a change made elsewhere', () => {
  it("a delegate's dry run asks the delegating host's (a run_once change it adopted), after its own", () => {
    const host = new DryRun(new StateView());
    const delegate = new DryRun(new StateView(), {}, host);
    const missing = new Unresolved('/c/d/f: destination directory /c/d does not exist');
    assert.equal(delegate.dependsOn(missing), undefined, 'nothing changed anywhere: the task fails, as the real run would');
    host.changing("certbot's directory", { changes: [], effects: { unpredictable: 'other-changes' } });
    assert.equal(delegate.dependsOn(missing), "certbot's directory");
    delegate.changing('own command', { changes: [], effects: { unpredictable: 'may-create-anything' } });
    assert.equal(delegate.dependsOn(missing), 'own command');
    assert.equal(delegate.dependsOn(new Error('not Unresolved')), undefined);
  });
});

describe('the change script: a directory it cannot enter, said as what it is', () => {
  const write = (logical: string, physical = logical): Change => ({
    kind: 'write',
    description: 'w',
    write: { path: `${logical}/f`, content: Buffer.from('x\n'), mode: '0644', place: { dir: { logical, physical }, name: 'f', userWritable: true } },
  });
  const cases: [string, string, string | RegExp][] = [
    ['no/such', '', 'directory DIR/no/such does not exist'],
    ['plain/sub', '', 'DIR/plain is not a directory'],
    ['plain', '', 'DIR/plain is not a directory'],
    ['dangling/sub', '', 'DIR/dangling is a symbolic link that leads to no directory'],
    ['to-file', '', 'DIR/to-file is a symbolic link that leads to no directory'],
    // The read found a real directory there; now it leads elsewhere: the swap, said as before.
    ['to-dir', 'to-dir', 'DIR/to-dir no longer leads to DIR/to-dir (changed since it was read: a symbolic link swapped in?)'],
  ];
  for (const shell of ['dash', 'bash --posix']) {
    it(`${shell}: missing, no directory, a link to none; a physical path that changed is still the swap`, () => {
      for (const [rel, phys, why] of cases) {
        const logical = path.join(dir, rel);
        const r = sh(changeScript([write(logical, phys ? path.join(dir, phys) : logical)]), shell);
        assert.equal(r.status, 1, rel);
        assert.equal(r.stderr, `${logical}/f: ${String(why).split('DIR').join(dir)}; nothing done`, rel);
      }
      const ok = sh(changeScript([write(path.join(dir, 'real'))]), shell);
      assert.equal(ok.status, 0, ok.stderr);
    });
  }
  const notRoot = process.getuid?.() === 0 ? false : 'runs the script as nobody through su: needs root';
  it('not root: a directory it may not search cannot be entered (permission denied), not "missing"', { skip: notRoot }, () => {
    for (const rel of ['locked', 'locked/in']) {
      const r = sh(changeScript([write(path.join(dir, rel))]), 'sh', 'nobody');
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `${dir}/${rel}/f: directory ${dir}/locked cannot be entered (permission denied); nothing done`);
    }
  });
  it('the helper is sent only with a change that enters a directory; without it the change still stops', () => {
    assert.ok(changeScript([write('/srv')]).includes(NOT_ENTERED));
    assert.ok(!changeScript([{ kind: 'run', description: 'c', command: 'true' }]).includes('_fp_nodir()'));
    const bare = mkdirScript('/x/y', { logical: path.join(dir, 'gone'), physical: path.join(dir, 'gone') }, true, '', '');
    const r = sh(`${bare}\necho reached`);
    assert.notEqual(r.status, 0);
    assert.ok(!r.stdout.toString().includes('reached'), 'nothing after the failed enter ran');
  });
  it('a directory task: mkdir that fails says so, not "a symbolic link swapped in"', () => {
    const r = sh(changeScript([{ kind: 'run', description: 'd', command: mkdirScript(path.join(dir, 'plain/sub'), { logical: dir, physical: dir }, true, '', '') }]));
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`${dir}/plain/sub: cannot create directory ${dir}/plain; nothing more done$`));
    assert.doesNotMatch(r.stderr, /swapped/);
  });
});
