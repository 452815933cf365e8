// The batched state read and the change executor, run by a real sh against real files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, realpathSync, symlinkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Connection } from '../../src/connectors/connection.js';
import { execScript, parseExec } from '../../src/engine/executor.js';
import { planBatch, readState } from '../../src/state/batch.js';
import { commandStatusQuery } from '../../src/state/command-status.js';
import { fileQuery } from '../../src/state/file-state.js';
import { PRELUDE } from '../../src/state/prelude.js';
import { NO_FOLLOW, NO_FOLLOW_BSD } from '../../src/state/no-follow.js';
import { StateView, type StateQuery } from '../../src/state/query.js';
import { sha256 } from '../../src/ops/file-content.js';
import type { Change } from '../../src/ops/operation.js';
import { localHost } from './local-host.js';

let conn: Connection;
let dir: string;
let cleanup: () => Promise<void>;
before(async () => ({ conn, dir, cleanup } = await localHost()));
after(() => cleanup());

async function exec(changes: Change[], refresh = [] as ReturnType<typeof fileQuery>[]) {
  const plan = execScript(changes, refresh);
  const res = await conn.run('sh -s', { stdin: plan.script });
  return { res, ...parseExec(res.stdout, plan) };
}

/** A state without where it lies (anchor) and who may write there (the test directory is under /tmp). */
function bare(st: any): any {
  const { anchor: _a, userWritable: _w, ...rest } = st;
  return rest;
}

test('batch: many queries, one exec, each value framed exactly (binary content too)', async () => {
  const text = path.join(dir, 'a.txt');
  const bin = path.join(dir, 'b.bin');
  writeFileSync(text, 'hello\n');
  const bytes = Buffer.from([0, 1, 2, 0x0a, 0x40, 0x40, 0xff, 0x0a]);
  writeFileSync(bin, bytes);
  chmodSync(text, 0o640);
  const queries = [
    fileQuery(text, { wantSha: 'nope', withContent: true }),
    fileQuery(text, { wantSha: sha256(Buffer.from('hello\n')), withContent: true }),
    fileQuery(bin, { withContent: true }),
    fileQuery(path.join(dir, 'missing')),
    fileQuery(dir),
    commandStatusQuery('exit 3'),
    commandStatusQuery('cat'), // must not swallow the rest of the script from stdin
  ];
  const before = conn.execCount;
  const view = await readState(conn, queries, { become: false });
  assert.equal(conn.execCount - before, 1);
  const get = (i: number): any => view.get(queries[i] as any);
  const a = get(0);
  assert.equal(a.exists, true);
  assert.equal(a.mode, '0640');
  assert.equal(a.sha256, sha256(Buffer.from('hello\n')));
  assert.equal(a.content?.toString(), 'hello\n');
  assert.equal(get(1).content, undefined, 'no content shipped when the hash matches');
  assert.deepEqual(get(2).content, bytes);
  assert.deepEqual(bare(get(3)), { exists: false });
  assert.deepEqual(get(3).anchor, { logical: dir, physical: realpathSync(dir) });
  assert.equal(get(4).type, 'directory');
  assert.equal(get(5).exitCode, 3);
  assert.equal(get(6).exitCode, 0);
});

test('batch: a guard run in the batch\'s shell (no subshell of its own) cannot exit, cd, set or change what the next queries see', async () => {
  const probe: StateQuery<string> = { key: 'probe', script: 'echo "$PWD|${_fp_guard-unset}|$-|$#"', parse: (out: Buffer) => out.toString().trim() };
  const queries: StateQuery[] = [
    commandStatusQuery('cd /; _fp_guard=set; set -e -u; set -- a b; exit 3'),
    probe,
    commandStatusQuery('echo -n; exit 4', '/'),
    commandStatusQuery('false'),
  ];
  assert.equal(queries[0]!.inShell, true, 'a guard without chdir runs in the batch shell');
  assert.equal(queries[2]!.inShell, false, 'a guard with chdir keeps its subshell (the cd)');
  const plain = { ...probe, key: 'plain' };
  const view = await readState(conn, [plain, ...queries], { become: false });
  const get = (q: any): any => view.get(q);
  assert.equal(get(queries[0]).exitCode, 3);
  assert.equal(get(queries[1]), get(plain), 'the same cwd, variables, options and arguments as before the guard');
  const [, guardVar, flags, args] = String(get(plain)).split('|');
  assert.deepEqual([guardVar, /[eu]/.test(flags!), args], ['unset', false, '0']);
  assert.equal(get(queries[2]).exitCode, 4);
  assert.equal(get(queries[3]).exitCode, 1);
});

