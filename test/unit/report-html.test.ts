// --report from synthetic engine events: everything from the run is escaped (a `<script>` task name,
// file line or error stays text; the page's own script is the only one), secrets never reach the
// page, failed and unreachable hosts are in the fleet table and the host list, the file is replaced
// atomically and only at the end, a run stopped early still leaves a page saying why, and 200 hosts
// × 30 tasks render with the unchanged hosts collapsed. Then the real command line (--connection
// local): a path that cannot be written is an input error, invalid input still writes a page, and
// a !secret is nowhere in a real run's page.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { runProcess } from '../run-process.js';
import type { RunEvent } from '../../src/engine/events.js';
import { InputError, InputErrors } from '../../src/core/errors.js';
import { Secret } from '../../src/core/secret.js';
import { SCRIPT } from '../../src/report/html-assets.js';
import { HtmlReporter, ReportError } from '../../src/report/html.js';
import { attr, byClass, byTag, elements, text, parsePage, type El } from './html-dom.js';
import { events, largeRun, run, task, testSecrets, write } from './report-events.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const main = path.join(root, 'dist/fleetplan.js');
const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;
const fresh = () => {
  const d = path.join(dir, `case-${++seq}`);
  mkdirSync(d);
  return d;
};

function report(file: string, evs: RunEvent[], argv = ['apply', 'site.yml', '--check', '--report', file]): string {
  const r = new HtmlReporter({ file, plan: 'site.yml', argv, version: '9.9.9', secrets: testSecrets });
  for (const e of evs) r.handle(e);
  return readFileSync(file, 'utf8');
}

const rowOf = (doc: Parameters<typeof byTag>[0], host: string) =>
  byTag(byClass(doc, 'fleet')[0]!, 'tr').find((tr) => text(byTag(tr, 'td')[0] ?? tr) === host)!;
/** The value next to a label in the page's header. */
function metaValue(doc: Parameters<typeof byTag>[0], label: string): string {
  const items = elements(byClass(doc, 'meta')[0]!);
  return text(items[items.findIndex((e) => e.tagName === 'dt' && text(e) === label) + 1]!);
}
const cells = (tr: El) => byTag(tr, 'td').map((td) => text(td).trim());

