// The CentOS seed steps (seeds 000 and 003) on CentOS 6: check mode predicts the apply, the apply
// does what the write-up did by hand, mail goes through a smarthost in the host's namespace, and a
// re-run changes nothing (the other seeds: relay-seeds.test.ts; shared: seed-steps.ts).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PW, seedFleet } from './seed-steps.js';

const seeds = seedFleet(['centos6']);

test('seed 000 (CentOS 6): smtp_tls_loglevel = 1, the password map named smtp-auth-passwd, plaintext deleted', { skip: seeds.skip }, async () => {
  await seeds.checkApplyRerun('relay-centos.yml', ['c6-1'], ['-e', 'postfix_sasl_password_file=smtp-auth-passwd']);
  const st = await seeds.fleet().exec(
    'c6-1',
    'ls /etc/postfix | grep -c passwd; stat -c %a /etc/postfix/smtp-auth-passwd.db; postconf -h smtp_tls_loglevel smtp_sasl_password_maps smtp_sasl_mechanism_filter',
  );
  assert.equal(st.stdout, '1\n600\n1\nhash:/etc/postfix/smtp-auth-passwd\nplain\n', st.stderr);
  const m = await seeds.sendThrough('c6-1', 'someone@example.net', 'seed 000');
  assert.deepEqual([m.user, m.secure], ['relayuser', true]);
});

test('seed 003 (CentOS): a different SASL account per next hop, relayhost with and without MX lookup, smtp_tls_CAfile of the OS', { skip: seeds.skip }, async () => {
  const net = await seeds.startSmarthost('c6-1', 'c6-1-net', { port: 2526, users: { netuser: 'Net-relay-Pa55word' } });
  const vars = path.join(seeds.out, 'seed-003.yml');
  writeFileSync(
    vars,
    'relay_transports:\n  - { domain: example.net, transport: "smtp:[127.0.0.1]:2526", user: netuser, password: !secret "Net-relay-Pa55word" }\n',
  );
  const { check } = await seeds.checkApplyRerun('relay-centos.yml', ['c6-1'], ['-e', `@${vars}`]);
  assert.ok(!JSON.stringify(check.json).includes('Net-relay-Pa55word'), 'the next hop password is never printed');
  const st = await seeds.fleet().exec('c6-1', 'postmap -q "[127.0.0.1]:2526" hash:/etc/postfix/sasl_passwd; postmap -q "[127.0.0.1]:2525" hash:/etc/postfix/sasl_passwd; postconf -h relayhost transport_maps smtp_tls_CAfile; test -s /etc/pki/tls/certs/ca-bundle.crt && echo ca-bundle');
  assert.equal(st.stdout, `netuser:Net-relay-Pa55word\nrelayuser:${PW}\n[127.0.0.1]:2525\nhash:/etc/postfix/transport\n/etc/pki/tls/certs/ca-bundle.crt\nca-bundle\n`, st.stderr);
  const viaNet = await seeds.sendThrough('c6-1', 'someone@example.net', 'seed 003, per next hop', net);
  assert.deepEqual([viaNet.user, viaNet.secure], ['netuser', true]);
  const viaDefault = await seeds.sendThrough('c6-1', 'someone@example.com', 'seed 003, the smarthost');
  assert.equal(viaDefault.user, 'relayuser');

  // relayhost without brackets (relay_mx_lookup: true): MX lookups; the SASL key follows it exactly.
  // The fleet has no DNS: the name resolves from /etc/hosts with DNS lookups off.
  await seeds.fleet().exec('c6-1', 'echo "127.0.0.1 smarthost.test" >> /etc/hosts');
  const mx = path.join(seeds.out, 'seed-003-mx.yml');
  writeFileSync(mx, 'relay_host: smarthost.test\nrelay_mx_lookup: true\npostfix_extra_params: { smtp_use_tls: "yes", disable_dns_lookups: "yes" }\n');
  await seeds.checkApplyRerun('relay-centos.yml', ['c6-1'], ['-e', `@${mx}`]);
  const st2 = await seeds.fleet().exec('c6-1', 'postconf -h relayhost; postmap -q smarthost.test:2525 hash:/etc/postfix/sasl_passwd');
  assert.equal(st2.stdout, `smarthost.test:2525\nrelayuser:${PW}\n`, st2.stderr);
  const m = await seeds.sendThrough('c6-1', 'someone@example.com', 'seed 003, MX lookup');
  assert.equal(m.user, 'relayuser');
});
