// The policy daemons consulted for real on Debian SysV and FreeBSD (postfix-policyd-spf-perl and
// OpenDMARC): the suite and what it proves are in policy-suite.ts; CentOS is policy-centos.test.ts.
import assert from 'node:assert/strict';
import { policySuite } from './policy-suite.js';

policySuite({
  os: ['debian-sysv', 'freebsd'],
  spfReject: /^550 5\.7\.1 <[^>]+>: Recipient address rejected: .*s=mfrom;id=someone%40bad\.example\.net;ip=192\.0\.2\.25/,
  spfPass: /^Received-SPF: pass \(good\.example\.net: 192\.0\.2\.25 is authorized/m,
  // Local delivery on FreeBSD needs /etc/mail/aliases.db, which no role builds yet (FreeBSD's own
  // rc.d/sendmail runs newaliases on its first start; mta_switch retires sendmail before that):
  // without it Postfix answers "451 4.3.0 Temporary lookup failure" for a local recipient.
  afterApply: async (fleet) => assert.equal((await fleet.exec('freebsd-1', 'newaliases')).code, 0),
});