describe('HTML report from engine events', () => {
  test('everything from the run is text: the page has one script, its own', () => {
    const evil = `<script>document.body.dataset.pwned = '1'</script>`;
    const file = path.join(fresh(), 'run.html');
    const page = report(
      file,
      events(true, {
        'web<1>': {
          tasks: [
            task('web<1>', `deploy ${evil}`, {
              role: '<i>app</i>',
              status: 'changed',
              reason: `because "${evil}" & more`,
              changes: [write('/etc/app.conf', 'a=1\n', `a=1\nbanner=${evil}\nurl="https://example.org/x"\n`), run(`echo '<img src=x onerror=alert(1)>'`)],
            }),
            task('web<1>', 'breaks', { status: 'failed', error: `exited 1: </pre>${evil}`, pos: { file: 'roles/<x>/tasks.yml', line: 3, col: 5 } }),
          ],
        },
      }),
    );
    const { doc, errors } = parsePage(page);
    assert.deepEqual(errors.map((e) => `${e.code} at ${e.startLine}:${e.startCol}`), [], 'the page is valid HTML');
    const scripts = byTag(doc, 'script');
    assert.equal(scripts.length, 1, 'only the page script');
    assert.equal(text(scripts[0]!), SCRIPT);
    assert.equal(byTag(doc, 'img').length, 0);
    assert.deepEqual(elements(doc).flatMap((e) => e.attrs.filter((a) => a.name.startsWith('on')).map((a) => a.name)), [], 'no event handler attribute');
    // What the operator reads is exactly what the run said.
    const names = byClass(doc, 'tname').map(text);
    assert.deepEqual(names, [`deploy ${evil}`, 'breaks']);
    assert.equal(text(byClass(doc, 'role')[0]!), '<i>app</i>:');
    assert.ok(byClass(doc, 'add').some((l) => text(l) === `+banner=${evil}`));
    assert.ok(byClass(doc, 'cmd').some((c) => text(c) === `$ echo '<img src=x onerror=alert(1)>'`));
    assert.equal(text(byClass(doc, 'error').find((e) => text(e).startsWith('exited'))!), `exited 1: </pre>${evil}`);
    assert.ok(byClass(doc, 'pos').some((p) => text(p) === 'at roles/<x>/tasks.yml:3:5'));
    assert.equal(text(byTag(doc, 'title')[0]!), 'fleetplan dry run: site.yml');
    // File contents may mention URLs; the page itself loads and links nothing outside itself.
    for (const el of byTag(doc, 'a')) assert.match(attr(el, 'href')!, /^#host-\d+$/);
    assert.ok(!/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i.test(page));
    const csp = byTag(doc, 'meta').find((m) => attr(m, 'http-equiv') === 'Content-Security-Policy');
    assert.match(attr(csp!, 'content')!, /default-src 'none'/);
  });

  test('secrets: neither in the page nor in its command line; secret files say only that they change', () => {
    const secret = new Secret('Unit-S3cret-9d1f', testSecrets).toString();
    const file = path.join(fresh(), 'run.html');
    const page = report(
      file,
      events(false, {
        relay1: {
          tasks: [
            task('relay1', 'password map', {
              status: 'changed',
              check: false,
              changes: [write('/etc/postfix/sasl_passwd', null, `[smarthost]:587 relay:${secret}\n`, 'secret'), run(`postmap -q relay:${secret}`)],
            }),
            task('relay1', `when ${secret} breaks`, { status: 'failed', check: false, error: `login failed for ${secret}` }),
            task('relay1', 'hidden', { status: 'changed', check: false, noLog: true, changes: [run(`echo ${secret}`)] }),
          ],
          failed: `stopped after ${secret}`,
        },
      }),
      ['apply', 'site.yml', '--limit', secret, '-e', `pw='${secret}'`, '--report', file],
    );
    assert.ok(!page.includes(secret), 'the secret is nowhere in the file');
    const { doc } = parsePage(page);
    assert.ok(byClass(doc, 'masked').some((m) => text(m) === '/etc/postfix/sasl_passwd: content changed (secret: not shown)'));
    assert.ok(byClass(doc, 'cmd').some((c) => text(c) === '$ postmap -q relay:[redacted]'));
    assert.ok(byClass(doc, 'cmd').some((c) => text(c) === '$ [redacted: no_log]'));
    assert.equal(metaValue(doc, 'command'), `apply site.yml --limit '[redacted]' -e 'pw='\\''[redacted]'\\''' --report ${file}`);
  });

  test('failed and unreachable hosts: in the table with their counts, first, open, with why', () => {
    const file = path.join(fresh(), 'run.html');
    const okTasks = [task('calm', 'a'), task('calm', 'b', { status: 'skipped', reason: 'when: false' })];
    const page = report(
      file,
      events(true, {
        calm: { tasks: okTasks },
        busy: { tasks: [task('busy', 'conf', { status: 'changed', changes: [write('/etc/x', 'old\n', 'new\n')] }), task('busy', 'b')] },
        broken: { tasks: [task('broken', 'a'), task('broken', 'pkg', { status: 'failed', error: 'E: Unable to locate package nope' })] },
        ghost: { unreachable: 'host ghost: connect ECONNREFUSED 127.0.0.1:1' },
        locked: { failed: 'host locked: another fleetplan run holds this host' },
      }),
    );
    const { doc } = parsePage(page);
    const rows = byTag(byTag(byClass(doc, 'fleet')[0]!, 'tbody')[0]!, 'tr');
    // Problems first, inventory order within a status.
    assert.deepEqual(rows.map((r) => [cells(r)[0], attr(r, 'data-status')]), [
      ['broken', 'failed'], ['locked', 'failed'], ['ghost', 'unreachable'], ['busy', 'changed'], ['calm', 'ok'],
    ]);
    // host, status, ok, would change, failed, skipped, unreachable
    assert.deepEqual(cells(rowOf(doc, 'broken')).slice(0, 7), ['broken', 'failed', '1', '0', '1', '0', '0']);
    assert.deepEqual(cells(rowOf(doc, 'ghost')).slice(0, 7), ['ghost', 'unreachable', '0', '0', '0', '0', '1']);
    assert.deepEqual(cells(rowOf(doc, 'busy')).slice(0, 7), ['busy', 'would change', '1', '1', '0', '0', '0']);
    assert.deepEqual(cells(rowOf(doc, 'calm')).slice(0, 7), ['calm', 'ok', '1', '0', '0', '1', '0']);
    const hosts = byClass(doc, 'host').filter((e) => e.tagName === 'details');
    const open = Object.fromEntries(hosts.map((h) => [text(byClass(h, 'name')[0]!), attr(h, 'open') !== undefined]));
    assert.deepEqual(open, { broken: true, locked: true, ghost: true, busy: true, calm: false });
    assert.ok(page.includes('host ghost: connect ECONNREFUSED 127.0.0.1:1'));
    assert.ok(byClass(doc, 'error').some((e) => text(e) === 'host locked: another fleetplan run holds this host'));
    assert.equal(text(byClass(doc, 'banner')[0]!), '5 hosts: 2 failed, 1 unreachable, 1 would change, 1 unchanged. Dry run: nothing was changed.');
    // The unchanged tasks are folded, not dropped.
    const calm = hosts.find((h) => text(byClass(h, 'name')[0]!) === 'calm')!;
    assert.equal(text(byTag(byClass(calm, 'quiet')[0]!, 'summary')[0]!), '2 unchanged tasks');
  });

  test('written once, at the end, atomically (a new file replaces the old one whole)', () => {
    const d = fresh();
    const file = path.join(d, 'run.html');
    writeFileSync(file, 'previous report');
    const before = statSync(file).ino;
    const r = new HtmlReporter({ file, plan: 'site.yml', argv: [], version: '9.9.9', secrets: testSecrets });
    const evs = events(true, { a: { tasks: [task('a', 't')] } });
    for (const e of evs.slice(0, -1)) r.handle(e);
    assert.equal(readFileSync(file, 'utf8'), 'previous report', 'nothing is written before the run ends');
    r.handle(evs.at(-1)!);
    assert.match(readFileSync(file, 'utf8'), /^<!DOCTYPE html>[\s\S]*<\/html>\n$/);
    assert.notEqual(statSync(file).ino, before, 'renamed into place, not rewritten in place');
    assert.deepEqual(readdirSync(d), ['run.html'], 'no temporary file left');
    assert.equal(r.stopped(new Error('late')), undefined, 'a finished report is not overwritten');
    assert.match(readFileSync(file, 'utf8'), /1 host: 1 unchanged/);
  });

  test('a new report is readable by others; an existing one keeps its mode', () => {
    const d = fresh();
    const file = path.join(d, 'run.html');
    report(file, events(true, { a: {} }));
    assert.equal(statSync(file).mode & 0o777, 0o644);
    const kept = path.join(d, 'kept.html');
    writeFileSync(kept, 'x', { mode: 0o600 });
    report(kept, events(true, { a: {} }));
    assert.equal(statSync(kept).mode & 0o777, 0o600);
  });

  test('a report that cannot be written: refused before the run, or a ReportError after it', () => {
    const d = fresh();
    assert.throws(() => new HtmlReporter({ file: path.join(d, 'no/such/dir/run.html'), plan: 'p', argv: [], version: '1', secrets: testSecrets }), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.describe(), /no\/such\/dir\/run\.html: --report: directory .* does not exist/);
      return true;
    });
    assert.throws(() => new HtmlReporter({ file: d, plan: 'p', argv: [], version: '1', secrets: testSecrets }), /--report: is a directory/);
    const sub = path.join(d, 'gone');
    mkdirSync(sub);
    const r = new HtmlReporter({ file: path.join(sub, 'run.html'), plan: 'p', argv: [], version: '1', secrets: testSecrets });
    rmSync(sub, { recursive: true });
    const evs = events(true, { a: {} });
    for (const e of evs.slice(0, -1)) r.handle(e);
    assert.throws(() => r.handle(evs.at(-1)!), (e: unknown) => {
      assert.ok(e instanceof ReportError);
      assert.match(e.describe(), /gone\/run\.html: cannot write the report: ENOENT/);
      return true;
    });
  });

  test('a run that stops early leaves a page with what was recorded and why', () => {
    const file = path.join(fresh(), 'run.html');
    const r = new HtmlReporter({ file, plan: 'site.yml', argv: [], version: '9.9.9', secrets: testSecrets });
    const evs = events(true, { a: { tasks: [task('a', 'first', { status: 'changed' })] }, b: {} });
    for (const e of evs.slice(0, 4)) r.handle(e); // run-start, a's start, facts and first task result
    assert.equal(r.stopped(new Error('socket hang up')), undefined);
    const { doc } = parsePage(readFileSync(file, 'utf8'));
    const banner = byClass(doc, 'banner')[0]!;
    assert.match(text(banner), /^The run did not finish: below is what was recorded before it stopped\.internal error: socket hang up$/);
    assert.deepEqual(cells(rowOf(doc, 'a')).slice(0, 4), ['a', 'not finished', '0', '1']);

    const early = path.join(fresh(), 'run.html');
    const r2 = new HtmlReporter({ file: early, plan: 'site.yml', argv: [], version: '9.9.9', secrets: testSecrets });
    r2.stopped(new InputErrors([new InputError("unknown operation 'fiel'", { pos: { file: 'site.yml', line: 4, col: 5 } })]));
    const page2 = parsePage(readFileSync(early, 'utf8'));
    assert.equal(
      text(byClass(page2.doc, 'banner')[0]!),
      "The run did not start.invalid input, no host was contacted:\nsite.yml:4:5: unknown operation 'fiel'",
    );
  });

  test('200 hosts × 30 tasks: every host in the table, the unchanged ones collapsed', () => {
    const file = path.join(fresh(), 'run.html');
    const evs = largeRun(200, 30);
    const t0 = Date.now();
    const page = report(file, evs);
    const ms = Date.now() - t0;
    const { doc, errors } = parsePage(page);
    assert.equal(errors.length, 0);
    assert.equal(byTag(byTag(byClass(doc, 'fleet')[0]!, 'tbody')[0]!, 'tr').length, 200);
    const details = byClass(doc, 'host').filter((e) => e.tagName === 'details');
    assert.equal(details.length, 200);
    assert.equal(details.filter((d) => attr(d, 'open') !== undefined).length, 20, 'only the 20 changed hosts are open');
    assert.equal(byClass(doc, 'task').length, 20 * 6, 'changed tasks in full; the 5,880 others folded in their hosts');
    assert.ok(page.length < 4_000_000, `${page.length} bytes`);
    assert.ok(ms < 5000, `rendered in ${ms} ms`);
  });
});

