// CentOS 6 seed steps of the issue's own: Postfix version awareness (the host reports Postfix 2.6.6)
// and EPEL added before the milters are installed from it (the other seeds: relay-seeds.test.ts,
// relay-seeds-centos.test.ts; shared: seed-steps.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fleetplan } from './cli.js';
import { plan, seedFleet } from './seed-steps.js';

const seeds = seedFleet(['centos6']);

// The test fleet's CentOS 6 runs Debian's Postfix 3.7 binaries; a postconf wrapper earlier on the
// PATH reports mail_version 2.6.6 (the version of CentOS 6's package) and passes everything else on.
const OLD_POSTCONF = `#!/bin/sh
# Test fleet: this host emulates Postfix 2.6.6 (CentOS 6): postconf reports that mail_version.
for a in "$@"; do [ "$a" = mail_version ] && { case " $* " in *" -h "*|*" -dh "*|*" -hd "*) echo 2.6.6 ;; *) echo "mail_version = 2.6.6" ;; esac; exit 0; }; done
exec /usr/sbin/postconf "$@"
`;

test('Postfix version (CentOS 6, Postfix 2.6.6): compatibility_level chosen per version, unknown parameters refused before any change', { skip: seeds.skip }, async () => {
  const put = await seeds.fleet().exec('c6-1', `cat > /usr/local/sbin/postconf <<'END'\n${OLD_POSTCONF}END\nchmod 755 /usr/local/sbin/postconf`);
  assert.equal(put.code, 0, put.stderr);
  try {
    const facts = await fleetplan(['facts', '-i', seeds.inventory(), '--limit', 'c6-1', '--json']);
    assert.equal(JSON.parse(facts.stdout)['c6-1'].postfix_version, '2.6.6', facts.stderr);
    const state = 'md5sum /etc/postfix/main.cf /etc/postfix/master.cf; ls /etc/postfix; chkconfig --list sendmail; rpm -qa | sort | md5sum';
    const before = await seeds.fleet().exec('c6-1', state);
    const refused = async (extra: object, task: string, why: RegExp) => {
      const r = await fleetplan(['apply', plan('relay-centos.yml'), '-i', seeds.inventory(), '--limit', 'c6-1', '-e', JSON.stringify(extra), '--json']);
      assert.equal(r.code, 2, r.stderr);
      assert.deepEqual(r.json.hosts['c6-1'].tasks, [], 'no task ran');
      assert.ok(r.json.hosts['c6-1'].error.includes(`host c6-1, task '${task}'`), r.json.hosts['c6-1'].error);
      assert.match(r.json.hosts['c6-1'].error, why);
      assert.equal((await seeds.fleet().exec('c6-1', state)).stdout, before.stdout, 'nothing changed on the host');
    };
    await refused({ postfix_extra_params: { smtpd_relay_restrictions: 'permit_mynetworks, reject_unauth_destination' } }, 'main.cf extra parameters', /Postfix is 2\.6\.6: parameter 'smtpd_relay_restrictions' exists since Postfix 2\.10/);
    await refused({ postfix_mode: 'template', postfix_compatibility_level: '3.6' }, "main.cf from the role's template", /parameter 'compatibility_level' exists since Postfix 3\.0/);

    // Template mode with the role's choice: no compatibility_level before Postfix 3.0.
    await seeds.checkApplyRerun('relay-centos.yml', ['c6-1'], ['-e', JSON.stringify({ postfix_mode: 'template' })]);
    const st = await seeds.fleet().exec('c6-1', 'grep -c "^compatibility_level" /etc/postfix/main.cf; head -n 1 /etc/postfix/main.cf');
    assert.equal(st.stdout, '0\n# Managed by fleetplan (postfix_relay role, template mode). Local edits are overwritten;\n', st.stderr);
    const m = await seeds.sendThrough('c6-1', 'someone@example.com', 'Postfix 2.6.6, template mode');
    assert.equal(m.user, 'relayuser');
  } finally {
    await seeds.fleet().exec('c6-1', 'rm -f /usr/local/sbin/postconf');
  }
});

test('EPEL (CentOS 6): relay.yml adds the repository before installing opendkim, opendmarc and the SPF daemon from it', { skip: seeds.skip }, async () => {
  // A local copy of EPEL: the personality's milter packages moved out of its base repository.
  const split = await seeds.fleet().exec(
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
  const { check, applied } = await seeds.checkApplyRerun('relay.yml', ['c6-1'], ['-e', JSON.stringify(vars)]);
  const order = (json: any) => json.hosts['c6-1'].tasks.filter((t: any) => t.status === 'changed').map((t: any) => t.name);
  for (const json of [check.json, applied.json]) {
    const o = order(json);
    const repo = o.indexOf('EPEL repository (from a mirror or a local copy)');
    assert.ok(repo >= 0 && repo < o.indexOf('opendkim packages') && repo < o.indexOf('opendmarc package') && repo < o.indexOf('SPF policy daemon'), JSON.stringify(o));
  }
  const st = await seeds.fleet().exec('c6-1', 'cat /etc/yum.repos.d/epel.repo; rpm -q --qf "%{NAME}\\n" opendkim opendmarc pypolicyd-spf');
  assert.equal(st.stdout, '[epel]\nname=Extra Packages for Enterprise Linux 6 - $basearch\nbaseurl=file:///srv/epel\nenabled=1\ngpgcheck=0\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-EPEL-6\nopendkim\nopendmarc\npypolicyd-spf\n', st.stderr);
});
