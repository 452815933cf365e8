// The policy daemons consulted for real on Debian SysV and FreeBSD (postfix-policyd-spf-perl and
// OpenDMARC): the suite and what it proves are in policy-suite.ts; CentOS is policy-centos.test.ts.
// Local delivery on FreeBSD needs /etc/mail/aliases.db, which postfix_relay builds (the suite's
// messages to root@ reach the mailbox only then); its rebuild is tested here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fleetplan } from './cli.js';
import { policySuite } from './policy-suite.js';

const suite = policySuite({
  os: ['debian-sysv', 'freebsd'],
  spfReject: /^550 5\.7\.1 <[^>]+>: Recipient address rejected: .*s=mfrom;id=someone%40bad\.example\.net;ip=192\.0\.2\.25/,
  spfPass: /^Received-SPF: pass \(good\.example\.net: 192\.0\.2\.25 is authorized/m,
});

const ALIASES = 'alias database built from the alias file (postalias)';

test('FreeBSD aliases: /etc/mail/aliases.db built by the role, rebuilt only when /etc/mail/aliases is newer', { skip: suite.skip }, async () => {
  const fleet = suite.fleet();
  const apply = async (...extra: string[]) => {
    const r = await fleetplan(['apply', suite.plan, '-i', suite.inventory(), '--limit', 'freebsd-1', '--json', ...extra]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    return r.json.hosts['freebsd-1'].tasks.find((t: any) => t.name === ALIASES);
  };
  const built = await fleet.exec('freebsd-1', 'postalias -q postmaster hash:/etc/mail/aliases; stat -c %Y /etc/mail/aliases.db');
  assert.equal(built.stdout.split('\n')[0], 'root', built.stderr);
  assert.equal((await apply('--check')).status, 'ok', 'up to date: the dry run plans no rebuild');
  assert.equal((await apply()).status, 'ok', 'up to date: no rebuild');
  assert.equal((await fleet.exec('freebsd-1', 'stat -c %Y /etc/mail/aliases.db')).stdout, built.stdout.split('\n')[1] + '\n', 'db untouched');

  // The operator adds an alias (the file is now newer than its database): the next run rebuilds it.
  // The database is set back in time rather than the file forward: a file dated in the future would
  // stay newer than the database rebuilt from it until that time came.
  const edit = await fleet.exec('freebsd-1', "echo 'fleettest: root' >> /etc/mail/aliases && touch -d '-10 seconds' /etc/mail/aliases.db");
  assert.equal(edit.code, 0, edit.stderr);
  assert.equal((await apply('--check')).status, 'changed');
  assert.equal((await apply()).status, 'changed');
  assert.equal((await fleet.exec('freebsd-1', 'postalias -q fleettest hash:/etc/mail/aliases')).stdout, 'root\n');
  assert.equal((await apply()).status, 'ok', 'rebuilt once');
});
