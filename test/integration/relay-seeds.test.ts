// Every step of the seed write-ups the relay roles take, on the personality each write-up used:
// check mode predicts the apply, the apply does what the write-up did by hand (read back with
// nsenter, and mail through a smarthost in the host's namespace where the step is about relaying),
// and a re-run changes nothing. Here the Debian (seeds 001/004) and FreeBSD (seed 002) steps; the
// CentOS ones (seeds 000, 003) are relay-seeds-centos.test.ts, Postfix version and EPEL
// relay-seeds-el6.test.ts. Shared: seed-steps.ts.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fleetplan } from './cli.js';
import { parseZoneTxt, verifyDkim } from './dkim.js';
import { plan, seedFleet } from './seed-steps.js';

const seeds = seedFleet(['debian-sysv', 'freebsd']);

test('seeds 001/004 (Debian): a fresh host — package indexes refreshed, Postfix installed with "No configuration", main.cf from the sample', { skip: seeds.skip }, async () => {
  // A fresh host whose operator answered "No configuration": Postfix's package writes no main.cf.
  const fresh = await seeds.fleet().exec(
    'deb-sysv-1',
    'apt-get purge -y -q postfix >/dev/null && echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections && rm -f /var/lib/apt/periodic/update-success-stamp && test ! -e /etc/postfix/main.cf && echo fresh',
  );
  assert.equal(fresh.stdout, 'fresh\n', fresh.stderr);
  const { check, applied } = await seeds.checkApplyRerun('relay.yml', ['deb-sysv-1']);
  const task = (json: any, name: string) => json.hosts['deb-sysv-1'].tasks.find((t: any) => t.name === name);
  assert.equal(task(check.json, 'package indexes fresh before Postfix is installed').status, 'changed');
  // Whether the package writes a main.cf is known only after the install: the dry run says so.
  assert.match(task(check.json, "main.cf from the distribution's sample (Postfix installed without one)").reason, /^deferred: depends on 'main\.cf written by the Postfix package\?/);
  assert.equal(task(applied.json, "main.cf from the distribution's sample (Postfix installed without one)").status, 'changed');
  const st = await seeds.fleet().exec(
    'deb-sysv-1',
    'test -e /var/lib/apt/periodic/update-success-stamp && echo stamp; grep -v "^#" /usr/share/postfix/main.cf.debian | grep . | grep -cvxFf /etc/postfix/main.cf; postconf -h relayhost; postfix status 2>/dev/null && echo runs',
  );
  // The sample's settings (banner, biff, compatibility_level, ...) are all in main.cf: none missing.
  assert.equal(st.stdout, 'stamp\n0\n[127.0.0.1]:2525\nruns\n', `${st.stdout}${st.stderr}`);
  const m = await seeds.sendThrough('deb-sysv-1', 'someone@example.net', 'seed 001');
  assert.deepEqual([m.user, m.secure], ['relayuser', true]);

  // Postfix installed, main.cf gone (as "No configuration" leaves it): no probe, the dry run knows.
  await seeds.fleet().exec('deb-sysv-1', 'rm /etc/postfix/main.cf');
  const again = await seeds.checkApplyRerun('relay.yml', ['deb-sysv-1']);
  assert.equal(task(again.check.json, 'main.cf written by the Postfix package? (probe after the install)').status, 'skipped');
  assert.equal(task(again.check.json, "main.cf from the distribution's sample (Postfix installed without one)").reason, 'guard lets it run: /etc/postfix/main.cf is missing');
  assert.equal(task(again.check.json, 'package indexes fresh before Postfix is installed').status, 'skipped');
});

test('seed 002 (FreeBSD): the operator\'s restrictions kept, the write-up\'s opendkim/opendmarc settings and policy line, its hand-made key adopted', { skip: seeds.skip }, async () => {
  // What the write-up's operator had before: Postfix with restrictions of their own, and a DKIM key
  // made by hand in /var/db/dkim (opendkim-genkey -D /var/db/dkim -d <domain> -s <selector>).
  const before = await seeds.fleet().exec(
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
  const vars = path.join(seeds.out, 'keep-restrictions.yml');
  writeFileSync(vars, 'postfix_keep_recipient_restrictions: true\n');
  await seeds.checkApplyRerun('relay-freebsd.yml', ['freebsd-1'], ['-e', `@${vars}`]);
  const st = await seeds.fleet().exec(
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
  const dns = await fleetplan(['dns', plan('relay-freebsd.yml'), '-i', seeds.inventory(), '--limit', 'freebsd-1']);
  assert.equal(dns.code, 0, dns.stderr);
  const handMade = await seeds.fleet().exec('freebsd-1', 'cat /var/db/dkim/freebsd-1.txt');
  const zone = parseZoneTxt(dns.stdout);
  assert.match(zone['freebsd-1._domainkey.example.org'] ?? '', /p=MII/);
  assert.equal(zone['freebsd-1._domainkey.example.org'], parseZoneTxt(handMade.stdout, 'example.org')['freebsd-1._domainkey.example.org']);
  const m = await seeds.sendThrough('freebsd-1', 'someone@example.net', 'seed 002');
  const dkim = await verifyDkim(Buffer.from(m.raw, 'base64'), zone);
  assert.equal(dkim.pass, true, `${dkim.result} ${dkim.comment ?? ''}`);
});
