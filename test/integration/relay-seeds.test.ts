// Every step of the seed write-ups the relay roles take, on the personality each write-up used:
// check mode predicts the apply, the apply does what the write-up did by hand (read back with
// nsenter, and mail through a smarthost in the host's namespace where the step is about relaying),
// and a re-run changes nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, repoRoot, tasksWith, type CliResult } from './cli.js';
import { parseZoneTxt, verifyDkim } from './dkim.js';
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

/**
 * The dry run without the handlers the real run skipped because a task restarted the service after
 * the change that notified them — when the dry run could not plan that restart (it was deferred: it
 * reads what an earlier task would change), it cannot know the handler will be superseded either.
 */
function withoutSuperseded(check: any, applied: any, host: string): any {
  const deferredStart = (check.hosts[host]?.tasks ?? []).some((t: any) => t.operation === 'service' && !t.handler && /^deferred: /.test(t.reason ?? ''));
  if (!deferredStart) return check;
  const superseded = new Set(applied.hosts[host].tasks.filter((t: any) => t.handler && /\(re\)started it after the change/.test(t.reason ?? '')).map((t: any) => t.name));
  const tasks = check.hosts[host].tasks.filter((t: any) => !(t.handler && superseded.has(t.name)));
  return { ...check, hosts: { ...check.hosts, [host]: { ...check.hosts[host], tasks } } };
}

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
    assertPredicted(withoutSuperseded(check.json, applied.json, h), applied.json, h);
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