test('exec: atomic write with final mode, large and binary content, refresh in the same exec', async () => {
  const p = path.join(dir, 'conf');
  const big = Buffer.from('x'.repeat(300_000) + "\n'quote' $(touch /tmp/pwned) `id` \\n %s\n");
  const q = fileQuery(p, { wantSha: sha256(big), withContent: true });
  const { change, refresh, res } = await exec(
    [{ kind: 'write', description: 'w', write: { path: p, content: big, mode: '0600' } }],
    [q],
  );
  assert.equal(change.exitCode, 0, res.stderr);
  assert.deepEqual(readFileSync(p), big);
  assert.equal(statSync(p).mode & 0o777, 0o600);
  const view = new StateView();
  planBatch([q]).store(view, refresh);
  assert.equal(view.get(q).sha256, sha256(big));
  assert.equal(existsSync('/tmp/pwned'), false);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.fleetplan')), [], 'no temp file left');

  const bin = Buffer.from([0, 255, 39, 10, 37, 115]);
  await exec([{ kind: 'write', description: 'w', write: { path: p, content: bin, mode: '0644' } }]);
  assert.deepEqual(readFileSync(p), bin);
});

test('exec: a failing validate keeps the old file and leaves no temp file; backup keeps the old one', async () => {
  const p = path.join(dir, 'validated');
  writeFileSync(p, 'old\n');
  const bad = await exec([
    { kind: 'write', description: 'w', write: { path: p, content: Buffer.from('new\n'), validate: 'grep -q good %s' } },
  ]);
  assert.notEqual(bad.change.exitCode, 0);
  assert.match(bad.res.stderr, /validation failed/);
  assert.equal(readFileSync(p, 'utf8'), 'old\n');
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.fleetplan')), []);

  const good = await exec([
    { kind: 'write', description: 'w', write: { path: p, content: Buffer.from('good\n'), validate: 'grep -q good %s', backup: true } },
  ]);
  assert.equal(good.change.exitCode, 0, good.res.stderr);
  assert.equal(readFileSync(p, 'utf8'), 'good\n');
  const backups = readdirSync(dir).filter((f) => f.startsWith('validated.') && f.endsWith('~'));
  assert.equal(backups.length, 1);
  assert.equal(readFileSync(path.join(dir, backups[0]!), 'utf8'), 'old\n');
});

test('exec: commands stop at the first failure and report the failing status', async () => {
  const marker = path.join(dir, 'after-failure');
  const { change } = await exec([
    { kind: 'run', description: 'r', command: 'false' },
    { kind: 'run', description: 'r', command: `touch ${marker}` },
  ]);
  assert.notEqual(change.exitCode, 0);
  assert.equal(existsSync(marker), false);
  // A failure early in an && list is still a failure (set -e would miss it).
  const list = await exec([
    { kind: 'run', description: 'r', command: 'false && true' },
    { kind: 'run', description: 'r', command: `touch ${marker}` },
  ]);
  assert.equal(list.change.exitCode, 1);
  assert.equal(existsSync(marker), false);
});

test('exec: a command with a shell syntax error fails alone; the framing and the refresh survive', async () => {
  const q = fileQuery(path.join(dir, 'after-syntax'));
  const { change, refresh } = await exec([{ kind: 'run', description: 'r', command: 'echo $(unclosed' }], [q]);
  assert.notEqual(change.exitCode, 0);
  assert.equal(refresh.length, 1);
});

