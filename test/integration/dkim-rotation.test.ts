// DKIM key rotation across applies (roles/opendkim, docs/relay-fleet.md "Rotating DKIM keys"), on one
// Debian SysV host with the fleet's BIND9 and a smarthost in the host's namespace:
// phase 1 (dkim_next_selector) makes the next key beside the signing one and `fleetplan dns` publishes
// both; phase 2 (dkim_selector = the new one, dkim_previous_selector = the old) refuses to switch while
// the new record is missing or is not the host's key, and switches once it resolves — the message is
// then signed with the new selector and verifies against the published record; phase 3 retires the old
// key dkim_retire_after_days after the switch (from disk, then its record). Each phase: dry-run diff,
// apply, zero-change re-run. Bad selectors: host + task named, nothing changed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startDnsServer, type DnsServer } from '../fleet/dns-server.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan, repoRoot, tasksWith, type CliResult } from './cli.js';
import { verifyDkim } from './dkim.js';
import { publishTxt } from './publish-records.js';
import { writeRelayInventory } from './relay-inventory.js';
import { startSmarthost, type Smarthost } from './smarthost.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-dkim-rotation-');
const plan = path.join(repoRoot, 'plans', 'relay.yml');
const KEYS = '/etc/opendkim/keys/example.org';
const PASSWORD = 'Rotation-relay-Pa55word';

let fleet: Fleet;
let dns: DnsServer;
let smarthost: Smarthost;
let host: string;

before(async () => {
  if (skip) return;
  [fleet, dns] = await Promise.all([up({ os: 'debian-sysv', count: 1, out: path.join(out, 'fleet') }), startDnsServer({ out, zones: ['example.org'] })]);
  host = fleet.hosts[0]!.name;
  smarthost = await startSmarthost({ netnsPid: fleet.hosts[0]!.pid, users: { relayuser: PASSWORD }, dir: path.join(out, 'smarthost') });
});
after(async () => {
  if (!out) return;
  await Promise.all([smarthost?.stop(), dns?.stop(), down(path.join(out, 'fleet')).catch(() => undefined)]);
  rmSync(out, { recursive: true, force: true });
});

/** The relay inventory at one phase of the rotation: its selector variables (YAML values). */
function inventory(name: string, vars: Record<string, string>): string {
  const update = `{ server: ${dns.address}, port: ${dns.port}, key_name: ${dns.tsig.name}, key_secret: !secret ${JSON.stringify(dns.tsig.secret)}, ttl: 60 }`;
  return writeRelayInventory(fleet, path.join(out, `${name}.yml`), { relayPassword: PASSWORD, extraVars: { dns_update: update, ...vars } });
}

/** How long each command took (printed as a diagnostic: the file's budget is 90 s on a quiet machine). */
const timings: string[] = [];
async function timed(args: string[]): Promise<CliResult> {
  const start = Date.now();
  const r = await fleetplan(args);
  timings.push(`${args.filter((a) => !a.startsWith('/')).join(' ')}: ${Date.now() - start} ms`);
  return r;
}
const apply = (inv: string, ...more: string[]) => timed(['apply', plan, '-i', inv, '--json', ...more]);
const publish = (inv: string, ...more: string[]) => timed(['dns', plan, '-i', inv, '--publish', ...more]);
// A looping task's name carries its item's label: "name (label)".
const task = (r: CliResult, name: string) => (r.json.hosts[host].tasks as any[]).filter((t) => t.name === name || t.name.startsWith(`${name} (`));

async function sh(cmd: string): Promise<string> {
  const r = await fleet.exec(host, cmd);
  assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
  return r.stdout;
}

function dig(name: string): string[] {
  const r = spawnSync('dig', [`@${dns.address}`, '-p', String(dns.port), '+short', '+time=2', '+tries=1', 'TXT', name], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => [...l.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!).join(''));
}

/** Sends a message with the host's sendmail; returns the smarthost's DKIM verdict against the published records. */
async function signedWith(subject: string) {
  const start = Date.now();
  const before = (await smarthost.messages()).length;
  await sh(`printf 'From: ops@example.org\\nTo: someone@example.net\\nSubject: ${subject}\\n\\nhello\\n' | sendmail -f ops@example.org someone@example.net`);
  const all = await smarthost.waitForMessages(before + 1, 60_000);
  timings.push(`mail ${subject}: ${Date.now() - start} ms`);
  return verifyDkim(Buffer.from(all[before]!.raw, 'base64'), dns);
}

function assertOk(r: CliResult, what: string) {
  assert.equal(r.code, 0, `${what}: ${r.stderr}\n${JSON.stringify(r.json?.hosts?.[host]?.tasks?.filter((t: any) => t.status === 'failed'))}`);
}

const zeroChange = (r: CliResult) => assert.deepEqual(tasksWith(r.json, host, 'changed'), [], 'a re-run changes nothing');

