// The policy daemons consulted for real (seed 002's receiving side), one suite per set of
// personalities (policy.test.ts: Debian SysV + FreeBSD, postfix-policyd-spf-perl; policy-centos.test.ts:
// CentOS 6 + 7, EPEL's pypolicyd-spf): a relay set up by relay.yml to receive (inet_interfaces = all,
// spf_enabled, dmarc_enabled) gets messages from a test client over SMTP. The SPF policy daemon and
// OpenDMARC look the senders' records up in a real BIND9 inside the host's namespace (netns-dns.ts),
// so what is proven is their verdict on the wire, not their configuration text:
//   - SPF fail → Postfix rejects at RCPT (550, the daemon's explanation);
//   - SPF pass → delivered with the daemon's Received-SPF (pass) and OpenDMARC's dmarc=pass;
//   - DMARC fail (From: a p=reject domain the SPF-passing envelope does not align with) → delivered
//     with dmarc=fail (the role's default reports only), refused with opendmarc_reject_failures.
// The client is Python's smtplib from the controller, in the host's network namespace only, sending
// from 192.0.2.25 (TEST-NET-1), an address added to the host's own `lo`: outside mynetworks
// (127.0.0.0/8 would be permitted before any policy check).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet, type Personality } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { runProcess } from '../run-process.js';
import { fleetplan, repoRoot } from './cli.js';
import { startNetnsDns, type NetnsDns } from './netns-dns.js';
import { writeRelayInventory } from './relay-inventory.js';

const CLIENT = '192.0.2.25';
const rcpt = (host: string) => `root@${host}.example.org`;

const CLIENT_PY = `
import smtplib, sys
env_from, hdr_from, rcpt, subject = sys.argv[1:5]
msg = f"From: <{hdr_from}>\\r\\nTo: <{rcpt}>\\r\\nSubject: {subject}\\r\\nMessage-ID: <{subject}@client.example.net>\\r\\n\\r\\npolicy test\\r\\n"
s = smtplib.SMTP('${CLIENT}', 25, source_address=('${CLIENT}', 0), local_hostname='client.example.net', timeout=30)
try:
    s.sendmail(env_from, [rcpt], msg)
    print('250 accepted')
except smtplib.SMTPRecipientsRefused as e:
    code, text = e.recipients[rcpt]
    print(code, text.decode())
except smtplib.SMTPResponseException as e:
    print(e.smtp_code, e.smtp_error.decode())
s.quit()
`;

/**
 * Per host: a BIND9 in its namespace serving example.net — `good` (SPF passes for the client, DMARC
 * p=reject) and `bad` (SPF fails for it, DMARC p=reject) —, its resolv.conf pointed there and the
 * client's address added to its `lo`. The servers are pushed to `servers` as they start (the caller
 * stops them, also when a later one fails).
 */
async function policyNetwork(fleet: Fleet, out: string, servers: NetnsDns[]): Promise<void> {
  for (const h of fleet.hosts) {
    servers.push(await startNetnsDns({
      netnsPid: h.pid,
      dir: path.join(out, `dns-${h.name}`),
      zone: 'example.net',
      records: {
        good: `v=spf1 ip4:${CLIENT} -all`,
        '_dmarc.good': 'v=DMARC1; p=reject',
        bad: 'v=spf1 ip4:198.51.100.1 -all',
        '_dmarc.bad': 'v=DMARC1; p=reject',
      },
    }));
    const setup = await fleet.exec(h.name, `echo 'nameserver 127.0.0.1' > /etc/resolv.conf && ip addr add ${CLIENT}/32 dev lo`);
    assert.equal(setup.code, 0, setup.stderr);
  }
}

