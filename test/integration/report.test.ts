// --report from a real dry run, rendered by headless Chromium: plans/relay.yml with --check --diff
// on a test fleet host plus an unreachable one, the relay password a !secret, and an operator's
// main.cf banner holding a <script>. Asserted on the DOM Chromium built after running the page:
// the page's own script ran (under its Content-Security-Policy), the banner's script did not and
// reads as text in a highlighted diff line, the fleet table agrees with --json of the same run, the
// password is nowhere and its file is announced, not shown; #status=unreachable filters the page. Then a screenshot of it. And a made-up
// run of 200 hosts × 30 tasks, which Chromium must render whole.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { attr, byClass, byTag, elements, parsePage, text, type El } from '../unit/html-dom.js';
import { HtmlReporter } from '../../src/report/html.js';
import { largeRun } from '../unit/report-events.js';
import { chromiumMissing, dumpDom, pngSize, screenshot } from './chromium.js';
import { fleetplan, repoRoot } from './cli.js';
import { writeRelayInventory } from './relay-inventory.js';
import { SecretRegistry } from '../../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const noChromium = chromiumMissing();
const chromiumSkip = noChromium ? skipOrFail(noChromium) : false;
const reason = unsupportedReason() ?? noChromium;
const skip = reason ? skipOrFail(reason) : false;
const out = mkdtempSync('/tmp/fleetplan-report-');
const PASSWORD = 'Report-relay-Pa55word-e3b1';
const BANNER = `$myhostname ESMTP <script>document.body.dataset.pwned = "1"</script>`;
const HOST = 'deb-systemd-1';
const GHOST = 'ghost-1';

let fleet: Fleet;
before(async () => {
  if (skip) return;
  fleet = await up({ os: 'debian-systemd', count: 1, out: path.join(out, 'fleet') });
});
after(async () => {
  if (!skip) await down(path.join(out, 'fleet')).catch((e) => console.error(`fleet down: ${(e as Error).message}`));
  rmSync(out, { recursive: true, force: true });
});

const rows = (doc: El | ReturnType<typeof parsePage>['doc']) => byTag(byTag(byClass(doc, 'fleet')[0]!, 'tbody')[0]!, 'tr');
const cells = (tr: El) => byTag(tr, 'td').map((td) => text(td).trim());