test('file query: a path reached through a symbolic link (itself or a parent) is marked linked', async () => {
  const real = path.join(dir, 'real');
  const { mkdirSync, symlinkSync } = await import('node:fs');
  mkdirSync(real, { recursive: true });
  writeFileSync(path.join(real, 'f'), 'x\n');
  symlinkSync(real, path.join(dir, 'alias'));
  symlinkSync(path.join(real, 'f'), path.join(dir, 'flink'));
  const queries = [
    fileQuery(path.join(real, 'f')),
    fileQuery(path.join(dir, 'alias', 'f')),
    fileQuery(path.join(dir, 'flink')),
    fileQuery(path.join(dir, 'alias', 'missing')),
    fileQuery('relative/name'),
  ];
  const view = await readState(conn, queries, { become: false });
  const [plain, viaDir, viaFile, missing, relative] = queries.map((q) => view.get(q));
  assert.equal(plain!.linked, undefined);
  assert.equal(viaDir!.linked, true);
  assert.equal(viaDir!.sha256, plain!.sha256);
  assert.equal(viaFile!.linked, true);
  assert.equal(viaDir!.type, 'file');
  assert.deepEqual(bare(missing), { exists: false, linked: true });
  assert.deepEqual(missing!.anchor, { logical: path.join(dir, 'alias'), physical: realpathSync(real) }, 'the physical directory behind the link');
  assert.equal(viaFile!.type, 'link', 'a link at the path is reported, not read through');
  assert.equal(viaFile!.sha256, undefined);
  assert.equal(viaFile!.link?.target, realpathSync(path.join(real, 'f')));
  assert.deepEqual(bare(relative), { exists: false });
});

test('file queries: one read for every path, names with newlines, backslashes and spaces matched exactly', async () => {
  const names = ['plain', 'with\nnewline', 'back\\slash', 'two  spaces', "quote'd", 'empty'];
  const files = names.map((n, i) => {
    const p = path.join(dir, `odd-${n}`);
    writeFileSync(p, n === 'empty' ? '' : `content ${i}\n`);
    return p;
  });
  const queries = [
    ...files.map((p) => fileQuery(p, { wantSha: 'other', withContent: true })),
    fileQuery(files[0]!, { wantSha: sha256(Buffer.from('content 0\n')), withContent: true }),
    fileQuery(path.join(dir, 'odd-missing')),
    fileQuery(dir),
  ];
  const batch = planBatch(queries);
  assert.equal(batch.run.length, 1, 'all file queries merged into one');
  const view = await readState(conn, queries, { become: false });
  files.forEach((p, i) => {
    const st = view.get(queries[i]!);
    const want = names[i] === 'empty' ? '' : `content ${i}\n`;
    assert.equal(st.sha256, sha256(Buffer.from(want)), p);
    assert.equal(st.content?.toString(), want, p);
    assert.equal(st.size, want.length);
  });
  assert.equal(view.get(queries[files.length]!).content, undefined, 'matching hash: no content');
  assert.deepEqual(bare(view.get(queries[files.length + 1]!)), { exists: false });
  assert.equal(view.get(queries[files.length + 2]!).type, 'directory');
});