test('seeds 001/004 (Debian): a fresh host — package indexes refreshed, Postfix installed with "No configuration", main.cf from the sample', { skip }, async () => {
  // A fresh host whose operator answered "No configuration": Postfix's package writes no main.cf.
  const fresh = await fleet.exec(
    'deb-sysv-1',
    'apt-get purge -y -q postfix >/dev/null && echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections && rm -f /var/lib/apt/periodic/update-success-stamp && test ! -e /etc/postfix/main.cf && echo fresh',
  );
  assert.equal(fresh.stdout, 'fresh\n', fresh.stderr);
  const { check, applied } = await checkApplyRerun('relay.yml', ['deb-sysv-1']);
  const task = (json: any, name: string) => json.hosts['deb-sysv-1'].tasks.find((t: any) => t.name === name);
  assert.equal(task(check.json, 'package indexes fresh before Postfix is installed').status, 'changed');
  // Whether the package writes a main.cf is known only after the install: the dry run says so.
  assert.match(task(check.json, "main.cf from the distribution's sample (Postfix installed without one)").reason, /^deferred: depends on 'main\.cf written by the Postfix package\?/);
  assert.equal(task(applied.json, "main.cf from the distribution's sample (Postfix installed without one)").status, 'changed');
  const st = await fleet.exec(
    'deb-sysv-1',
    'test -e /var/lib/apt/periodic/update-success-stamp && echo stamp; grep -v "^#" /usr/share/postfix/main.cf.debian | grep . | grep -cvxFf /etc/postfix/main.cf; postconf -h relayhost; postfix status 2>/dev/null && echo runs',
  );
  // The sample's settings (banner, biff, compatibility_level, ...) are all in main.cf: none missing.
  assert.equal(st.stdout, 'stamp\n0\n[127.0.0.1]:2525\nruns\n', `${st.stdout}${st.stderr}`);
  const m = await sendThrough('deb-sysv-1', 'someone@example.net', 'seed 001');
  assert.deepEqual([m.user, m.secure], ['relayuser', true]);

  // Postfix installed, main.cf gone (as "No configuration" leaves it): no probe, the dry run knows.
  await fleet.exec('deb-sysv-1', 'rm /etc/postfix/main.cf');
  const again = await checkApplyRerun('relay.yml', ['deb-sysv-1']);
  assert.equal(task(again.check.json, 'main.cf written by the Postfix package? (probe after the install)').status, 'skipped');
  assert.equal(task(again.check.json, "main.cf from the distribution's sample (Postfix installed without one)").reason, 'guard lets it run: /etc/postfix/main.cf is missing');
  assert.equal(task(again.check.json, 'package indexes fresh before Postfix is installed').status, 'skipped');
});

test('seed 002 (FreeBSD): the operator\'s restrictions kept, the write-up\'s opendkim/opendmarc settings and policy line, its hand-made key adopted', { skip }, async () => {
  // What the write-up's operator had before: Postfix with restrictions of their own, and a DKIM key
  // made by hand in /var/db/dkim (opendkim-genkey -D /var/db/dkim -d <domain> -s <selector>).
  const before = await fleet.exec(
    'freebsd-1',
    [
      'pkg install -y -q postfix opendkim >/dev/null',
      "printf 'smtpd_recipient_restrictions =\\n        permit_mynetworks,\\n        reject_unauth_destination,\\n        reject_non_fqdn_recipient\\n' >> /usr/local/etc/postfix/main.cf",
      'mkdir -p /var/db/dkim && chown mailnull:mailnull /var/db/dkim',
      'opendkim-genkey -D /var/db/dkim -d example.org -s freebsd-1',
      'sha256sum < /var/db/dkim/freebsd-1.private',
    ].join(' && '),
  );
  assert.equal(before.code, 0, before.stderr);
  const vars = path.join(out, 'keep-restrictions.yml');
  writeFileSync(vars, 'postfix_keep_recipient_restrictions: true\n');
  await checkApplyRerun('relay-freebsd.yml', ['freebsd-1'], ['-e', `@${vars}`]);
  const st = await fleet.exec(
    'freebsd-1',
    [
      'postconf -h smtpd_recipient_restrictions',
      'sha256sum < /var/db/dkim/example.org/freebsd-1.private',
      'grep -A1 "^policy" /usr/local/etc/postfix/master.cf',
      "grep -E '^(AutoRestart|MultipleSignatures|ReportAddress|SendReports|SubDomains) ' /usr/local/etc/mail/opendkim.conf",
      "grep -E '^(BaseDirectory|FailureReports|IgnoreMailFrom|RequiredHeaders|SPFSelfValidate|UserID) ' /usr/local/etc/mail/opendmarc.conf",
    ].join('; '),
  );
  assert.equal(
    st.stdout,
    [
      'permit_mynetworks, reject_unauth_destination, check_client_access cidr:/usr/local/etc/postfix/spf_policy_skip.cidr, check_policy_service unix:private/policy, reject_non_fqdn_recipient',
      before.stdout.trim(),
      'policy    unix  -       n       n       -       -       spawn',
      '  user=nobody argv=/usr/local/bin/perl /usr/local/libexec/postfix-policyd-spf-perl',
      'AutoRestart yes',
      'MultipleSignatures yes',
      'ReportAddress "DKIM Error Postmaster" <postmaster@example.org>',
      'SendReports yes',
      'SubDomains yes',
      'BaseDirectory /var/run/opendmarc',
      'FailureReports true',
      'IgnoreMailFrom example.org',
      'RequiredHeaders false',
      'SPFSelfValidate true',
      'UserID mailnull:mailnull',
      '',
    ].join('\n'),
    st.stderr,
  );
  // The adopted key signs, and it is the one the operator published: fleetplan dns prints it.
  const dns = await fleetplan(['dns', plan('relay-freebsd.yml'), '-i', inventory, '--limit', 'freebsd-1']);
  assert.equal(dns.code, 0, dns.stderr);
  const handMade = await fleet.exec('freebsd-1', 'cat /var/db/dkim/freebsd-1.txt');
  const zone = parseZoneTxt(dns.stdout);
  assert.match(zone['freebsd-1._domainkey.example.org'] ?? '', /p=MII/);
  assert.equal(zone['freebsd-1._domainkey.example.org'], parseZoneTxt(handMade.stdout, 'example.org')['freebsd-1._domainkey.example.org']);
  const m = await sendThrough('freebsd-1', 'someone@example.net', 'seed 002');
  const dkim = await verifyDkim(Buffer.from(m.raw, 'base64'), zone);
  assert.equal(dkim.pass, true, `${dkim.result} ${dkim.comment ?? ''}`);
});

test('seed 003 (CentOS): a different SASL account per next hop, relayhost with and without MX lookup, smtp_tls_CAfile of the OS', { skip }, async () => {
  const net = await startSmarthost({ netnsPid: fleet.hosts.find((h) => h.name === 'c6-1')!.pid, port: 2526, users: { netuser: 'Net-relay-Pa55word' }, dir: path.join(out, 'smarthost', 'c6-1-net') });
  smarthosts.set('c6-1-net', net);
  const vars = path.join(out, 'seed-003.yml');
  writeFileSync(
    vars,
    'relay_transports:\n  - { domain: example.net, transport: "smtp:[127.0.0.1]:2526", user: netuser, password: !secret "Net-relay-Pa55word" }\n',
  );
  const { check } = await checkApplyRerun('relay-centos.yml', ['c6-1'], ['-e', `@${vars}`]);
  assert.ok(!JSON.stringify(check.json).includes('Net-relay-Pa55word'), 'the next hop password is never printed');
  const st = await fleet.exec('c6-1', 'postmap -q "[127.0.0.1]:2526" hash:/etc/postfix/sasl_passwd; postmap -q "[127.0.0.1]:2525" hash:/etc/postfix/sasl_passwd; postconf -h relayhost transport_maps smtp_tls_CAfile; test -s /etc/pki/tls/certs/ca-bundle.crt && echo ca-bundle');
  assert.equal(st.stdout, `netuser:Net-relay-Pa55word\nrelayuser:${PW}\n[127.0.0.1]:2525\nhash:/etc/postfix/transport\n/etc/pki/tls/certs/ca-bundle.crt\nca-bundle\n`, st.stderr);
  const viaNet = await sendThrough('c6-1', 'someone@example.net', 'seed 003, per next hop', net);
  assert.deepEqual([viaNet.user, viaNet.secure], ['netuser', true]);
  const viaDefault = await sendThrough('c6-1', 'someone@example.com', 'seed 003, the smarthost');
  assert.equal(viaDefault.user, 'relayuser');

  // relayhost without brackets (relay_mx_lookup: true): MX lookups; the SASL key follows it exactly.
  // The fleet has no DNS: the name resolves from /etc/hosts with DNS lookups off.
  await fleet.exec('c6-1', 'echo "127.0.0.1 smarthost.test" >> /etc/hosts');
  const mx = path.join(out, 'seed-003-mx.yml');
  writeFileSync(mx, 'relay_host: smarthost.test\nrelay_mx_lookup: true\npostfix_extra_params: { smtp_use_tls: "yes", disable_dns_lookups: "yes" }\n');
  await checkApplyRerun('relay-centos.yml', ['c6-1'], ['-e', `@${mx}`]);
  const st2 = await fleet.exec('c6-1', 'postconf -h relayhost; postmap -q smarthost.test:2525 hash:/etc/postfix/sasl_passwd');
  assert.equal(st2.stdout, `smarthost.test:2525\nrelayuser:${PW}\n`, st2.stderr);
  const m = await sendThrough('c6-1', 'someone@example.com', 'seed 003, MX lookup');
  assert.equal(m.user, 'relayuser');
});

// The test fleet's CentOS 6 runs Debian's Postfix 3.7 binaries; a postconf wrapper earlier on the
// PATH reports mail_version 2.6.6 (the version of CentOS 6's package) and passes everything else on.
const OLD_POSTCONF = `#!/bin/sh
# Test fleet: this host emulates Postfix 2.6.6 (CentOS 6): postconf reports that mail_version.
for a in "$@"; do [ "$a" = mail_version ] && { case " $* " in *" -h "*|*" -dh "*|*" -hd "*) echo 2.6.6 ;; *) echo "mail_version = 2.6.6" ;; esac; exit 0; }; done
exec /usr/sbin/postconf "$@"
`;

test('Postfix version (CentOS 6, Postfix 2.6.6): compatibility_level chosen per version, unknown parameters refused before any change', { skip }, async () => {
  const put = await fleet.exec('c6-1', `cat > /usr/local/sbin/postconf <<'END'\n${OLD_POSTCONF}END\nchmod 755 /usr/local/sbin/postconf`);
  assert.equal(put.code, 0, put.stderr);
  try {
    const facts = await fleetplan(['facts', '-i', inventory, '--limit', 'c6-1', '--json']);
    assert.equal(JSON.parse(facts.stdout)['c6-1'].postfix_version, '2.6.6', facts.stderr);
    const state = 'md5sum /etc/postfix/main.cf /etc/postfix/master.cf; ls /etc/postfix; chkconfig --list sendmail; rpm -qa | sort | md5sum';
    const before = await fleet.exec('c6-1', state);
    const refused = async (extra: object, task: string, why: RegExp) => {
      const r = await fleetplan(['apply', plan('relay-centos.yml'), '-i', inventory, '--limit', 'c6-1', '-e', JSON.stringify(extra), '--json']);
      assert.equal(r.code, 2, r.stderr);
      assert.deepEqual(r.json.hosts['c6-1'].tasks, [], 'no task ran');
      assert.ok(r.json.hosts['c6-1'].error.includes(`host c6-1, task '${task}'`), r.json.hosts['c6-1'].error);
      assert.match(r.json.hosts['c6-1'].error, why);
      assert.equal((await fleet.exec('c6-1', state)).stdout, before.stdout, 'nothing changed on the host');
    };
    await refused({ postfix_extra_params: { smtpd_relay_restrictions: 'permit_mynetworks, reject_unauth_destination' } }, 'main.cf extra parameters', /Postfix is 2\.6\.6: parameter 'smtpd_relay_restrictions' exists since Postfix 2\.10/);
    await refused({ postfix_mode: 'template', postfix_compatibility_level: '3.6' }, "main.cf from the role's template", /parameter 'compatibility_level' exists since Postfix 3\.0/);

    // Template mode with the role's choice: no compatibility_level before Postfix 3.0.
    await checkApplyRerun('relay-centos.yml', ['c6-1'], ['-e', JSON.stringify({ postfix_mode: 'template' })]);
    const st = await fleet.exec('c6-1', 'grep -c "^compatibility_level" /etc/postfix/main.cf; head -n 1 /etc/postfix/main.cf');
    assert.equal(st.stdout, '0\n# Managed by fleetplan (postfix_relay role, template mode). Local edits are overwritten;\n', st.stderr);
    const m = await sendThrough('c6-1', 'someone@example.com', 'Postfix 2.6.6, template mode');
    assert.equal(m.user, 'relayuser');
  } finally {
    await fleet.exec('c6-1', 'rm -f /usr/local/sbin/postconf');
  }
});

test('EPEL (CentOS 6): relay.yml adds the repository before installing opendkim, opendmarc and the SPF daemon from it', { skip }, async () => {
  // A local copy of EPEL: the personality's milter packages moved out of its base repository.
  const split = await fleet.exec(
    'c6-1',
    [
      'mkdir -p /srv/epel',
      'mv /srv/rpm-repo/opendkim-* /srv/rpm-repo/opendmarc-* /srv/rpm-repo/pypolicyd-spf-* /srv/rpm-repo/python-py* /srv/rpm-repo/python-authres-* /srv/epel/',
      'createrepo_c -q /srv/epel && createrepo_c -q --update /srv/rpm-repo && yum -q clean all >/dev/null',
      'yum -y install opendkim >/dev/null 2>&1 || echo "no opendkim without EPEL"',
    ].join(' && '),
  );
  assert.equal(split.stdout, 'no opendkim without EPEL\n', split.stderr);
  const vars = { epel_enabled: true, epel_baseurl: 'file:///srv/epel', epel_gpgcheck: false, dmarc_enabled: true, spf_enabled: true };
  const { check, applied } = await checkApplyRerun('relay.yml', ['c6-1'], ['-e', JSON.stringify(vars)]);
  const order = (json: any) => json.hosts['c6-1'].tasks.filter((t: any) => t.status === 'changed').map((t: any) => t.name);
  for (const json of [check.json, applied.json]) {
    const o = order(json);
    const repo = o.indexOf('EPEL repository (from a mirror or a local copy)');
    assert.ok(repo >= 0 && repo < o.indexOf('opendkim packages') && repo < o.indexOf('opendmarc package') && repo < o.indexOf('SPF policy daemon'), JSON.stringify(o));
  }
  const st = await fleet.exec('c6-1', 'cat /etc/yum.repos.d/epel.repo; rpm -q --qf "%{NAME}\\n" opendkim opendmarc pypolicyd-spf');
  assert.equal(st.stdout, '[epel]\nname=Extra Packages for Enterprise Linux 6 - $basearch\nbaseurl=file:///srv/epel\nenabled=1\ngpgcheck=0\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-EPEL-6\nopendkim\nopendmarc\npypolicyd-spf\n', st.stderr);
});
