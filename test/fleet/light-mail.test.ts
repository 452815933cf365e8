// The fleet's light mail mode (scale runs of the relay plan): master.cf's unconditional wake-ups made
// conditional, and on a real host the relay plan still reads and checks a real Postfix — a no-change
// re-run finds nothing to change, the idle pickup and qmgr are not running, and a message sent with
// the host's sendmail starts them and reaches the smarthost.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fleetplan, repoRoot } from '../integration/cli.js';
import { writeRelayInventory } from '../integration/relay-inventory.js';
import { startSmarthost, type Smarthost } from '../integration/smarthost.js';
import { down, up, type Fleet } from './fleet.js';
import { lightMasterCf } from './light-mail.js';
import { skipOrFail, unsupportedReason } from './prereqs.js';

const DEBIAN_MASTER_CF = `# comment: pickup    unix  n       -       y       60      1       pickup
smtp      inet  n       -       y       -       -       smtpd
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       y       1000?   1       tlsmgr
relay     unix  -       -       y       -       -       smtp
        -o syslog_name=postfix/$service_name
never     unix  -       -       y       0       1       showq
`;

test('light master.cf: unconditional wake-ups become conditional, nothing else changes', () => {
  const light = lightMasterCf(DEBIAN_MASTER_CF);
  const lines = light.split('\n');
  assert.equal(lines[2], 'pickup    unix  n       -       y       60?      1       pickup');
  assert.equal(lines[4], 'qmgr      unix  n       -       n       300?     1       qmgr');
  // Comments, services without a wake-up, already conditional ones, `0` and continuation lines are kept.
  for (const i of [0, 1, 3, 5, 6, 7, 8]) assert.equal(lines[i], DEBIAN_MASTER_CF.split('\n')[i], `line ${i + 1}`);
  assert.equal(lightMasterCf(light), light, 'applying it twice changes nothing more');
});

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-light-mail-');
const PW = 'Light-relay-Pa55word';
let fleet: Fleet;
let smarthost: Smarthost | undefined;

before(async () => {
  if (skip) return;
  fleet = await up({ os: 'debian-sysv', count: 1, out: path.join(out, 'fleet'), sshd: 'light', mail: 'light' });
});
after(async () => {
  if (!out) return;
  await smarthost?.stop().catch(() => undefined);
  await down(path.join(out, 'fleet')).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

const procs = async (host: string) => (await fleet.exec(host, 'ps -eo comm=')).stdout.split('\n').map((s) => s.trim()).filter(Boolean);

test('light mail host: the relay plan applies, re-runs with no change, and relays', { skip }, async () => {
  const host = fleet.hosts[0]!.name;
  const inv = writeRelayInventory(fleet, path.join(out, 'inventory.yml'), { relayPassword: PW });
  const apply = (extra: string[] = []) => fleetplan(['apply', path.join(repoRoot, 'plans/relay.yml'), '-i', inv, '--json', ...extra]);

  const first = await apply();
  assert.equal(first.code, 0, first.stderr);
  assert.ok(first.json.hosts[host].tasks.some((t: any) => t.status === 'changed'), 'the first apply changes the fresh host');
  const running = await procs(host);
  assert.ok(running.includes('master') && running.includes('opendkim'), `master and opendkim run: ${running.join(' ')}`);
  assert.ok(!running.includes('pickup') && !running.includes('qmgr'), `pickup and qmgr wait for mail: ${running.join(' ')}`);
  assert.equal((await fleet.exec(host, 'postfix status')).code, 0);

  // The state read and the closing checks ran against the real daemons: nothing to change.
  const again = await apply();
  assert.equal(again.code, 0, again.stderr);
  const changed = again.json.hosts[host].tasks.filter((t: any) => t.status === 'changed').map((t: any) => t.name);
  assert.deepEqual(changed, [], 'the re-run changes nothing');
  const check = await apply(['--check']);
  assert.equal(check.code, 0, check.stderr);
  assert.deepEqual(check.json.hosts[host].tasks.filter((t: any) => t.status === 'changed'), [], 'the dry run predicts nothing');

  // Mail starts the idle daemons on first use and is relayed.
  smarthost = await startSmarthost({ netnsPid: fleet.hosts[0]!.pid, users: { relayuser: PW }, dir: path.join(out, 'smarthost') });
  const msg = 'From: ops@example.org\nTo: someone@example.net\nSubject: light\n\nrelayed by a light host\n';
  const sent = await fleet.exec(host, `printf '%s' '${msg}' | sendmail -f ops@example.org someone@example.net`);
  assert.equal(sent.code, 0, sent.stderr);
  const got = await smarthost.waitForMessages(1, 60_000).catch(async (e: Error) => {
    const q = await fleet.exec(host, 'mailq 2>&1 | tail -5');
    throw new Error(`${e.message}\n${q.stdout}`);
  });
  assert.match(Buffer.from(got[0]!.raw, 'base64').toString(), /relayed by a light host/);
  const after = await procs(host);
  assert.ok(after.includes('pickup') && after.includes('qmgr'), `pickup and qmgr started on first use: ${after.join(' ')}`);
});