test('file queries: BSD stat and sha256 -r output (FreeBSD) parsed as GNU output is', () => {
  const p1 = '/etc/rc.conf';
  const p2 = '/usr/local/etc/a b';
  const merged = fileQuery(p1).group!.read(fileQuery(p2, { wantSha: 'x', withContent: true }).group!.names.concat(fileQuery(p1).group!.names));
  const mark = /(@@[0-9a-f]+) stat/.exec(merged.script)![1]!;
  const h1 = 'a'.repeat(64);
  const out = Buffer.from(
    `${mark} P\n${mark} F010\n${mark} A\n/usr/local/etc\n${mark} B\n/usr/local/etc\n` +
      ['/usr/local/etc', '/usr/local', '/usr', p2].map((n) => `${mark} N\n${n}\n`).join('') +
      `${mark} P\n${mark} F010\n${mark} A\n/etc\n${mark} B\n/etc\n${mark} N\n/etc\n${mark} N\n${p1}\n` +
      `${mark} stat\n` +
      ['/usr/local/etc', '/usr/local', '/usr'].map((d) => `Directory|755|root|wheel|512|0:0:41ED:3|${d}\n`).join('') +
      `Regular File|644|root|wheel|5|0:0:81A4:1|${p2}\nDirectory|755|root|wheel|2048|0:0:41ED:30|/etc\nRegular File|600|root|wheel|12|0:0:8180:1|${p1}\n` +
      `${mark} sha\n${'b'.repeat(64)} ${p2}\n${h1} ${p1}\n${mark} content\n${mark} content 0\nhello\n${mark} end 0\n`,
  );
  const all = merged.parse(out, 0) as Record<string, any>;
  const [n2, n1] = merged.key.slice('files:'.length).split('\n');
  assert.deepEqual(bare(all[n1!]), { exists: true, type: 'file', mode: '0600', owner: 'root', group: 'wheel', size: 12, sha256: h1 });
  assert.deepEqual(all[n1!].anchor, { logical: '/etc', physical: '/etc' });
  assert.equal(all[n1!].userWritable, undefined, 'root-owned 0755 directories: nobody else may write');
  assert.equal(all[n2!].sha256, 'b'.repeat(64));
  assert.equal(all[n2!].content.toString(), 'hello');
});

test('prelude: _fp_sha and, inside $(…), _fp_shx give the same sums with GNU sha256sum, BSD sha256 -r and openssl', () => {
  const files = [path.join(dir, 'sha-a'), path.join(dir, 'sha b')];
  writeFileSync(files[0]!, 'a\n');
  writeFileSync(files[1]!, 'b\n');
  const want = files.map((f) => `${sha256(readFileSync(f))}  ${f}`).join('\n');
  const tools = (names: string[]) => {
    const bin = mkdtempSync(path.join(dir, 'bin-'));
    for (const n of names) symlinkSync(execFileSync('sh', ['-c', `command -v ${n}`]).toString().trim(), path.join(bin, n));
    return bin;
  };
  // BSD's sha256 -r prints "<sum> <name>" (one space): a stand-in with that output.
  const bsd = tools([]);
  writeFileSync(path.join(bsd, 'sha256'), '#!/bin/sh\n[ "$1" = -r ] && [ "$2" = -- ] && shift 2 && /usr/bin/sha256sum -- "$@" | /usr/bin/sed "s/  / /"\n');
  chmodSync(path.join(bsd, 'sha256'), 0o755);
  for (const [label, bin, sep] of [['GNU', tools(['sha256sum']), '  '], ['BSD', bsd, ' '], ['openssl', tools(['openssl']), '  ']] as const) {
    const script = `${PRELUDE}\nprintf '%s\\n' "$(_fp_shx "$@")"; _fp_sha "$@"`;
    const out = execFileSync('/bin/sh', ['-c', script, 'sh', ...files], { env: { PATH: bin } }).toString();
    const expect = want.replaceAll('  ', sep);
    assert.equal(out, `${expect}\n${expect}\n`, label);
  }
});