test('relay.yml --check --diff --report: rendered by Chromium', { skip, timeout: 300_000 }, async () => {
  const inventory = writeRelayInventory(fleet, path.join(out, 'inventory.yml'), {
    relayPassword: PASSWORD,
    extraVars: { postfix_extra_params: `{ smtpd_banner: ${JSON.stringify(BANNER)} }` },
  });
  // A relay nobody answers for (nothing listens on port 1): the report must show it unreachable.
  writeFileSync(inventory, `${readFileSync(inventory, 'utf8')}      hosts:\n        ${GHOST}: { ssh_host: 127.0.0.1, ssh_port: 1 }\n`);
  const file = path.join(out, 'run.html');
  const r = await fleetplan(['apply', path.join(repoRoot, 'plans/relay.yml'), '-i', inventory, '--check', '--diff', '--json', '--report', file]);
  assert.equal(r.code, 3, `an unreachable host: exit 3\n${r.stderr}`);
  const page = readFileSync(file, 'utf8');
  assert.ok(!page.includes(PASSWORD), 'the relay password is not in the report');
  assert.ok(!/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i.test(page), 'nothing external is loaded or linked');

  const { doc } = parsePage(await dumpDom(file));
  const htmlEl = byTag(doc, 'html')[0]!;
  assert.equal(attr(htmlEl, 'class'), 'js', "the page's own script ran");
  assert.equal(attr(byTag(doc, 'body')[0]!, 'data-pwned'), undefined, "the banner's script did not");
  assert.equal(byTag(doc, 'script').length, 1);

  // The fleet table says what --json of the same run says.
  const table = Object.fromEntries(rows(doc).map((tr) => [cells(tr)[0], cells(tr)]));
  assert.deepEqual(Object.keys(table), [GHOST, HOST], 'the unreachable host first');
  const json = r.json.hosts;
  for (const h of [HOST, GHOST]) {
    const j = json[h];
    assert.deepEqual(table[h]!.slice(2, 7), [j.ok, j.changed, j.failed, j.skipped, j.unreachable ? 1 : 0].map(String), h);
  }
  assert.equal(table[HOST]![1], 'would change');
  assert.equal(table[GHOST]![1], 'unreachable');
  assert.ok(json[HOST].changed > 5, 'a fresh host has plenty to change');

  const host = byClass(doc, 'host').find((e) => e.tagName === 'details' && text(byClass(e, 'name')[0]!) === HOST)!;
  assert.notEqual(attr(host, 'open'), undefined);
  const tasks = byClass(host, 'task');
  assert.equal(tasks.length, json[HOST].changed, 'every changed task has its block');
  const added = byClass(host, 'add').map(text);
  assert.ok(added.includes('+relayhost = [127.0.0.1]:2525'), added.join('\n'));
  assert.ok(added.includes(`+smtpd_banner = ${BANNER}`), 'the banner, script and all, is a highlighted line of text');
  assert.ok(byClass(host, 'masked').map(text).some((t) => /\/sasl_passwd: content changed \(secret: not shown\)$/.test(t)));
  const ghost = byClass(doc, 'host').find((e) => e.tagName === 'details' && text(byClass(e, 'name')[0]!) === GHOST)!;
  assert.match(text(byClass(ghost, 'error')[0]!), /cannot connect to ghost-1 \(root@127\.0\.0\.1:1\): connection refused/);
  // The status filter, from the address as an operator would link it.
  const filtered = parsePage(await dumpDom(file, '#status=unreachable')).doc;
  assert.equal(attr(byTag(filtered, 'body')[0]!, 'data-filter'), 'unreachable');
  const pressed = byTag(filtered, 'button').filter((b) => attr(b, 'aria-pressed') === 'true').map(text);
  assert.deepEqual(pressed, ['unreachable 1']);
  assert.equal(attr(byTag(parsePage(await dumpDom(file, '#status=bogus')).doc, 'body')[0]!, 'data-filter'), undefined);
  const command = elements(byClass(doc, 'meta')[0]!).map(text);
  assert.ok(command.some((t) => t.includes('--report') && t.includes('--check')), 'the command line is in the header');

  const png = path.join(out, 'report.png');
  await screenshot(file, png, 1280, 2400);
  const image = readFileSync(png);
  assert.deepEqual(pngSize(image), { width: 1280, height: 2400 });
  assert.ok(image.length > 50_000, `a rendered page, not a blank one (${image.length} bytes)`);
  // For a human look: FLEETPLAN_REPORT_SCREENSHOT=/some/file.png keeps a copy.
  if (process.env.FLEETPLAN_REPORT_SCREENSHOT) copyFileSync(png, process.env.FLEETPLAN_REPORT_SCREENSHOT);
});

test('200 hosts × 30 tasks: Chromium renders every host, the unchanged ones collapsed', { skip: chromiumSkip, timeout: 120_000 }, async () => {
  const file = path.join(out, 'large.html');
  const reporter = new HtmlReporter({ file, plan: 'site.yml', argv: ['apply', 'site.yml', '--check'], version: 'test', secrets: testSecrets });
  for (const e of largeRun(200, 30)) reporter.handle(e);
  const t0 = Date.now();
  const { doc } = parsePage(await dumpDom(file));
  const ms = Date.now() - t0;
  assert.equal(attr(byTag(doc, 'html')[0]!, 'class'), 'js', 'the page loaded to its end and its script ran');
  assert.equal(rows(doc).length, 200);
  const hosts = byClass(doc, 'host').filter((e) => e.tagName === 'details');
  assert.equal(hosts.length, 200);
  assert.equal(hosts.filter((h) => attr(h, 'open') !== undefined).length, 20);
  assert.ok(ms < 60_000, `rendered in ${ms} ms`);
});