/** One message from the client to root@<host>.example.org: the server's answer ('250 accepted' or the refusal). */
async function send(fleet: Fleet, host: string, envFrom: string, headerFrom: string, subject: string): Promise<string> {
  const pid = String(fleet.hosts.find((h) => h.name === host)!.pid);
  const r = await runProcess('nsenter', ['-t', pid, '-n', '--', 'python3', '-c', CLIENT_PY, envFrom, headerFrom, rcpt(host), subject], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** The headers of the message with this subject in root's mailbox, once delivered ('' if not within `tries` × 250 ms). */
async function delivered(fleet: Fleet, host: string, subject: string, tries = 40): Promise<string> {
  for (let i = 0; i < tries; i++) {
    const r = await fleet.exec(host, `awk -v s='Subject: ${subject}' '/^From /{h=""} {h=h $0 "\\n"} $0==s{print h; exit}' /var/mail/root 2>/dev/null`);
    if (r.stdout.trim()) return r.stdout;
    await new Promise((res) => setTimeout(res, 250));
  }
  return '';
}

export interface PolicySuite {
  os: Personality[];
  /** The SPF policy daemon's refusal of someone@bad.example.net from the client, as the client reads it. */
  spfReject: RegExp;
  /** Its Received-SPF header for someone@good.example.net. */
  spfPass: RegExp;
}

/** What a test file adds to the suite's fleet (read once `before` has run). */
export interface PolicyFleet {
  fleet(): Fleet;
  inventory(): string;
  plan: string;
  skip: string | false;
}

/** One fleet of one host per personality, the relay plan applied with the policy daemons, and the three tests. */
export function policySuite(s: PolicySuite): PolicyFleet {
  const reason = unsupportedReason();
  const skip = reason ? skipOrFail(reason) : false;
  const out = skip ? '' : mkdtempSync('/tmp/fleetplan-policy-');
  const plan = path.join(repoRoot, 'plans', 'relay.yml');
  let fleet: Fleet;
  let hosts: string[] = [];
  const servers: NetnsDns[] = [];
  let inventory: string;

  before(async () => {
    if (skip) return;
    fleet = await up({ os: s.os, count: 1, out: path.join(out, 'fleet') });
    hosts = fleet.hosts.map((h) => h.name);
    await policyNetwork(fleet, out, servers);
    inventory = writeRelayInventory(fleet, path.join(out, 'inventory.yml'), {
      relayPassword: 'Policy-relay-Pa55word',
      extraVars: { spf_enabled: 'true', dmarc_enabled: 'true', postfix_inet_interfaces: 'all' },
    });
    const r = await fleetplan(['apply', plan, '-i', inventory]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
  after(async () => {
    if (!out) return;
    for (const d of servers) await d.stop().catch(() => undefined);
    await down(path.join(out, 'fleet')).catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  });

  test('SPF fail: the policy daemon has Postfix reject the message at RCPT', { skip }, async () => {
    for (const h of hosts) {
      const answer = await send(fleet, h, 'someone@bad.example.net', 'someone@bad.example.net', 'spf-fail');
      assert.match(answer, s.spfReject, h);
      assert.equal(await delivered(fleet, h, 'spf-fail', 1), '', `${h}: nothing delivered`);
    }
  });

  test('SPF pass: delivered with the daemon\'s Received-SPF and OpenDMARC\'s verdict dmarc=pass', { skip }, async () => {
    for (const h of hosts) {
      assert.equal(await send(fleet, h, 'someone@good.example.net', 'someone@good.example.net', 'spf-pass'), '250 accepted', h);
      const headers = await delivered(fleet, h, 'spf-pass');
      assert.match(headers, s.spfPass, h);
      assert.match(headers, new RegExp(`^Authentication-Results: ${h}; dmarc=pass \\(p=reject dis=none\\) header\\.from=good\\.example\\.net$`, 'm'), h);
    }
  });

  test('DMARC fail: reported by default, refused with opendmarc_reject_failures', { skip }, async () => {
    for (const h of hosts) {
      assert.equal(await send(fleet, h, 'someone@good.example.net', 'someone@bad.example.net', 'dmarc-fail'), '250 accepted', h);
      assert.match(await delivered(fleet, h, 'dmarc-fail'), new RegExp(`^Authentication-Results: ${h}; dmarc=fail \\(p=reject dis=none\\) header\\.from=bad\\.example\\.net$`, 'm'), h);
    }
    const r = await fleetplan(['apply', plan, '-i', inventory, '-e', 'opendmarc_reject_failures=true']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const h of hosts) {
      assert.equal(await send(fleet, h, 'someone@good.example.net', 'someone@bad.example.net', 'dmarc-reject'), '550 5.7.1 rejected by DMARC policy for bad.example.net', h);
      assert.equal(await delivered(fleet, h, 'dmarc-reject', 1), '', h);
    }
  });
  return { fleet: () => fleet, inventory: () => inventory, plan, skip };
}
