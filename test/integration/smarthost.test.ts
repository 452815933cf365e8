// Proves the mail test infrastructure (not fleetplan): a smarthost inside a test host's network
// namespace that Postfix on that host relays through with STARTTLS + SASL, and DKIM verification of
// what OpenDKIM on the host signed. Postfix/OpenDKIM are configured by hand via fleet.exec.
//
// Gotchas on Debian's Postfix 3.7 (smtp runs chrooted in /var/spool/postfix):
// - nothing needs copying into the chroot here: sasl_passwd (hash:) is opened, Cyrus SASL plugins
//   are loaded and smtp_tls_CAfile is read BEFORE chroot. smtp_tls_CApath would not work (read
//   lazily, inside the chroot); the relayhost is an IP literal, so no DNS/resolv.conf either.
// - the Cyrus client picks the strongest mechanism offered (CRAM-MD5 here) and does not fall
//   back to another one after a 535; smtp_sasl_mechanism_filter selects one explicitly.
// - sysv hosts have no syslog: maillog_file (postlogd, Postfix >= 3.4) gives a readable log.
// - Debian's opendkim init script passes -p $SOCKET only when opendkim.conf has no Socket line,
//   so the inet socket is set in opendkim.conf itself.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { parseZoneTxt, verifyDkim } from './dkim.js';
import { startSmarthost, type Smarthost, type SmarthostRecord } from './smarthost.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-smarthost-');
const HOST = 'deb-sysv-1';
let fleet: Fleet | undefined;
let smarthost: Smarthost | undefined;

