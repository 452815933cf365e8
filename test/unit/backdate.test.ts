// `backdate` (ops/file-content.ts, engine/backdate.ts): the written file's mtime set some seconds before the
// host's clock, just before the rename, on a real sh with real files — with GNU touch (`-d @EPOCH`), with a
// FreeBSD-like touch (no `@`, only `-A -SS`), and with a touch that can do neither (the write still
// succeeds, nothing said). The plan, diff and --json file record do not show it; the load refuses a value
// outside 0-60 at its file:line:col; every bundled role's task writing main.cf carries it.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { changeScript, writeScript } from '../../src/engine/executor.js';
import { backdateScript } from '../../src/engine/backdate.js';
import { planFileContent } from '../../src/ops/file-content.js';
import type { Change, OpContext, WriteSpec } from '../../src/ops/operation.js';
import type { FileState } from '../../src/state/file-state.js';
import { StateView } from '../../src/state/query.js';
import { SecretRegistry } from '../../src/core/secret.js';
import { loadPlan } from '../../src/load/plan.js';
import { operations } from '../../src/ops/registry.js';
import { hasError, inputErrors } from './load-helpers.js';
import { localHost } from './local-host.js';
import { parse } from 'yaml';
import { packageRoot } from '../../src/core/paths.js';

let host: Awaited<ReturnType<typeof localHost>>;
before(async () => (host = await localHost()));
after(() => host.cleanup());

const now = () => Math.floor(Date.now() / 1000);
const mtime = (p: string) => Math.floor(statSync(p).mtimeMs / 1000);
const leftovers = () => readdirSync(host.dir).filter((n) => n.startsWith('.fleetplan'));
const spec = (dest: string, backdate?: number): WriteSpec => ({
  path: dest,
  content: Buffer.from('relayhost = [smtp.example.net]:587\n'),
  mode: '0644',
  ...(backdate !== undefined ? { backdate } : {}),
});
const write = (dest: string, backdate?: number): Change => ({ kind: 'write', description: `create ${dest}`, write: spec(dest, backdate) });

/** A directory of stand-in tools put first on PATH for one script. */
function shim(name: string, body: string): string {
  const dir = path.join(host.dir, `shim-${name}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'touch'), `#!/bin/sh\n${body}\n`);
  chmodSync(path.join(dir, 'touch'), 0o755);
  return dir;
}

async function run(change: Change, pathFirst?: string): Promise<void> {
  const script = changeScript([change]);
  const r = await host.conn.script(pathFirst ? `PATH=${pathFirst}:$PATH; export PATH\n${script}` : script);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stderr, '', 'nothing said, whether the backdate took or not');
  assert.deepEqual(leftovers(), []);
}

describe('the write script', () => {
  it('without backdate has no touch; with 0 neither; with 30 one, on `new` before the rename', () => {
    assert.doesNotMatch(writeScript(spec('/etc/postfix/main.cf')), /touch/);
    assert.doesNotMatch(writeScript(spec('/etc/postfix/main.cf', 0)), /touch/);
    const script = writeScript(spec('/etc/postfix/main.cf', 30));
    const [touch, mv] = [script.indexOf('touch -d "@$((_fp_s - 30))" -- new || touch -A -30 -- new'), script.indexOf('_fp_mv new')];
    assert.ok(touch > 0 && touch < mv, script);
  });

  it('refuses to splice anything but a small whole number', () => {
    for (const bad of [-1, 2.5, 100, Number.NaN]) assert.throws(() => backdateScript(bad), /not a whole number of seconds/);
  });

  it('GNU touch: the file lands with its mtime backdated, content and mode as asked', async () => {
    const dest = path.join(host.dir, 'gnu.cf');
    const t0 = now();
    await run(write(dest, 30));
    assert.equal(readFileSync(dest, 'utf8'), 'relayhost = [smtp.example.net]:587\n');
    assert.equal((statSync(dest).mode & 0o777).toString(8), '644');
    assert.ok(mtime(dest) <= t0 - 20, `mtime ${mtime(dest)} vs start ${t0}`);
  });

  it('without backdate the file has the time of its write', async () => {
    const dest = path.join(host.dir, 'plain.cf');
    const t0 = now();
    await run(write(dest));
    assert.ok(mtime(dest) >= t0, `mtime ${mtime(dest)} vs start ${t0}`);
  });

  it("FreeBSD's touch (no -d @EPOCH; -A -SS moves the file's times): backdated through -A", async () => {
    // FreeBSD's semantics over GNU touch: -d with an @ is refused; -A -SS = the file's own time minus SS.
    const bsd = shim('bsd', ['case "$1" in', '-d) exit 1 ;;', '-A) s=${2#-}; shift 2; [ "$1" = -- ] && shift; exec /usr/bin/env -i PATH=/usr/bin:/bin touch -r "$1" -d "-${s#0} seconds" -- "$1" ;;', 'esac', 'exit 64'].join('\n'));
    const dest = path.join(host.dir, 'bsd.cf');
    const t0 = now();
    await run(write(dest, 30), bsd);
    assert.ok(mtime(dest) <= t0 - 20, `mtime ${mtime(dest)} vs start ${t0}`);
  });

  it('a touch that can set no time: the write succeeds all the same, silently', async () => {
    const none = shim('none', 'echo "touch: unknown option $1" >&2; exit 1');
    const dest = path.join(host.dir, 'none.cf');
    writeFileSync(dest, 'old\n');
    const t0 = now();
    await run(write(dest, 30), none);
    assert.equal(readFileSync(dest, 'utf8'), 'relayhost = [smtp.example.net]:587\n');
    assert.ok(mtime(dest) >= t0, 'the write time stays');
  });
});