async function cli(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  const r = await runProcess(process.execPath, [main, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.code, out: r.output };
}

describe('fleetplan apply --report (--connection local)', () => {
  const SECRET = 'Local-Report-Pw-51c0';

  test('an unwritable report path is invalid input: exit 4, no host contacted', async () => {
    const d = fresh();
    writeFileSync(path.join(d, 'inventory.yml'), 'all:\n  hosts:\n    me: { connection: local }\n');
    writeFileSync(path.join(d, 'plan.yml'), `hosts: all\ntasks:\n  - name: t\n    file: { path: "${d}/x", content: "x\\n" }\n`);
    const r = await cli(['apply', 'plan.yml', '-i', 'inventory.yml', '--report', 'missing/run.html'], d);
    assert.equal(r.code, 4, r.out);
    assert.match(r.out, /missing\/run\.html: --report: directory .*missing does not exist/);
    assert.match(r.out, /no host was contacted/);
  });

  test('invalid input still writes a page that says why', async () => {
    const d = fresh();
    writeFileSync(path.join(d, 'inventory.yml'), 'all:\n  hosts:\n    me: { connection: local }\n');
    writeFileSync(path.join(d, 'plan.yml'), 'hosts: all\ntasks:\n  - name: t\n    fiel: { path: /tmp/x }\n');
    const r = await cli(['apply', 'plan.yml', '-i', 'inventory.yml', '--report', 'run.html'], d);
    assert.equal(r.code, 4, r.out);
    const { doc } = parsePage(readFileSync(path.join(d, 'run.html'), 'utf8'));
    assert.match(text(byClass(doc, 'banner')[0]!), /^The run did not start\.invalid input, no host was contacted:\n.*plan\.yml:4:5: .*fiel/s);
    // Asked as a dry run, the page says so, even though no run started.
    const dry = await cli(['apply', 'plan.yml', '-i', 'inventory.yml', '--check', '--report', 'dry.html'], d);
    assert.equal(dry.code, 4, dry.out);
    const page = readFileSync(path.join(d, 'dry.html'), 'utf8');
    assert.match(page, /<title>fleetplan dry run/);
    assert.doesNotMatch(page, /changes were made/);
  });

  test('a real run: the !secret is nowhere in the page, the secret file is announced, the exit code is the run\'s', async () => {
    const d = fresh();
    mkdirSync(path.join(d, 'host'));
    writeFileSync(path.join(d, 'inventory.yml'), `all:\n  hosts:\n    me: { connection: local }\n  vars:\n    pw: !secret "${SECRET}"\n`);
    writeFileSync(
      path.join(d, 'plan.yml'),
      [
        'name: local report',
        'hosts: all',
        'tasks:',
        '  - name: plain file',
        `    file: { path: "${d}/host/plain.conf", content: "user=x\\n" }`,
        '  - name: password file',
        `    file: { path: "${d}/host/pw.conf", content: "password={{pw}}\\n", mode: "0600" }`,
        '  - name: uses the password',
        `    command: { cmd: "test -n {{pw}}", creates: "${d}/host/never" }`,
        '  - name: fails with the password',
        '    command: "echo {{pw}} >&2; exit 3"',
        '',
      ].join('\n'),
    );
    const check = await cli(['apply', 'plan.yml', '-i', 'inventory.yml', '--check', '--diff', '--report', 'check.html'], d);
    assert.equal(check.code, 0, check.out);
    const applied = await cli(['apply', 'plan.yml', '-i', 'inventory.yml', '--report', 'apply.html', '--json'], d);
    assert.equal(applied.code, 2, applied.out);
    assert.equal(readFileSync(path.join(d, 'host/pw.conf'), 'utf8'), `password=${SECRET}\n`, 'the host got the real value');
    for (const name of ['check.html', 'apply.html']) {
      const page = readFileSync(path.join(d, name), 'utf8');
      assert.ok(!page.includes(SECRET), `${name} contains the secret`);
      const { doc } = parsePage(page);
      assert.ok(byClass(doc, 'masked').some((m) => text(m) === `${d}/host/pw.conf: content changed (secret: not shown)`), name);
      assert.ok(byClass(doc, 'cmd').some((c) => text(c) === '$ test -n [redacted]'), name);
    }
    const { doc } = parsePage(readFileSync(path.join(d, 'apply.html'), 'utf8'));
    assert.deepEqual(cells(rowOf(doc, 'me')).slice(0, 5), ['me', 'failed', '0', '3', '1']);
    assert.ok(byClass(doc, 'error').some((e) => text(e) === 'exited 3: [redacted]'));
    // The page and --json agree on every task's status.
    const json = JSON.parse(applied.out.slice(applied.out.indexOf('{')));
    const badges = byClass(doc, 'task').map((t) => text(byClass(t, 'badge')[0]!));
    assert.deepEqual(badges, json.hosts.me.tasks.filter((t: any) => t.status !== 'ok' && t.status !== 'skipped').map((t: any) => t.status));
  });
});