before(async () => {
  if (skip) return;
  fleet = await up({ os: 'debian-sysv', count: 1, out: join(out, 'fleet') });
  smarthost = await startSmarthost({ netnsPid: fleet.hosts[0]!.pid, users: { relayuser: 'relaypass' }, dir: join(out, 'smarthost') });
});
after(async () => {
  // Each step on its own: a failed stop must not leave the fleet up, and vice versa.
  await smarthost?.stop().catch((e) => console.error(`smarthost stop: ${(e as Error).message}`));
  if (out) {
    await down(join(out, 'fleet')).catch((e) => console.error(`fleet down: ${(e as Error).message}`));
    rmSync(out, { recursive: true, force: true });
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sh(cmd: string): Promise<string> {
  const r = await fleet!.exec(HOST, cmd);
  assert.equal(r.code, 0, `${cmd}\nexit ${r.code}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const postfixLog = async () => (await fleet!.exec(HOST, 'tail -n 20 /var/log/postfix.log')).stdout;

/** Send one message with a unique subject and return its smarthost record. */
async function sendAndReceive(subject: string, body = 'hello'): Promise<SmarthostRecord> {
  const before = (await smarthost!.messages()).length;
  await sh(`printf 'Subject: ${subject}\\n\\n${body}\\n' | sendmail -f a@example.org b@example.net`);
  const msgs = await smarthost!.waitForMessages(before + 1, 30_000)
    .catch(async (e) => { throw new Error(`${(e as Error).message}\n--- postfix.log ---\n${await postfixLog()}`); });
  const rec = msgs.find((m) => Buffer.from(m.raw, 'base64').toString().includes(`Subject: ${subject}\r\n`));
  assert.ok(rec, `message "${subject}" not among the ${msgs.length} received`);
  return rec;
}

/** Poll mailq until `pred` holds (Postfix defers asynchronously). */
async function waitForQueue(what: string, pred: (mailq: string) => boolean, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const q = (await fleet!.exec(HOST, 'mailq')).stdout;
    if (pred(q)) return q;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; mailq:\n${q}\n--- postfix.log ---\n${await postfixLog()}`);
    await sleep(250);
  }
}

// postmap rewrites the .db in place and Postfix's "table has changed" check compares mtimes in
// whole seconds: a change within the second the smtp process opened it went unnoticed (seen), so
// a running Postfix is reloaded to get fresh smtp processes.
const setPassword = (pw: string) => sh(`printf '[127.0.0.1]:2525 relayuser:${pw}\\n' > /etc/postfix/sasl_passwd && chmod 600 /etc/postfix/sasl_passwd \\
  && postmap /etc/postfix/sasl_passwd && { ! postfix status 2>/dev/null || postfix reload 2>/dev/null; }`);

// ---- zone parsing (no fleet needed) ---------------------------------------------------------------

test('parseZoneTxt: opendkim-genkey and fleetplan dns formats', () => {
  const genkey = 't1._domainkey\tIN\tTXT\t( "v=DKIM1; h=sha256; k=rsa; "\n\t  "p=MIIBIjAN"\n\t  "BgkqhkiG" )  ; ----- DKIM key t1 for example.org\n';
  assert.deepEqual(parseZoneTxt(genkey, 'example.org'), { 't1._domainkey.example.org': 'v=DKIM1; h=sha256; k=rsa; p=MIIBIjANBgkqhkiG' });
  assert.deepEqual(parseZoneTxt(genkey, 'Example.ORG.'), { 't1._domainkey.example.org': 'v=DKIM1; h=sha256; k=rsa; p=MIIBIjANBgkqhkiG' });
  assert.deepEqual(parseZoneTxt(genkey), { 't1._domainkey': 'v=DKIM1; h=sha256; k=rsa; p=MIIBIjANBgkqhkiG' });
  const dns = [
    '; fleetplan dns',
    'sel._domainkey.example.org. IN TXT ( "v=DKIM1; k=rsa; " "p=AAAA" )',
    'mail.example.net. 3600 IN A 192.0.2.1',
    'sel._domainkey.example.net. 300 IN TXT "v=DKIM1; k=rsa; p=BB\\"B\\059"',
    '$ORIGIN example.com.',
    '@ TXT "v=spf1 -all"',
    'x._domainkey IN 60 TXT ("p=C;" ; comment inside',
    '   "D")',
    '         TXT "second TXT on the same owner is ignored"',
  ].join('\n');
  assert.deepEqual(parseZoneTxt(dns, 'ignored.org'), {
    'sel._domainkey.example.org': 'v=DKIM1; k=rsa; p=AAAA',
    'sel._domainkey.example.net': 'v=DKIM1; k=rsa; p=BB"B;',
    'example.com': 'v=spf1 -all',
    'x._domainkey.example.com': 'p=C;D',
  });
  assert.throws(() => parseZoneTxt('a TXT ( "x"'), /unbalanced/);
  assert.throws(() => parseZoneTxt('a TXT "x'), /unterminated/);
});

// ---- the smarthost itself ---------------------------------------------------------------------------

test('smarthost: AUTH only after STARTTLS, all three mechanisms, wrong password refused', { skip }, async () => {
  // Python's smtplib inside the host: a client that (unlike Postfix) will try AUTH in plaintext.
  const py = `
import base64, json, smtplib
out = {}
s = smtplib.SMTP('127.0.0.1', 2525, timeout=10)
s.ehlo()
out['auth_advertised_plain'] = s.has_extn('auth')
out['auth_plain_code'] = s.docmd('AUTH', 'PLAIN ' + base64.b64encode(b'\\0relayuser\\0relaypass').decode())[0]
out['mail_plain_code'] = s.docmd('MAIL', 'FROM:<a@example.org>')[0]
s.starttls(); s.ehlo()
out['mechs'] = sorted(s.esmtp_features.get('auth', '').split())
out['mail_unauth_code'] = s.docmd('MAIL', 'FROM:<a@example.org>')[0]
s.quit()
for mech, fn in (('PLAIN', 'auth_plain'), ('LOGIN', 'auth_login'), ('CRAM-MD5', 'auth_cram_md5')):
    for pw in ('bad', 'relaypass'):
        s = smtplib.SMTP('127.0.0.1', 2525, timeout=10); s.starttls(); s.ehlo()
        s.user, s.password = 'relayuser', pw
        try:
            out[mech + ':' + pw] = s.auth(mech, getattr(s, fn), initial_response_ok=(mech != 'LOGIN'))[0]
        except smtplib.SMTPAuthenticationError as e:
            out[mech + ':' + pw] = e.smtp_code
        s.quit()
print(json.dumps(out))
`;
  const r = JSON.parse(await sh(`python3 - <<'EOF'\n${py}\nEOF`));
  assert.deepEqual(r, {
    // smtp-server lists AUTH before STARTTLS too (unlike Postfix's smtpd_tls_auth_only) but refuses it.
    auth_advertised_plain: true,
    auth_plain_code: 538, // "Must issue a STARTTLS command first"
    mail_plain_code: 530,
    mechs: ['CRAM-MD5', 'LOGIN', 'PLAIN'],
    mail_unauth_code: 530,
    'PLAIN:bad': 535, 'PLAIN:relaypass': 235,
    'LOGIN:bad': 535, 'LOGIN:relaypass': 235,
    'CRAM-MD5:bad': 535, 'CRAM-MD5:relaypass': 235,
  });
  const attempts = await smarthost!.authAttempts();
  assert.ok(attempts.every((a) => a.secure), 'no AUTH reached onAuth without TLS');
  assert.deepEqual(attempts.map((a) => `${a.method}:${a.ok}`),
    ['PLAIN:false', 'PLAIN:true', 'LOGIN:false', 'LOGIN:true', 'CRAM-MD5:false', 'CRAM-MD5:true']);
  assert.equal((await smarthost!.messages()).length, 0);
});

// ---- Postfix relaying through it ----------------------------------------------------------------------

test('postfix relays through the smarthost with STARTTLS + SASL', { skip }, async () => {
  await setPassword('relaypass');
  await sh(`postconf -e 'relayhost=[127.0.0.1]:2525' smtp_sasl_auth_enable=yes smtp_sasl_password_maps=hash:/etc/postfix/sasl_passwd \
    smtp_sasl_security_options=noanonymous smtp_tls_security_level=encrypt maillog_file=/var/log/postfix.log && service postfix start`);
  const rec = await sendAndReceive('relay-1');
  assert.equal(rec.user, 'relayuser');
  assert.equal(rec.secure, true);
  assert.match(rec.tlsProtocol ?? '', /^TLSv1\.[23]$/);
  assert.equal(rec.from, 'a@example.org');
  assert.deepEqual(rec.to, ['b@example.net']);
  assert.match(Buffer.from(rec.raw, 'base64').toString(), /\r\n\r\nhello\r\n$/);
});

test('postfix: each SASL mechanism the smarthost offers works', { skip }, async () => {
  for (const mech of ['PLAIN', 'LOGIN', 'CRAM-MD5']) {
    // reload: running smtp processes keep their old config until they exit.
    await sh(`postconf -e smtp_sasl_mechanism_filter=${mech.toLowerCase()} && postfix reload 2>/dev/null`);
    const rec = await sendAndReceive(`mech-${mech}`);
    assert.equal(rec.user, 'relayuser');
    assert.equal((await smarthost!.authAttempts()).at(-1)?.method, mech);
  }
  await sh('postconf -e smtp_sasl_mechanism_filter= && postfix reload 2>/dev/null');
});

test('postfix verifies the smarthost certificate with caCertPath', { skip }, async () => {
  copyFileSync(smarthost!.caCertPath, join(fleet!.hosts[0]!.rootDir, 'etc/postfix/smarthost-ca.pem'));
  // The cert is for smarthost.test (the nexthop is an IP literal, which Postfix doesn't match against SANs).
  await sh('postconf -e smtp_tls_security_level=verify smtp_tls_CAfile=/etc/postfix/smarthost-ca.pem smtp_tls_verify_cert_match=smarthost.test smtp_tls_loglevel=1 && postfix reload 2>/dev/null');
  try {
    const rec = await sendAndReceive('verified');
    assert.equal(rec.secure, true);
    assert.match(await fleet!.exec(HOST, 'grep "Verified TLS connection established to 127.0.0.1" /var/log/postfix.log').then((r) => r.stdout), /Verified TLS/);
  } finally {
    await sh('postconf -e smtp_tls_security_level=encrypt smtp_tls_verify_cert_match=hostname && postfix reload 2>/dev/null');
  }
});

test('postfix: wrong SASL password -> nothing accepted, mail deferred with the auth error, delivered once fixed', { skip }, async () => {
  const accepted = (await smarthost!.messages()).length;
  const failedBefore = (await smarthost!.authAttempts()).filter((a) => !a.ok).length;
  await setPassword('wrong');
  await sh(`printf 'Subject: wrong-pw\\n\\nhello\\n' | sendmail -f a@example.org b@example.net`);
  const q = await waitForQueue('the message to be deferred with an auth error', (q) => /SASL authentication failed/.test(q));
  assert.match(q, /535 Invalid username or password/);
  assert.match(q, /a@example\.org/);
  assert.equal((await smarthost!.messages()).length, accepted, 'smarthost accepted nothing');
  const failed = (await smarthost!.authAttempts()).filter((a) => !a.ok);
  assert.ok(failed.length > failedBefore && failed.at(-1)!.user === 'relayuser' && failed.at(-1)!.secure);

  await setPassword('relaypass');
  await sh('postqueue -f');
  await waitForQueue('the queue to drain', (q) => /Mail queue is empty/.test(q));
  const rec = (await smarthost!.waitForMessages(accepted + 1, 10_000)).at(-1)!;
  assert.match(Buffer.from(rec.raw, 'base64').toString(), /Subject: wrong-pw\r\n/);
});

// ---- DKIM ---------------------------------------------------------------------------------------------

test('opendkim signs relayed mail; verifyDkim passes with the genkey record and fails after tampering', { skip }, async () => {
  const zone = await sh(`set -e
    mkdir -p /etc/opendkim/keys/example.org
    opendkim-genkey -D /etc/opendkim/keys/example.org -d example.org -s t1
    chown -R opendkim:opendkim /etc/opendkim/keys && chmod 700 /etc/opendkim/keys/example.org
    echo 't1._domainkey.example.org example.org:t1:/etc/opendkim/keys/example.org/t1.private' > /etc/opendkim/KeyTable
    echo '*@example.org t1._domainkey.example.org' > /etc/opendkim/SigningTable
    sed -i 's|^Socket.*|Socket inet:8891@localhost|' /etc/opendkim.conf
    printf 'Mode s\\nKeyTable file:/etc/opendkim/KeyTable\\nSigningTable refile:/etc/opendkim/SigningTable\\n' >> /etc/opendkim.conf
    cat /etc/opendkim/keys/example.org/t1.txt`);
  const txt = parseZoneTxt(zone, 'example.org');
  assert.deepEqual(Object.keys(txt), ['t1._domainkey.example.org']);
  assert.match(txt['t1._domainkey.example.org']!, /^v=DKIM1; h=sha256; k=rsa; p=MII[A-Za-z0-9+/=]+$/);

  await sh('service opendkim start >/dev/null');
  // The init script returns once opendkim forked; it binds shortly after.
  await sh('for i in $(seq 50); do ss -ltn | grep -q "127.0.0.1:8891 " && exit 0; sleep 0.1; done; echo "opendkim not listening" >&2; exit 1');
  // non_smtpd_milters covers sendmail/pickup; milter_default_action=tempfail (the default) keeps
  // mail unsigned-but-queued rather than sent unsigned if the milter is down.
  await sh('postconf -e smtpd_milters=inet:localhost:8891 non_smtpd_milters=inet:localhost:8891 && postfix reload 2>/dev/null');

  const rec = await sendAndReceive('dkim-1', 'hello dkim');
  const raw = Buffer.from(rec.raw, 'base64');
  assert.match(raw.toString(), /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/simple; d=example\.org; s=t1;/);
  const ok = await verifyDkim(raw, txt);
  assert.equal(ok.pass, true, JSON.stringify(ok.details));
  assert.equal(ok.result, 'pass');
  assert.equal(ok.domain, 'example.org');
  assert.equal(ok.selector, 't1');

  const body = await verifyDkim(Buffer.from(raw.toString().replace('hello dkim', 'hello DKIM')), txt);
  assert.equal(body.pass, false);
  assert.deepEqual([body.result, body.comment], ['neutral', 'body hash did not verify']);
  const header = await verifyDkim(Buffer.from(raw.toString().replace('Subject: dkim-1', 'Subject: dkim-2')), txt);
  assert.deepEqual([header.pass, header.result], [false, 'fail']);
  const noKey = await verifyDkim(raw, {});
  assert.deepEqual([noKey.pass, noKey.result, noKey.comment], [false, 'neutral', 'no key']); // our ENOTFOUND
  const otherKey = await verifyDkim(raw, { 't1._domainkey.example.org': txt['t1._domainkey.example.org']!.replace(/p=MII\w{4}/, 'p=MIIAAAAA') });
  assert.equal(otherKey.pass, false);
});