const ctx = { secrets: new SecretRegistry() } as unknown as OpContext;
const missing: FileState = { exists: false };

describe('planning', () => {
  it('the write carries backdate; its diff, description and --json file record are those of a plain write', () => {
    const want = { path: '/etc/postfix/main.cf', content: Buffer.from('a = b\n'), mode: '0644' };
    const plain = planFileContent(want, missing, ctx, new StateView()).changes[0]!;
    const dated = planFileContent({ ...want, backdate: 2 }, missing, ctx, new StateView()).changes[0]!;
    assert.ok(plain.kind === 'write' && dated.kind === 'write');
    assert.equal(dated.write.backdate, 2);
    assert.equal(plain.write.backdate, undefined);
    assert.deepEqual([dated.description, dated.diff, dated.file], [plain.description, plain.diff, plain.file]);
  });
});

describe('the load', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-backdate-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  it('refuses a backdate outside 0-60 or not a whole number, at its file:line:col', () => {
    const plan = path.join(dir, 'site.yml');
    writeFileSync(
      plan,
      [
        'hosts: all',
        'tasks:',
        '  - template: { src: m.hbs, dest: /etc/postfix/main.cf, backdate: 61 }',
        '  - settings: { path: /etc/postfix/main.cf, values: { a: b }, backdate: 1.5 }',
        '  - line:',
        '      path: /etc/postfix/main.cf',
        '      key: a',
        '      value: b',
        '      backdate: -1',
        '  - file: { path: /etc/x, content: "", backdate: two }',
        '  - copy: { src: m.hbs, dest: /etc/y, backdate: 60 }',
        '',
      ].join('\n'),
    );
    mkdirSync(path.join(dir, 'templates'), { recursive: true });
    mkdirSync(path.join(dir, 'files'), { recursive: true });
    writeFileSync(path.join(dir, 'templates', 'm.hbs'), 'x\n');
    writeFileSync(path.join(dir, 'files', 'm.hbs'), 'x\n');
    const errors = inputErrors(() => loadPlan(plan, { rolesPath: [], bundledRolesDir: path.join(dir, 'none'), registry: operations, secrets: new SecretRegistry() }));
    hasError(errors, 'site.yml', 3, 67, 'a whole number of seconds from 0 to 60');
    hasError(errors, 'site.yml', 4, 73, "argument 'backdate' of 'settings': expected int");
    hasError(errors, 'site.yml', 9, 17, 'a whole number of seconds from 0 to 60');
    hasError(errors, 'site.yml', 10, 50, "argument 'backdate' of 'file': expected number");
    assert.equal(errors.length, 4, errors.map((e) => e.describe()).join('\n'));
  });
});

describe('the roles', () => {
  /** Every task of a tasks file, block, rescue and always included. */
  const tasksIn = (list: any[]): any[] => list.flatMap((t) => [t, ...tasksIn([...(t.block ?? []), ...(t.rescue ?? []), ...(t.always ?? [])])]);
  const roles = path.join(packageRoot(), 'roles');

  it('every task writing {{postfix_dir}}/main.cf backdates it by the role default postfix_main_cf_backdate (2)', () => {
    let found = 0;
    for (const role of readdirSync(roles)) {
      const file = path.join(roles, role, 'tasks.yml');
      if (!existsSync(file)) continue;
      for (const task of tasksIn(parse(readFileSync(file, 'utf8')) ?? [])) {
        const args = Object.values(task).find((v: any) => v && typeof v === 'object' && !Array.isArray(v) && (v.path ?? v.dest) === '{{postfix_dir}}/main.cf') as any;
        if (!args) continue;
        found++;
        assert.equal(args.backdate, '{{postfix_main_cf_backdate}}', `${role}: '${task.name}'`);
        assert.equal(parse(readFileSync(path.join(roles, role, 'defaults.yml'), 'utf8')).postfix_main_cf_backdate, 2, `${role}/defaults.yml`);
      }
    }
    assert.equal(found, 10, 'postfix_relay: 5 settings, 2 replace, 1 template; mailhost_base: 2 line');
  });
});
