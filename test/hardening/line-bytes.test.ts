// Red-team cases for `line` and `settings` (src/ops/line.ts, src/ops/settings.ts, src/ops/byte-lines.ts):
// a config file in any encoding keeps every byte an edit does not touch, line endings included; a
// task that would change its file on every run (a line break in `line`, a `regexp` that does not
// match its own `line`) is refused — at load time with file:line:col when literal, at plan time
// naming host and task when templated. Pure cases call the planner; end-to-end cases run the real
// command line with `--connection local` on files in a temp dir.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { editLines } from '../../src/ops/line.js';
import type { OpContext, PlanResult } from '../../src/ops/operation.js';
import { operations } from '../../src/ops/registry.js';
import { applySettings } from '../../src/ops/settings.js';
import { StateView } from '../../src/state/query.js';
import { runProcess } from '../run-process.js';
import { SecretRegistry } from '../../src/core/secret.js';
import { debianOpContext } from '../unit/op-context.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const main = path.join(root, 'dist/fleetplan.js');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const latin1 = (s: string) => Buffer.from(s, 'latin1');
const base = { path: '/x', separator: ' = ', continuation: false, state: 'present' as const, create: false };

const ctx: OpContext = debianOpContext({ secrets: testSecrets });

/** Plans `op` against a file holding `content`, as the engine would after reading it from a host. */
function planOn(op: 'line' | 'settings', args: Record<string, unknown>, content: Buffer): PlanResult {
  const o = operations.get(op)!;
  const r = o.resolve(o.schema.parse(args), ctx);
  const view = new StateView();
  const st = { exists: true, type: 'file', mode: '0644', owner: 'root', group: 'root', size: content.length, sha256: sha(content), content };
  for (const q of o.queries(r, ctx)) view.set(q.key, st);
  return o.plan(r, view, ctx);
}

function written(p: PlanResult): Buffer {
  const c = p.changes[0];
  assert.ok(c?.kind === 'write', `a write: ${JSON.stringify(p.changes)}`);
  return c.write.content;
}

/** The schema's verdict on arguments, as "path: message" lines (empty: accepted). */
function refused(op: 'line' | 'settings', args: Record<string, unknown>): string {
  const r = operations.get(op)!.schema.safeParse(args);
  return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
}

