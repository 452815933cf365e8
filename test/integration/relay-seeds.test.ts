// Every step of the seed write-ups the relay roles take, on the personality each write-up used:
// check mode predicts the apply, the apply does what the write-up did by hand (read back with
// nsenter, and mail through a smarthost in the host's namespace where the step is about relaying),
// and a re-run changes nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, repoRoot, tasksWith, type CliResult } from './cli.js';
import { writeRelayInventory } from './relay-inventory.js';
import { startSmarthost, type Smarthost } from './smarthost.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-seeds-');
const plan = (name: string) => path.join(repoRoot, 'plans', name);
const PW = 'Seed-relay-Pa55word';

let fleet: Fleet;
let inventory: string;
const smarthosts = new Map<string, Smarthost>();

before(async () => {
  if (skip) return;
  fleet = await up({ os: ['centos6', 'debian-sysv', 'freebsd'], count: 1, out: path.join(out, 'fleet') });
  inventory = writeRelayInventory(fleet, path.join(out, 'inventory.yml'), { relayPassword: PW });
});
after(async () => {
  if (!out) return;
  for (const s of smarthosts.values()) await s.stop().catch(() => undefined);
  await down(path.join(out, 'fleet')).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

async function smarthost(host: string, users: Record<string, string> = { relayuser: PW }): Promise<Smarthost> {
  let s = smarthosts.get(host);
  if (!s) {
    const h = fleet.hosts.find((x) => x.name === host)!;
    s = await startSmarthost({ netnsPid: h.pid, users, dir: path.join(out, 'smarthost', host) });
    smarthosts.set(host, s);
  }
  return s;
}

/** Sends one message with the host's sendmail; what the smarthost received. */
async function sendThrough(host: string, to: string, subject: string, sh?: Smarthost) {
  sh ??= await smarthost(host);
  const before = (await sh.messages()).length;
  const r = await fleet.exec(host, `printf 'From: ops@example.org\\nTo: ${to}\\nSubject: ${subject}\\n\\nfrom ${host}\\n' | sendmail -f ops@example.org ${to}`);
  assert.equal(r.code, 0, `${host}: sendmail: ${r.stderr}`);
  try {
    return (await sh.waitForMessages(before + 1, 60_000))[before]!;
  } catch (err) {
    const q = await fleet.exec(host, 'mailq 2>&1 | tail -5; tail -20 /var/log/maillog 2>/dev/null');
    throw new Error(`${host}: no message reached the smarthost: ${(err as Error).message}\n${q.stdout}`);
  }
}

const failures = (r: CliResult) =>
  Object.entries(r.json?.hosts ?? {}).flatMap(([h, v]: [string, any]) => v.tasks.filter((t: any) => t.status === 'failed').map((t: any) => `${h}: ${t.name}: ${t.error}`));

/** check, apply, re-run on the given hosts: the dry run predicts the apply, the re-run changes nothing. */
async function checkApplyRerun(planFile: string, hosts: string[], extra: string[] = [], inv = inventory): Promise<{ check: CliResult; applied: CliResult }> {
  const args = ['apply', plan(planFile), '-i', inv, '--limit', hosts.join(','), ...extra, '--json'];
  const check = await fleetplan([...args, '--check']);
  assert.equal(check.code, 0, check.stderr + failures(check).join('\n'));
  const applied = await fleetplan(args);
  assert.equal(applied.code, 0, applied.stderr + failures(applied).join('\n'));
  const again = await fleetplan(args);
  assert.equal(again.code, 0, again.stderr + failures(again).join('\n'));
  for (const h of hosts) {
    assertPredicted(check.json, applied.json, h);
    assert.deepEqual(tasksWith(again.json, h, 'changed'), [], `${planFile} ${h}: re-run`);
  }
  return { check, applied };
}

test('seed 000 (CentOS 6): smtp_tls_loglevel = 1, the password map named smtp-auth-passwd, plaintext deleted', { skip }, async () => {
  await checkApplyRerun('relay-centos.yml', ['c6-1'], ['-e', 'postfix_sasl_password_file=smtp-auth-passwd']);
  const st = await fleet.exec(
    'c6-1',
    'ls /etc/postfix | grep -c passwd; stat -c %a /etc/postfix/smtp-auth-passwd.db; postconf -h smtp_tls_loglevel smtp_sasl_password_maps smtp_sasl_mechanism_filter',
  );
  assert.equal(st.stdout, '1\n600\n1\nhash:/etc/postfix/smtp-auth-passwd\nplain\n', st.stderr);
  const m = await sendThrough('c6-1', 'someone@example.net', 'seed 000');
  assert.deepEqual([m.user, m.secure], ['relayuser', true]);
});