// First, on the fresh host: relay.yml checks the selectors in its pre_tasks, before any role changes anything.
test('DKIM rotation: a selector that is not a DNS label is refused, naming host and task; nothing changes', { skip, timeout: 120_000 }, async () => {
  const state = async () => (await fleet.exec(host, `md5sum /etc/postfix/main.cf; ls -la --time-style=full-iso /etc/postfix /etc/opendkim ${KEYS} 2>&1; ls /tmp`)).stdout;
  const before = await state();
  for (const [variable, value] of [['dkim_next_selector', '"../../../tmp/x"'], ['dkim_previous_selector', '"s1;touch /tmp/pwned"'], ['dkim_selector', '"s 2"']] as const) {
    const inv = inventory(`bad-${variable}`, { dkim_selector: 's2', [variable]: value });
    const r = await fleetplan(['apply', plan, '-i', inv, '--json']);
    assert.equal(r.code, 2, `${variable}: ${r.stdout}${r.stderr}`);
    const tasks = r.json.hosts[host].tasks as any[];
    assert.deepEqual(tasks.map((t) => `${t.name}=${t.status}`), [`DKIM inputs (${variable === 'dkim_selector' ? 's 2' : 's2'}._domainkey.example.org)=failed`], 'the first task fails, nothing else runs');
    assert.match(tasks[0].error, /selector, next_selector and\s+previous_selector DNS labels/);
    assert.equal(tasks[0].pos.file, 'roles/opendkim/tasks/inputs.yml');
    const text = await fleetplan(['apply', plan, '-i', inv]);
    // The host, the task and where it is written.
    assert.match(text.stdout, new RegExp(`^${host}: FAILED .*\\n {2}failed +opendkim: DKIM inputs .*\\n.*\\n {4}at roles/opendkim/tasks/inputs\\.yml:\\d+:\\d+$`, 'm'));
    assert.doesNotMatch(text.stderr, /^\s+at /m, 'no stack trace');
    const dnsRun = await publish(inv, '--check');
    assert.equal(dnsRun.code, 4, `${variable}: dns: ${dnsRun.stderr}`);
    assert.match(dnsRun.stderr, new RegExp(`host ${host}: dkim_keys: \\w*selector .* of example\\.org is not a DNS label`));
  }
  assert.equal(await state(), before, 'nothing changed on the host');
  assert.equal((await fleet.exec(host, 'test -e /tmp/pwned')).code, 1);
});

