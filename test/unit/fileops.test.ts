// The file-level operations of issue 17 as data: blockinfile, ini_file and replace edits (byte-exact),
// stat, slurp, link, get_url and fetch planned against fake state views (idempotence, diffs, refusals),
// and bad arguments reported at file:line:col by the loader.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { loadPlan } from '../../src/load/plan.js';
import { operations } from '../../src/ops/registry.js';
import { Unresolved, type OpContext, type PlanResult } from '../../src/ops/operation.js';
import { sha256 } from '../../src/ops/file-content.js';
import { editBlock } from '../../src/ops/blockinfile.js';
import { editIni } from '../../src/ops/ini-file.js';
import { replaceIn } from '../../src/ops/replace.js';
import { parseFetched } from '../../src/ops/fetch.js';
import { writeControllerFile } from '../../src/ops/controller-write.js';
import { StateView } from '../../src/state/query.js';
import { statQuery } from '../../src/state/stat-state.js';
import { statFields } from '../../src/ops/stat.js';
import { SecretRegistry } from '../../src/core/secret.js';
import { hasError, inputErrors } from './load-helpers.js';
import { httpServerProcess, type HttpFixture } from './http-server-process.js';
import { debianOpContext } from './op-context.js';

const ctx: OpContext = debianOpContext();

/** Resolves `op` with `args` and answers each query with `answer(key)`; returns the op, resolved and view. */
function prepare(op: string, args: Record<string, unknown>, answer: (key: string) => unknown, c: OpContext = ctx) {
  const o = operations.get(op)!;
  const r = o.resolve(o.schema.parse(args), c);
  const view = new StateView();
  for (const q of o.queries(r, c)) view.set(q.key, answer(q.key));
  return { o, r, view };
}
function plan(op: string, args: Record<string, unknown>, answer: (key: string) => unknown, c: OpContext = ctx): PlanResult {
  const { o, r, view } = prepare(op, args, answer, c);
  return o.plan(r, view, c);
}
const file = (content: string | Buffer, extra: Record<string, unknown> = {}) => {
  const b = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return { exists: true, type: 'file', mode: '0644', owner: 'root', group: 'root', size: b.length, sha256: sha256(b), content: b, ...extra };
};
const written = (p: PlanResult) => {
  const c = p.changes[0];
  assert.ok(c && c.kind === 'write', JSON.stringify(p));
  return c.write.content.toString('latin1');
};