describe('hardening: line and settings keep bytes and never repeat', () => {
  let dir: string;
  const at = (...p: string[]) => path.join(dir, ...p);
  const cli = async (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runProcess(process.execPath, [main, ...args, '-i', 'inventory.yml', '--connection', 'local'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env } });

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-line-bytes-'));
    writeFileSync(at('inventory.yml'), 'all:\n  hosts:\n    h1:\n  vars:\n    multi: "a = 1\\nb = 2"\n    notmatching: "^old="\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stops: a line edit of a Latin-1 config turns every non-UTF-8 byte into U+FFFD (real run, check promise = bytes written)', async () => {
    const before = latin1('# Fichier de configuration — société\r\nnom = Müller\nville = Zürich\ndevise = \xa4\n\xff\xfe raw bytes\n');
    writeFileSync(at('latin1.conf'), before);
    writeFileSync(at('latin1.yml'), `hosts: all\ntasks:\n  - name: set the city\n    line: { path: "${at('latin1.conf')}", key: ville, value: Genève }\n`);
    const check = await cli(['apply', 'latin1.yml', '--check', '--json']);
    assert.equal(check.code, 0, check.stderr);
    const promised = JSON.parse(check.stdout).hosts.h1.tasks[0].files[0];
    const apply = await cli(['apply', 'latin1.yml']);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    const after = readFileSync(at('latin1.conf'));
    // Only the edited line changed; its new text is the plan's (UTF-8), every other byte is the file's.
    const expected = Buffer.concat([latin1('# Fichier de configuration — société\r\nnom = Müller\n'), Buffer.from('ville = Genève\n'), latin1('devise = \xa4\n\xff\xfe raw bytes\n')]);
    assert.deepEqual(after, expected);
    assert.equal(promised.sha256, sha(after), 'the dry run promised exactly these bytes');
    const again = await cli(['apply', 'latin1.yml', '--json']);
    assert.equal(JSON.parse(again.stdout).hosts.h1.tasks[0].status, 'ok', 'second run: no change');
  });

  it('stops: a CRLF file gets LF lines mixed in, or `line` never finds its CRLF twin and appends forever', () => {
    const crlf = Buffer.from('a = 1\r\nb = 2\r\nc = 3\r\n');
    assert.deepEqual(planOn('line', { path: '/x', line: 'b = 2' }, crlf).changes, [], 'the CRLF line is the wanted line');
    assert.deepEqual(written(planOn('line', { path: '/x', key: 'b', value: '9' }, crlf)), Buffer.from('a = 1\r\nb = 9\r\nc = 3\r\n'));
    assert.deepEqual(written(planOn('line', { path: '/x', line: 'd = 4' }, crlf)), Buffer.from('a = 1\r\nb = 2\r\nc = 3\r\nd = 4\r\n'));
    assert.deepEqual(written(planOn('line', { path: '/x', regexp: '^b = \\d$', line: 'b = 5' }, crlf)), Buffer.from('a = 1\r\nb = 5\r\nc = 3\r\n'), '$ sees the line without its CR');
    assert.deepEqual(written(planOn('line', { path: '/x', line: 'b = 2', state: 'absent' }, crlf)), Buffer.from('a = 1\r\nc = 3\r\n'));
  });

  it('stops: an edit elsewhere adds or strips the missing final newline', () => {
    const noFinal = Buffer.from('a = 1\nb = 2');
    assert.deepEqual(written(planOn('line', { path: '/x', key: 'a', value: '9' }, noFinal)), Buffer.from('a = 9\nb = 2'));
    assert.deepEqual(written(planOn('line', { path: '/x', key: 'b', value: '9' }, noFinal)), Buffer.from('a = 1\nb = 9'));
    // Appending must end the last line first; only that line's ending changes.
    assert.deepEqual(written(planOn('line', { path: '/x', line: 'c = 3' }, noFinal)), Buffer.from('a = 1\nb = 2\nc = 3\n'));
    assert.deepEqual(written(planOn('line', { path: '/x', line: 'c = 3' }, Buffer.from('a = 1\r\nb = 2'))), Buffer.from('a = 1\r\nb = 2\r\nc = 3\r\n'));
  });

  it('stops: invalid UTF-8 in the matched line crashes the match or corrupts the rest (regexp on Latin-1 and raw bytes)', () => {
    const file = latin1('Name=caf\xe9\r\nKey=\xff\xff\x1b[2J\nOther=\xe9t\xe9\n');
    // A valid-UTF-8 pattern sees a non-UTF-8 line one character per byte (Latin-1): é matches 0xE9.
    assert.deepEqual(written(planOn('line', { path: '/x', regexp: '^Name=(café|tea)$', line: 'Name=tea' }, file)), latin1('Name=tea\r\nKey=\xff\xff\x1b[2J\nOther=\xe9t\xe9\n'));
    assert.deepEqual(written(planOn('line', { path: '/x', key: 'Key', separator: '=', value: 'v' }, file)), latin1('Name=caf\xe9\r\nKey=v\nOther=\xe9t\xe9\n'));
    assert.deepEqual(written(planOn('line', { path: '/x', regexp: '^Key=.\\xff\\x1b', state: 'absent' }, file)), latin1('Name=caf\xe9\r\nOther=\xe9t\xe9\n'), '. matches one byte');
    // The same pattern on a UTF-8 line matches characters, as written.
    assert.deepEqual(written(planOn('line', { path: '/x', regexp: '^Name=(caf.|tea)$', line: 'Name=tea' }, Buffer.from('Name=café\n'))), Buffer.from('Name=tea\n'));
  });

  it('stops: a multi-line `line:` is appended again on every run (refused: load time when literal, plan time when templated)', async () => {
    assert.match(refused('line', { path: '/x', line: 'a = 1\nb = 2' }), /^line: `line` holds a line break: .*one `line` task per line.*template/);
    assert.match(refused('line', { path: '/x', line: 'a = 1\r' }), /^line: `line` holds a line break/);
    assert.match(refused('line', { path: '/x', key: 'a', value: '1\n2' }), /^value: /);
    assert.match(refused('settings', { path: '/x', values: { a: 'x\ny' } }), /^values\.a: the setting "a"'s value holds a line break/);
    // One setting with indented continuation lines (Postfix master.cf) is one span: allowed with
    // continuation and a regexp, replaced whole, and found again whole on the next run.
    const policy = { path: '/x', regexp: '^policy\\s+unix\\s', continuation: true, line: 'policy unix - n n - 0 spawn\n  user=nobody argv=/y' };
    assert.equal(refused('line', policy), '');
    assert.match(refused('line', { ...policy, continuation: false }), /^line: `line` holds a line break/);
    assert.match(refused('line', { ...policy, line: 'policy unix - n n - 0 spawn\nuser=nobody' }), /^line: `line` holds a line break/, 'a second line that is not a continuation');
    const master = Buffer.from('smtp inet n - y - - smtpd\r\npolicy unix - n n - 0 spawn\r\n  user=old argv=/x\r\n\tmore=1\r\nnext unix\r\n');
    const once = written(planOn('line', policy, master));
    assert.deepEqual(once, Buffer.from('smtp inet n - y - - smtpd\r\npolicy unix - n n - 0 spawn\r\n  user=nobody argv=/y\r\nnext unix\r\n'));
    assert.deepEqual(planOn('line', policy, once).changes, [], 'a second run changes nothing');
    const appended = written(planOn('line', policy, Buffer.from('smtp inet\n')));
    assert.deepEqual(planOn('line', policy, appended).changes, [], 'appended once, found whole the next time');
    writeFileSync(at('multi.conf'), 'x = 0\n');
    writeFileSync(at('multi.yml'), `hosts: all\ntasks:\n  - name: two lines\n    line:\n      path: "${at('multi.conf')}"\n      line: "a = 1\\nb = 2"\n`);
    const v = await cli(['validate', 'multi.yml']);
    assert.equal(v.code, 4, v.stdout + v.stderr);
    assert.match(v.stderr + v.stdout, /multi\.yml:6:\d+: .*`line` holds a line break/);
    writeFileSync(at('multi-t.yml'), `hosts: all\ntasks:\n  - name: two lines, templated\n    line: { path: "${at('multi.conf')}", line: "{{multi}}" }\n`);
    const r = await cli(['apply', 'multi-t.yml']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /h1[\s\S]*two lines, templated[\s\S]*`line` holds a line break/);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(readFileSync(at('multi.conf'), 'utf8'), 'x = 0\n', 'the file is untouched');
  });

  it('stops: a `regexp` that does not match its own `line` appends it on every run (reported with file:line:col, or host and task)', async () => {
    assert.match(refused('line', { path: '/x', regexp: '^old=', line: 'new=1' }), /^line: `regexp` "\^old=" does not match `line` "new=1": .*appended again on every run/);
    assert.equal(refused('line', { path: '/x', regexp: '^(old|new)=', line: 'new=1' }), '');
    assert.equal(refused('line', { path: '/x', regexp: '^old=', line: 'new=1', state: 'absent' }), '', 'absent appends nothing');
    assert.match(refused('line', { path: '/x', regexp: '^(old', line: '(old' }), /^regexp: not a valid regular expression/);
    writeFileSync(at('trap.conf'), 'old=0\n');
    writeFileSync(at('trap.yml'), `hosts: all\ntasks:\n  - name: trap\n    line:\n      path: "${at('trap.conf')}"\n      regexp: "^old="\n      line: "new=1"\n`);
    const v = await cli(['validate', 'trap.yml']);
    assert.equal(v.code, 4, v.stdout + v.stderr);
    assert.match(v.stderr + v.stdout, /trap\.yml:7:\d+: .*does not match `line`.*make the regexp match the new line too/);
    writeFileSync(at('trap-t.yml'), `hosts: all\ntasks:\n  - name: templated trap\n    line: { path: "${at('trap.conf')}", regexp: "{{notmatching}}", line: "new=1" }\n`);
    const ok = await cli(['validate', 'trap-t.yml']);
    assert.equal(ok.code, 0, `templated: left to plan time: ${ok.stdout}${ok.stderr}`);
    const r = await cli(['apply', 'trap-t.yml']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /h1[\s\S]*templated trap[\s\S]*does not match `line`/);
    assert.equal(readFileSync(at('trap.conf'), 'utf8'), 'old=0\n');
  });

  it('stops: `settings` on a Latin-1 config replaces its bytes with U+FFFD (continuation lines too)', () => {
    const maincf = latin1('# Postfix \xe9dition\nmyorigin = h\xf4te\nsmtpd_relay_restrictions = permit\n    reject_\xe9\nrelayhost =\n\xff tail\n');
    const after = applySettings(maincf, { values: { relayhost: '[smtp]:587', smtpd_relay_restrictions: 'reject', inet_protocols: 'ipv4' }, separator: ' = ', continuation: true });
    assert.deepEqual(after, latin1('# Postfix \xe9dition\nmyorigin = h\xf4te\nsmtpd_relay_restrictions = reject\nrelayhost = [smtp]:587\n\xff tail\ninet_protocols = ipv4\n'));
    const p = planOn('settings', { path: '/x', values: { myorigin: 'x' }, continuation: true }, maincf);
    assert.deepEqual(written(p), latin1('# Postfix \xe9dition\nmyorigin = x\nsmtpd_relay_restrictions = permit\n    reject_\xe9\nrelayhost =\n\xff tail\n'));
    assert.deepEqual(planOn('settings', { path: '/x', values: { myorigin: 'x' }, continuation: true }, written(p)).changes, [], 'a second run changes nothing');
  });

  it('stops: any byte soup (invalid UTF-8, CR, escapes) around an edited line is touched, or the edit repeats (property)', () => {
    const byteLine = fc
      .uint8Array({ maxLength: 24 })
      .map((a) => Buffer.from(a.filter((b) => b !== 0x0a && b !== 0)))
      .filter((b) => !/^\s*fpkey\s*=/.test(b.toString('latin1')) && !/^\s*fpkey\s*=/.test(b.toString('utf8')));
    const ending = fc.constantFrom('\n', '\r\n');
    fc.assert(
      fc.property(fc.array(fc.tuple(byteLine, ending), { maxLength: 12 }), fc.nat(), fc.boolean(), fc.constantFrom('present', 'absent'), (lines, pos, finalNewline, state) => {
        const at = lines.length ? pos % (lines.length + 1) : 0;
        const target: [Buffer, string] = [Buffer.from('  fpkey =  old'), '\r\n'];
        const all = [...lines.slice(0, at), target, ...lines.slice(at)];
        const bytes = (ls: [Buffer, string][], last = finalNewline) =>
          Buffer.concat(ls.flatMap(([b, e], i) => [b, Buffer.from(i === ls.length - 1 && !last ? '' : e)]));
        const file = bytes(all);
        const args = { ...base, key: 'fpkey', value: 'new', state } as const;
        const after = editLines(file, args);
        const edited: [Buffer, string][] = state === 'absent' ? [...lines.slice(0, at), ...lines.slice(at)] : [...lines.slice(0, at), [Buffer.from('fpkey = new'), '\r\n'], ...lines.slice(at)];
        // Removing the unterminated last line leaves the line before it as it was, ending included.
        const expected = state === 'absent' && at === lines.length && !finalNewline ? bytes(edited, true) : bytes(edited);
        assert.deepEqual(after, expected);
        assert.deepEqual(planOn('line', { path: '/x', key: 'fpkey', value: 'new', state }, after).changes, [], 'a second plan changes nothing');
        // Appending to a file without the key: every byte of the file stays, in place; only a newline
        // ending its last line and the new line come after.
        const without = bytes(lines);
        const appended = editLines(without, { ...base, key: 'fpkey', value: 'new' });
        assert.deepEqual(appended.subarray(0, without.length), without);
        assert.match(appended.subarray(without.length).toString('latin1'), /^(\r?\n|\n)?fpkey = new\r?\n$/);
        assert.deepEqual(editLines(appended, { ...base, key: 'fpkey', value: 'new' }), appended);
      }),
      { numRuns: 400 },
    );
  });

  it('stops: the hash a dry run prints brute-forces a short password file (secret content: no sha256, a keyed hmac only for the verifier)', async () => {
    writeFileSync(at('inventory-secret.yml'), 'all:\n  hosts:\n    h1:\n  vars:\n    pw: !secret "Pw-4711"\n');
    writeFileSync(at('secret.yml'), `hosts: all\ntasks:\n  - name: password map\n    line: { path: "${at('sasl.conf')}", line: "[smtp]:587 relay:{{pw}}", create: true, mode: "0600" }\n`);
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      runProcess(process.execPath, [main, ...args, '-i', 'inventory-secret.yml', '--connection', 'local'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env } });
    const plain = await run(['apply', 'secret.yml', '--check', '--json']);
    const file = JSON.parse(plain.stdout).hosts.h1.tasks[0].files[0];
    assert.deepEqual([file.sha256, file.hmac_sha256, file.mode], [undefined, undefined, '0600']);
    const key = 'verifier-key-91';
    const keyed = await run(['apply', 'secret.yml', '--check', '--json'], { FLEETPLAN_CONTENT_HMAC_KEY: key });
    const promised = JSON.parse(keyed.stdout).hosts.h1.tasks[0].files[0];
    assert.equal(promised.sha256, undefined);
    assert.doesNotMatch(keyed.stdout, /Pw-4711/);
    const applied = await run(['apply', 'secret.yml']);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.equal(promised.hmac_sha256, createHmac('sha256', key).update(readFileSync(at('sasl.conf'))).digest('hex'));
  });
});