test('DKIM rotation: next key published ahead, switch only once the record resolves, old key retired', { skip, timeout: 240_000 }, async (t) => {
  // Phase 0: the relay signs with s1, published.
  const inv0 = inventory('phase0', { dkim_selector: 's1' });
  assertOk(await apply(inv0), 'first apply');
  assertOk(await publish(inv0), 'publish s1');
  let verdict = await signedWith('s1');
  assert.equal(verdict.pass, true, `s1: DKIM ${verdict.result} ${verdict.comment ?? ''}`);
  assert.equal(verdict.selector, 's1');

  // Phase 1: the next key is made beside it, not signing; its record is published with s1's.
  const inv1 = inventory('phase1', { dkim_selector: 's1', dkim_next_selector: 's2' });
  const check1 = await apply(inv1, '--check', '--diff');
  assertOk(check1, 'phase 1 dry run');
  const nextKey = 'next DKIM key (published ahead, signs after the switch) (s2._domainkey.example.org)';
  assert.deepEqual(tasksWith(check1.json, host, 'changed'), [nextKey]);
  assert.match(task(check1, 'next DKIM key (published ahead, signs after the switch)')[0].reason, /s2\.private is missing/);
  const apply1 = await apply(inv1);
  assertOk(apply1, 'phase 1');
  assert.deepEqual(tasksWith(apply1.json, host, 'changed'), [nextKey]);
  assert.match(await sh(`stat -c '%U %a' ${KEYS}/s2.private`), /^opendkim 600\n$/);
  assert.match(await sh('cat /etc/opendkim/SigningTable'), /^\*@example\.org s1\._domainkey\.example\.org$/m);
  zeroChange(await apply(inv1));

  // Phase 2 before s2 is published: the dry run and the run refuse to switch; s1 keeps signing.
  const inv2 = inventory('phase2', { dkim_selector: 's2', dkim_previous_selector: 's1', dkim_retire_after_days: '7' });
  const refusedCheck = await apply(inv2, '--check', '--diff');
  assert.equal(refusedCheck.code, 2, refusedCheck.stderr);
  const gate = 'DKIM signing may switch (rotation)';
  const retire = 'previous DKIM key retired (rotation)';
  assert.match(task(refusedCheck, gate)[0].error, /signing stays with s1: s2\._domainkey\.example\.org has no TXT record at 127\.0\.53\.\d+#5053 yet: publish it/);
  const refused = await apply(inv2);
  assert.equal(refused.code, 2, refused.stderr);
  assert.equal(task(refused, gate)[0].status, 'failed');
  assert.deepEqual(tasksWith(refused.json, host, 'changed'), [], 'nothing changed before the refusal');
  assert.match(await sh('cat /etc/opendkim/SigningTable'), /s1\._domainkey/);
  // A record that is not this host's key is refused too.
  await publishTxt(dns, 'example.org', { 's2._domainkey.example.org': 'v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnotthehostskey' });
  const wrong = await apply(inv2, '--check');
  assert.equal(wrong.code, 2);
  assert.match(task(wrong, gate)[0].error, /is not the public key this host holds/);

  // Published: both selectors (and s1 stays while it is the previous key).
  const pub = await publish(inv2);
  assertOk(pub, 'publish s1 and s2');
  assert.match(pub.stdout, /^ {2}- s2\._domainkey\.example\.org\. IN TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnotthehostskey"$/m);
  assert.match(pub.stdout, /^ {2}\+ s2\._domainkey\.example\.org\. 60 IN TXT "v=DKIM1; h=sha256; k=rsa; /m);
  assert.deepEqual(dig('_fleetplan.example.org'), ['v=fleetplan1; dkim=s1 s2']);

  // Phase 2: the dry run shows the switch; the run makes it and records when.
  const check2 = await apply(inv2, '--check', '--diff');
  assertOk(check2, 'phase 2 dry run');
  assert.match(task(check2, gate)[0].reason ?? '', /s2\._domainkey\.example\.org resolves from 127\.0\.53\.\d+#5053 with the public key this host holds/);
  const signingDiff = task(check2, 'SigningTable')[0];
  assert.equal(signingDiff.status, 'changed');
  assert.match(signingDiff.diff[0].before, /^\*@example\.org s1\._domainkey\.example\.org$/m);
  assert.match(signingDiff.diff[0].after, /^\*@example\.org s2\._domainkey\.example\.org$/m);
  assert.doesNotMatch(signingDiff.diff[0].after, /s1\._domainkey/);
  assert.deepEqual(tasksWith(check2.json, host, 'changed'), ['KeyTable', 'SigningTable', 'DKIM switch recorded, the previous key\'s retirement clock (rotation)', 'handler:restart opendkim']);
  const apply2 = await apply(inv2);
  assertOk(apply2, 'phase 2');
  assert.deepEqual(tasksWith(apply2.json, host, 'changed'), tasksWith(check2.json, host, 'changed'));
  const switchedAt = Number(await sh(`cat ${KEYS}/s1.replaced-at`));
  assert.ok(Math.abs(switchedAt - Date.now() / 1000) < 120, `switch time recorded: ${switchedAt}`);
  assert.match(await sh(`stat -c '%U %a' ${KEYS}/s1.replaced-at ${KEYS}`), /^root 600\nroot 750\n$/);
  verdict = await signedWith('s2');
  assert.equal(verdict.pass, true, `s2: DKIM ${verdict.result} ${verdict.comment ?? ''}`);
  assert.equal(verdict.selector, 's2');
  const again2 = await apply(inv2);
  zeroChange(again2);
  assert.equal(task(again2, 'new DKIM record resolves from the DNS server (rotation)')[0].status, 'skipped', 'no probe once switched');

  // Phase 3: not before dkim_retire_after_days; then the old key leaves the disk, and its record the zone.
  assert.match(task(again2, retire)[0].reason, /not run: .* failed \(onlyif\)/);
  await sh(`echo $(( $(date +%s) - 8 * 86400 )) > ${KEYS}/s1.replaced-at`);
  const check3 = await apply(inv2, '--check', '--diff');
  assertOk(check3, 'phase 3 dry run');
  assert.deepEqual(tasksWith(check3.json, host, 'changed'), [retire]);
  assert.match(task(check3, retire)[0].commands.join('\n'), /rm -f -- \/etc\/opendkim\/keys\/example\.org\/s1\.private/);
  assert.match(await sh(`ls ${KEYS}`), /s1\.private/, 'the dry run removed nothing');
  assertOk(await apply(inv2), 'phase 3');
  assert.equal((await sh(`ls ${KEYS}`)).split('\n').filter(Boolean).sort().join(' '), 's2.private s2.txt');
  const check3dns = await publish(inv2, '--check');
  assertOk(check3dns, 'dns --check after retirement');
  assert.match(check3dns.stdout, /^ {2}- s1\._domainkey\.example\.org\. IN TXT "v=DKIM1; /m);
  assertOk(await publish(inv2), 'publish after retirement');
  assert.deepEqual(dig('s1._domainkey.example.org'), []);
  assert.deepEqual(dig('_fleetplan.example.org'), ['v=fleetplan1; dkim=s2']);
  zeroChange(await apply(inv2));
  verdict = await signedWith('s2 after retirement');
  assert.equal(verdict.pass, true, `s2: DKIM ${verdict.result}`);
  t.diagnostic(timings.join('; '));
});