test('prelude: _fp_stat runs GNU stat once where it works, and BSD syntax where -c is refused', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fp-stat-'));
  try {
    const log = path.join(dir, 'calls');
    // A BSD-like stat: refuses -c on stderr with nothing on stdout, as FreeBSD's does.
    writeFileSync(path.join(dir, 'stat'), `#!/bin/sh\necho "$*" >> ${log}\ncase "$1" in -c) echo "stat: illegal option -- c" >&2; exit 1 ;; -f) shift 2; for f; do [ "$f" = -- ] || echo "Regular File|644|root|wheel|1|0:0:81A4:1|$f"; done ;; esac\n`, { mode: 0o755 });
    const bsd = execFileSync('sh', ['-c', `${PRELUDE}\n_fp_stat /a '/b c'`], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
    assert.equal(bsd, 'Regular File|644|root|wheel|1|0:0:81A4:1|/a\nRegular File|644|root|wheel|1|0:0:81A4:1|/b c\n');
    assert.equal(readFileSync(log, 'utf8').split('\n').filter(Boolean).length, 2, 'one refused GNU attempt, one BSD run');
    const gnu = execFileSync('sh', ['-c', `${PRELUDE}\n_fp_stat /etc/hostname`], { encoding: 'utf8' });
    assert.match(gnu, /^regular file\|[0-7]+\|root\|root\|\d+\|0:0:[0-9a-f]+:\d+\|\/etc\/hostname\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no-follow helpers (Linux): the opened file is compared with its name and changed through itself', () => {
  const d = mkdtempSync(path.join(tmpdir(), 'fp-nofollow-'));
  try {
    const sh = (script: string) => execFileSync('sh', ['-c', `${NO_FOLLOW}\ncd ${d} || exit 9\n${script}`], { encoding: 'utf8' });
    writeFileSync(path.join(d, 'a'), 'a\n', { mode: 0o644 });
    writeFileSync(path.join(d, 'b'), 'b\n', { mode: 0o600 });
    symlinkSync(path.join(d, 'b'), path.join(d, 'link'));
    assert.equal(sh('{ _fp_same a && echo same; } < a; { _fp_same link || echo link; } < link; { _fp_same a || echo other; } < b'), 'same\nlink\nother\n');
    // Opened, then the name swapped for a link to b: the mode change still reaches a, never b.
    sh(`{ mv a a.real; ln -s ${d}/b a; _fp_fattr '' 0640 a; } < a`);
    assert.equal(statSync(path.join(d, 'a.real')).mode & 0o777, 0o640);
    assert.equal(statSync(path.join(d, 'b')).mode & 0o777, 0o600);
    // A link to a directory planted at the destination is replaced, never moved into.
    mkdirSync(path.join(d, 'dir'));
    symlinkSync(path.join(d, 'dir'), path.join(d, 'dest'));
    writeFileSync(path.join(d, 'new'), 'new\n');
    sh('_fp_mv new dest');
    assert.equal(readFileSync(path.join(d, 'dest'), 'utf8'), 'new\n');
    assert.deepEqual(readdirSync(path.join(d, 'dir')), []);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('no-follow helpers (FreeBSD): stat -f of the open stdin, chown -h, chmod -h, mv -h', () => {
  const d = mkdtempSync(path.join(tmpdir(), 'fp-nofollow-bsd-'));
  try {
    const log = path.join(d, 'calls');
    // BSD-like tools that log their arguments; `stat -f` with no operand answers for the open stdin.
    const tool = (name: string, body: string) => writeFileSync(path.join(d, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`, { mode: 0o755 });
    tool('stat', 'if [ $# -eq 2 ]; then echo 1:42; else echo 1:42; fi');
    for (const t of ['chown', 'chmod', 'mv']) tool(t, ':');
    writeFileSync(path.join(d, 'f'), 'x\n');
    const out = execFileSync('sh', ['-c', `${NO_FOLLOW_BSD}\ncd ${d}\n{ _fp_same f && echo same; } < f\n_fp_fattr u:g 0600 f\n_fp_fattr '' 0640 f\n_fp_mv new f`], {
      env: { PATH: `${d}:/usr/bin:/bin` },
      encoding: 'utf8',
    });
    assert.equal(out, 'same\n');
    assert.equal(readFileSync(log, 'utf8'), 'stat -f %d:%i\nstat -f %d:%i -- f\nchown -h -- u:g f\nchmod -h -- 0600 f\nchmod -h -- 0640 f\nmv -fh -- new f\n');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