describe('blockinfile', () => {
  const block = { block: 'a 1\nb 2\n' };
  it('inserts at EOF with fleetplan markers, then replaces the block in place', () => {
    const once = editBlock('x\n', block);
    assert.equal(once, 'x\n# BEGIN FLEETPLAN MANAGED BLOCK\na 1\nb 2\n# END FLEETPLAN MANAGED BLOCK\n');
    assert.equal(editBlock(once, block), once);
    assert.equal(editBlock(once + 'y\n', { block: 'c 3' }), 'x\n# BEGIN FLEETPLAN MANAGED BLOCK\nc 3\n# END FLEETPLAN MANAGED BLOCK\ny\n');
  });
  it('insertbefore BOF, insertafter / insertbefore a regular expression (last match), no match → EOF', () => {
    assert.equal(editBlock('x\n', { ...block, insertbefore: 'BOF', marker: '## {mark}' }), '## BEGIN\na 1\nb 2\n## END\nx\n');
    assert.equal(editBlock('[a]\n[b]\n[a]\nz\n', { block: 'k', insertafter: '^\\[a\\]', marker: '#{mark}' }), '[a]\n[b]\n[a]\n#BEGIN\nk\n#END\nz\n');
    assert.equal(editBlock('p\nq\n', { block: 'k', insertbefore: '^q', marker: '#{mark}' }), 'p\n#BEGIN\nk\n#END\nq\n');
    assert.equal(editBlock('p\n', { block: 'k', insertafter: 'nomatch', marker: '#{mark}' }), 'p\n#BEGIN\nk\n#END\n');
  });
  it('absent (or an empty block) removes block and markers; nothing there → same bytes', () => {
    const withBlock = editBlock('x\ny\n', { ...block, insertafter: '^x' });
    assert.equal(editBlock(withBlock, { state: 'absent' }), 'x\ny\n');
    assert.equal(editBlock(withBlock, { block: '' }), 'x\ny\n');
    assert.equal(editBlock('x\n', { state: 'absent' }), 'x\n');
  });
  it('is byte-exact: CRLF endings, no final newline and Latin-1 bytes outside the block are kept', () => {
    const latin = Buffer.from('caf\xe9\r\nlast', 'latin1');
    const out = editBlock(latin, { block: 'k', marker: '#{mark}' });
    assert.equal(out.toString('latin1'), 'caf\xe9\r\nlast\r\n#BEGIN\r\nk\r\n#END\r\n');
    assert.deepEqual(editBlock(out, { state: 'absent', marker: '#{mark}' }), Buffer.from('caf\xe9\r\nlast\r\n', 'latin1'));
  });
  it('plans a diff; a re-run against the result changes nothing; a missing file is Unresolved unless create', () => {
    const p = plan('blockinfile', { path: '/etc/x', ...block }, () => file('x\n'));
    const after = written(p);
    assert.equal(p.changes[0]!.kind === 'write' && p.changes[0]!.diff?.before, 'x\n');
    assert.deepEqual(plan('blockinfile', { path: '/etc/x', ...block }, () => file(after)).changes, []);
    assert.throws(() => plan('blockinfile', { path: '/etc/x', ...block }, () => ({ exists: false })), Unresolved);
    assert.match(written(plan('blockinfile', { path: '/etc/x', ...block, create: true }, () => ({ exists: false }))), /^# BEGIN/);
    assert.deepEqual(plan('blockinfile', { path: '/etc/x', state: 'absent' }, () => ({ exists: false })).changes, []);
  });
});

describe('replace', () => {
  it('replaces every match (multi-line mode), with $1 groups, within after/before', () => {
    assert.equal(replaceIn('a=1\nb=1\na=2\n', { regexp: '^a=(\\d)$', replace: 'a=$1$1' }), 'a=11\nb=1\na=22\n');
    assert.equal(replaceIn('x\n[s]\nx\n[t]\nx\n', { regexp: '^x$', replace: 'y', after: '\\[s\\]', before: '\\[t\\]' }), 'x\n[s]\ny\n[t]\nx\n');
    assert.equal(replaceIn('x\n', { regexp: 'x', replace: 'y', after: 'nomatch' }), 'x\n');
  });
  it('keeps the bytes of a file that is not UTF-8', () => {
    const b = Buffer.from('caf\xe9 old\n\xff\n', 'latin1');
    assert.deepEqual(replaceIn(b, { regexp: 'old', replace: 'new' }), Buffer.from('caf\xe9 new\n\xff\n', 'latin1'));
  });
  it('plans once, then nothing; a replacement its own regexp would change again is refused', () => {
    const args = { path: '/etc/x', regexp: '^listen (\\d+)$', replace: 'listen 8080' };
    const after = written(plan('replace', args, () => file('listen 80\n')));
    assert.equal(after, 'listen 8080\n');
    assert.deepEqual(plan('replace', args, () => file(after)).changes, []);
    assert.throws(() => plan('replace', { path: '/etc/x', regexp: 'a', replace: 'aa' }, () => file('a\n')), /every run would change the file/);
    assert.throws(() => plan('replace', args, () => ({ exists: false })), Unresolved);
  });
});

describe('ini_file', () => {
  const text = '; top comment\nglobal = 1\n\n[main]\n# keep me\nkey = old\nother=2\n\n[next]\nkey = n\n';
  it('sets an option in place, keeping comments, and only in its section', () => {
    assert.equal(editIni(text, { section: 'main', option: 'key', value: 'new' }), text.replace('key = old', 'key = new'));
  });
  it('adds a missing option after the section\'s last line, before its blank lines; no_extra_spaces', () => {
    assert.equal(editIni(text, { section: 'main', option: 'add', value: 3, no_extra_spaces: true }), text.replace('other=2\n', 'other=2\nadd=3\n'));
  });
  it('adds a missing section at the end; the global section is before the first header', () => {
    assert.equal(editIni('a = 1', { section: 's', option: 'k', value: 'v' }), 'a = 1\n[s]\nk = v\n');
    assert.equal(editIni(text, { section: null, option: 'global', value: true }), text.replace('global = 1', 'global = true'));
  });
  it('removes an option (every occurrence) or a whole section; duplicates collapse to the first', () => {
    assert.equal(editIni(text, { section: 'main', option: 'key', state: 'absent' }), text.replace('key = old\n', ''));
    assert.equal(editIni(text, { section: 'main', state: 'absent' }), '; top comment\nglobal = 1\n\n[next]\nkey = n\n');
    assert.equal(editIni('[s]\nk = 1\nk = 2\n', { section: 's', option: 'k', value: '3' }), '[s]\nk = 3\n');
  });
  it('plans the diff, then nothing; creates a missing file by default', () => {
    const args = { path: '/etc/x.ini', section: 'main', option: 'key', value: 'new' };
    const after = written(plan('ini_file', args, () => file(text)));
    assert.deepEqual(plan('ini_file', args, () => file(after)).changes, []);
    assert.equal(written(plan('ini_file', args, () => ({ exists: false }))), '[main]\nkey = new\n');
    assert.throws(() => plan('ini_file', { ...args, create: false }, () => ({ exists: false })), Unresolved);
  });
});

const statValue = (v: Record<string, unknown>) => ({ kind: 'stat', exists: true, ...v });

describe('stat and slurp', () => {
  it('stat registers Ansible fields; changes nothing; a missing path registers exists: false', () => {
    const { o, r, view } = prepare('stat', { path: '/etc/motd' }, () =>
      statValue({ type: 'file', mode: '0644', owner: 'root', group: 'root', uid: 0, gid: 0, size: 3, mtime: 1700000000, sha1: 'a'.repeat(40) }),
    );
    assert.deepEqual(o.plan(r, view, ctx).changes, []);
    const s = o.registerFields!(r, view).stat as Record<string, unknown>;
    assert.equal(s.exists, true);
    assert.equal(s.isreg, true);
    assert.equal(s.isdir, false);
    assert.equal(s.checksum, 'a'.repeat(40));
    assert.equal(s.mtime, 1700000000);
    const missing = prepare('stat', { path: '/nope' }, () => ({ kind: 'stat', exists: false }));
    assert.deepEqual(missing.o.registerFields!(missing.r, missing.view), { stat: { exists: false, path: '/nope' } });
  });
  it("stat parses BSD stat -f and FreeBSD's sha1 output as GNU's (the read is the same on both)", () => {
    const q = statQuery('/etc/l', { checksum: true });
    const mark = /'(@@[0-9a-f]+) S'/.exec(q.script)![1]!;
    const bsd = `${mark} S\nSymbolic Link|755|root|wheel|4|0|0|1700000000|1|99|77\n${mark} L\nmotd\n${mark} C\n`;
    const l = statFields('/etc/l', q.parse(Buffer.from(bsd), 0), true);
    assert.deepEqual([l.islnk, l.lnk_target, l.group, l.mode, l.checksum], [true, 'motd', 'wheel', '0755', undefined]);
    const gnu = `${mark} S\nregular file|640|root|root|3|0|0|1700000001|1|5|6\n${mark} C\n${'b'.repeat(40)}  -\n`;
    const f = statFields('/etc/l', q.parse(Buffer.from(gnu), 0), true);
    assert.deepEqual([f.isreg, f.mode, f.checksum, f.mtime], [true, '0640', 'b'.repeat(40), 1700000001]);
    assert.deepEqual(q.parse(Buffer.from(`${mark} M\n`), 0), { kind: 'stat', exists: false });
  });
  it("stat tells a socket, a fifo and devices apart (issock...), and registers the execute bits (GNU and BSD stat)", () => {
    const q = statQuery('/run/x', {});
    const mark = /'(@@[0-9a-f]+) S'/.exec(q.script)![1]!;
    const read = (line: string) => statFields('/run/x', q.parse(Buffer.from(`${mark} S\n${line}\n`), 0), false);
    const sock = read('socket|777|opendkim|opendkim|0|110|110|1700000000|1|5|6');
    assert.deepEqual([sock.issock, sock.isreg, sock.isfifo, sock.executable], [true, false, false, true]);
    assert.deepEqual([read('Socket|755|mailnull|mailnull|0|26|26|1700000000|1|5|6').issock, read('Fifo File|600|root|wheel|0|0|0|1|1|5|6').isfifo], [true, true]);
    assert.deepEqual([read('character special file|666|root|root|0|0|0|1|1|5|6').ischr, read('Block Device|640|root|operator|0|0|5|1|1|5|6').isblk], [true, true]);
    const daemon = read('regular file|750|root|root|9|0|0|1|1|5|6');
    assert.deepEqual([daemon.xusr, daemon.xgrp, daemon.xoth, daemon.executable, daemon.issock], [true, true, false, true, false]);
    assert.deepEqual([read('regular file|644|root|root|9|0|0|1|1|5|6').executable, read('regular file|001|root|root|9|0|0|1|1|5|6').xoth], [false, true]);
  });
  it('stat in a dry run sees an earlier task\'s predicted file (sha1 of the predicted content)', () => {
    const { o, r, view } = prepare('stat', { path: '/etc/new' }, () => ({ kind: 'stat', exists: false }));
    view.predict({ kind: 'file', path: '/etc/new' }, file('hi\n'));
    const s = o.registerFields!(r, view).stat as Record<string, unknown>;
    assert.equal(s.exists, true);
    assert.equal(s.checksum, createHash('sha1').update('hi\n').digest('hex'));
  });
  it('slurp registers base64 content; too large and missing files are errors', () => {
    const { o, r, view } = prepare('slurp', { src: '/etc/motd' }, () => file('hello\n'));
    assert.deepEqual(o.plan(r, view, ctx).changes, []);
    assert.deepEqual(o.registerFields!(r, view), { content: Buffer.from('hello\n').toString('base64'), encoding: 'base64', source: '/etc/motd' });
    assert.throws(() => plan('slurp', { src: '/big' }, () => ({ ...file(''), size: 2 * 1024 * 1024, content: undefined })), /at most 1048576 bytes/);
    assert.throws(() => plan('slurp', { src: '/nope' }, () => ({ exists: false })), Unresolved);
  });
});

describe('link', () => {
  const answer = (dest: Record<string, unknown>, src: Record<string, unknown> = statValue({ type: 'file' })) => (key: string) =>
    key.startsWith('stat:/srv/current') ? dest : key.startsWith('stat:') ? src : { exists: dest.exists, type: dest.type, anchor: { logical: '/srv', physical: '/srv' } };
  it('creates a missing link from inside the checked directory, by rename; the same link is no change', () => {
    const p = plan('link', { src: 'releases/2', dest: '/srv/current' }, answer({ kind: 'stat', exists: false }));
    const c = p.changes[0]!;
    assert.ok(c.kind === 'run');
    assert.match(c.command, /if cd -P -- \/srv 2>\/dev\/null; then \[ "\$PWD" = \/srv \]/);
    assert.match(c.command, /ln -s -- releases\/2 "\$_fp_p\/l"/);
    assert.match(c.command, /_fp_mv "\$_fp_p\/l" current/);
    assert.deepEqual(plan('link', { src: 'releases/2', dest: '/srv/current' }, answer(statValue({ type: 'link', linkTarget: 'releases/2', owner: 'root', group: 'root' }))).changes, []);
    const chowned = plan('link', { src: 'releases/2', dest: '/srv/current', owner: 'www' }, answer(statValue({ type: 'link', linkTarget: 'releases/2', owner: 'root', group: 'root' })));
    assert.equal(chowned.changes[0]!.description, '/srv/current: owner root → www');
    assert.match(chowned.changes[0]!.kind === 'run' ? chowned.changes[0]!.command : '', /chown -h -- www "\$_fp_p\/l" && _fp_mv/);
  });
  it('replaces a link to elsewhere; a file needs force; a directory is refused; a missing src needs force', () => {
    const other = plan('link', { src: '/a', dest: '/srv/current' }, answer(statValue({ type: 'link', linkTarget: '/b' })));
    assert.match(other.changes[0]!.description, /replaces the link to \/b/);
    assert.throws(() => plan('link', { src: '/a', dest: '/srv/current' }, answer(statValue({ type: 'file' }))), /force: true replaces it/);
    assert.equal(plan('link', { src: '/a', dest: '/srv/current', force: true }, answer(statValue({ type: 'file' }))).changes.length, 1);
    assert.throws(() => plan('link', { src: '/a', dest: '/srv/current', force: true }, answer(statValue({ type: 'directory' }))), /is a directory/);
    assert.throws(() => plan('link', { src: '/a', dest: '/srv/current' }, answer({ kind: 'stat', exists: false }, { kind: 'stat', exists: false })), Unresolved);
  });
  it('hard link: same inode is no change; different needs force', () => {
    const same = answer(statValue({ type: 'file', inode: 7, dev: 1 }), statValue({ type: 'file', inode: 7, dev: 1 }));
    assert.deepEqual(plan('link', { src: '/a', dest: '/srv/current', state: 'hard' }, same).changes, []);
    const other = answer(statValue({ type: 'file', inode: 8, dev: 1 }), statValue({ type: 'file', inode: 7, dev: 1 }));
    assert.throws(() => plan('link', { src: '/a', dest: '/srv/current', state: 'hard' }, other), /force/);
  });
  it("Ansible's file state=link plans exactly as link; src without a link state is an error", () => {
    const viaFile = plan('file', { path: '/srv/current', src: 'releases/2', state: 'link' }, answer({ kind: 'stat', exists: false }));
    const viaLink = plan('link', { dest: '/srv/current', src: 'releases/2' }, answer({ kind: 'stat', exists: false }));
    assert.equal(viaFile.changes[0]!.description, viaLink.changes[0]!.description);
    assert.equal(operations.get('file')!.schema.safeParse({ path: '/x', src: '/y' }).success, false);
    assert.equal(operations.get('file')!.schema.safeParse({ path: '/x', state: 'link' }).success, false);
  });
  it('refuses a host user\'s link among the parents', () => {
    const foreign = () => (key: string) => (key.startsWith('stat:') ? { kind: 'stat', exists: false } : { exists: false, foreignLink: { path: '/home/u/d', owner: 'u' } });
    assert.throws(() => plan('link', { src: '/a', dest: '/home/u/d/l', force: true }, foreign()), /symbolic link owned by u; refusing/);
  });
});

describe('get_url and fetch', () => {
  let server: HttpFixture;
  let base = '';
  const body = Buffer.from('downloaded\n');
  before(async () => {
    server = await httpServerProcess({ '/file': body });
    base = server.base;
  });
  after(() => server.close());

  it('downloads on the controller when dest is missing, verifying the checksum; no download when dest has it', async () => {
    const checksum = `sha256:${sha256(body)}`;
    const hits0 = await server.hits();
    const p = plan('get_url', { url: `${base}/file`, dest: '/opt/f', checksum, mode: '0600' }, () => ({ exists: false }));
    assert.equal(written(p), 'downloaded\n');
    assert.equal(await server.hits(), hits0 + 1);
    const again = plan('get_url', { url: `${base}/file`, dest: '/opt/f', checksum, mode: '0600' }, () => file(body, { mode: '0600', content: undefined }));
    assert.deepEqual(again.changes, []);
    assert.equal(await server.hits(), hits0 + 1, 'no download when dest has the checksum');
  });
  it('a wrong checksum or an HTTP error fails before anything reaches the host', () => {
    assert.throws(() => plan('get_url', { url: `${base}/file`, dest: '/opt/f', checksum: `sha256:${'0'.repeat(64)}` }, () => ({ exists: false })), /not the checksum/);
    assert.throws(() => plan('get_url', { url: `${base}/missing`, dest: '/opt/f' }, () => ({ exists: false })), /HTTP 404/);
  });
  it('without checksum an existing dest is kept unless force; force downloads and compares', async () => {
    const hits0 = await server.hits();
    assert.deepEqual(plan('get_url', { url: `${base}/file`, dest: '/opt/f' }, () => file('old\n')).changes, []);
    assert.equal(await server.hits(), hits0);
    assert.equal(written(plan('get_url', { url: `${base}/file`, dest: '/opt/f', force: true }, () => file('old\n'))), 'downloaded\n');
    assert.deepEqual(plan('get_url', { url: `${base}/file`, dest: '/opt/f', force: true }, () => file(body)).changes, []);
  });

  it('fetch: no change when the controller copy matches; else a change with the controller-side diff', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-fetch-unit-'));
    try {
      const p = plan('fetch', { src: '/etc/motd', dest: dir }, () => file('host\n'));
      const c = p.changes[0]!;
      assert.ok(c.kind === 'run' && c.diff);
      assert.equal(c.diff.path, path.join(dir, 'h1', 'etc', 'motd'));
      assert.equal(c.diff.before, null);
      assert.equal(c.diff.after, 'host\n');
      const { o, r } = prepare('fetch', { src: '/etc/motd', dest: `${dir}/`, flat: true }, () => file('host\n'));
      assert.deepEqual(o.registerFields!(r, new StateView()), { dest: path.join(dir, 'motd'), file: '/etc/motd' });
      writeControllerFile(dir, ['h1', 'etc', 'motd'], Buffer.from('host\n'));
      assert.deepEqual(plan('fetch', { src: '/etc/motd', dest: dir }, () => file('host\n')).changes, []);
      assert.equal(readFileSync(path.join(dir, 'h1/etc/motd'), 'utf8'), 'host\n');
      assert.deepEqual(plan('fetch', { src: '/nope', dest: dir, fail_on_missing: false }, () => ({ exists: false })).changes, []);
      assert.throws(() => plan('fetch', { src: '/nope', dest: dir }, () => ({ exists: false })), Unresolved);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('fetch: the output is checked against the host hash; the controller write refuses a planted link', () => {
    const ok = `${Buffer.from('hi\n').toString('hex').replace(/(..)/g, ' $1')}\nfleetplan-fetch-sha256\n${sha256(Buffer.from('hi\n'))}  /x\n`;
    assert.deepEqual(parseFetched(ok, true), Buffer.from('hi\n'));
    assert.match(String(parseFetched(ok.replace('68', '69'), true)), /changed during the transfer/);
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-fetch-unit-'));
    try {
      mkdirSync(path.join(dir, 'elsewhere'));
      symlinkSync(path.join(dir, 'elsewhere'), path.join(dir, 'h1'));
      assert.throws(() => writeControllerFile(dir, ['h1', 'etc', 'motd'], Buffer.from('x')), /symbolic link; refusing/);
      // A link at the final name is replaced, never written through.
      mkdirSync(path.join(dir, 'h2'));
      writeFileSync(path.join(dir, 'victim'), 'keep');
      symlinkSync(path.join(dir, 'victim'), path.join(dir, 'h2', 'motd'));
      writeControllerFile(dir, ['h2', 'motd'], Buffer.from('new'));
      assert.equal(readFileSync(path.join(dir, 'victim'), 'utf8'), 'keep');
      assert.equal(readFileSync(path.join(dir, 'h2', 'motd'), 'utf8'), 'new');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('file-level operations: bad arguments name file:line:col', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-fileops-bad-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const load = (name: string, task: string) => {
    const f = path.join(dir, `${name}.yml`);
    writeFileSync(f, `- hosts: all\n  tasks:\n    - name: t\n${task}`);
    return inputErrors(() => loadPlan(f, { rolesPath: [], bundledRolesDir: dir, secrets: new SecretRegistry() }));
  };
  const cases: [string, string, number, string][] = [
    ['replace-bad-regexp', "      replace: {path: /etc/x, regexp: '(unclosed'}\n", 4, 'not a valid regular expression'],
    ['blockinfile-same-markers', "      blockinfile: {path: /etc/x, block: k, marker: '# fixed'}\n", 4, 'begin and end markers must differ'],
    ['ini-file-no-value', '      ini_file: {path: /etc/x.ini, section: s, option: k}\n', 4, 'needs `option` and `value`'],
    ['get-url-md5', '      get_url: {url: "http://x/y", dest: /opt/y, checksum: "md5:abc"}\n', 4, 'sha256:<64 hex digits>'],
    ['get-url-ftp', '      get_url: {url: "ftp://x/y", dest: /opt/y}\n', 4, 'only http:// and https://'],
    ['link-relative-hard', '      link: {src: rel, dest: /srv/l, state: hard}\n', 4, 'a hard link needs an absolute src'],
    ['link-hard-owner', '      link: {src: /a, dest: /srv/l, state: hard, owner: root}\n', 4, "a hard link has src's owner"],
    ['stat-relative', '      stat: {path: etc/motd}\n', 4, 'must be an absolute path'],
  ];
  for (const [name, task, line, text] of cases) {
    it(name, () => {
      const errs = load(name, task);
      hasError(errs, `${name}.yml`, line, undefined, text);
    });
  }
});
