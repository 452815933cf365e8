// fleetplan verify's pure parts: reading main.cf's relayhost, the relay-state script's output, the probe
// and its submission command, --dns-server, and the per-host line and exit code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExitCode } from '../../src/core/errors.js';
import { dnsServerValid } from '../../src/verify/dns-server-option.js';
import type { HostVerify } from '../../src/verify/host.js';
import { exactForwardAddress, isLoopback, parseRelayhost, parseRelayState, probeMessage, queueEmpty, SECTION, submitCommand } from '../../src/verify/probe.js';
import { hostLine, verifyExitCode, verifyJson } from '../../src/verify/report.js';
import type { VerifySummary } from '../../src/verify/outcome.js';

test('relayhost as main.cf writes it: brackets, ports, MX lookup', () => {
  assert.deepEqual(parseRelayhost('[127.0.0.1]:2525'), { host: '127.0.0.1', port: 2525, mxLookup: false });
  assert.deepEqual(parseRelayhost('[smtp.example.net]'), { host: 'smtp.example.net', port: 25, mxLookup: false });
  assert.deepEqual(parseRelayhost('example.net:587'), { host: 'example.net', port: 587, mxLookup: true });
  assert.deepEqual(parseRelayhost('[::1]:25'), { host: '::1', port: 25, mxLookup: false });
  assert.equal(parseRelayhost(''), undefined);
  assert.equal(parseRelayhost('[unclosed:25'), undefined);
});

test('the sink stands in only for a smarthost on the host loopback', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.equal(isLoopback(h), true, h);
  for (const h of ['192.0.2.1', 'smtp.example.net', '::2', '128.0.0.1']) assert.equal(isLoopback(h), false, h);
  // sshd binds a remote forward exactly where asked only at these two; for the others it takes
  // 127.0.0.1 and ::1, whichever it can, so the sink stands in only there.
  for (const h of ['127.0.0.1', '::1']) assert.equal(exactForwardAddress(h), true, h);
  for (const h of ['127.0.0.2', '127.1.2.3', 'localhost', '0.0.0.0', '::']) assert.equal(exactForwardAddress(h), false, h);
});

test('relay state: postconf values, postfix status, the queue', () => {
  const out = `[127.0.0.1]:2525\nencrypt\naccept\nrelay1.example.org\n${SECTION}\nrunning\n${SECTION}\nMail queue is empty\n`;
  assert.deepEqual(parseRelayState(out), { relayhost: '[127.0.0.1]:2525', tlsLevel: 'encrypt', milterDefaultAction: 'accept', myhostname: 'relay1.example.org', running: true, queue: 'Mail queue is empty' });
  assert.equal(parseRelayState(`\nmay\ntempfail\n${SECTION}\nstopped\n${SECTION}\npostqueue: fatal: Queue report unavailable - mail system is down\n`).running, false);
  assert.equal(queueEmpty('Mail queue is empty'), true);
  assert.equal(queueEmpty('-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\nABC123*     420 Sat Dec  5 00:00:00  verify@example.org\n'), false);
});

test('the probe: its id in the recipient, From and envelope sender in the domain; sendmail arguments quoted', () => {
  const p = probeMessage('0123abcd', 'relay1', 'example.org', new Date('2026-12-05T00:00:00Z'));
  assert.equal(p.recipient, 'probe-0123abcd@verify.fleetplan.invalid');
  assert.equal(p.sender, 'verify-0123abcd@example.org');
  assert.match(p.message, /^From: fleetplan verify <verify@example\.org>\nTo: <probe-0123abcd@verify\.fleetplan\.invalid>\n/);
  assert.match(p.message, /\nDate: Sat, 05 Dec 2026 00:00:00 \+0000\n/);
  // The token the sink requires is in the body only (the id is public on the host: mailq, ps), random per probe.
  assert.match(p.token, /^[0-9a-f]{32}$/);
  assert.ok(p.message.split('\n\n').slice(1).join('\n\n').includes(`Token: ${p.token}\n`), p.message);
  assert.ok(!p.message.split('\n\n')[0]!.includes(p.token), 'not in a header');
  assert.notEqual(probeMessage('0123abcd', 'relay1', 'example.org').token, p.token);
  assert.ok(!submitCommand(p).includes(p.token), 'not on the command line');
  assert.equal(probeMessage('0123abcd', 'relay1', 'example.org', undefined, 'ops@example.net').recipient, 'ops@example.net');
  const odd = { ...p, sender: "verify@ex'ample.org; rm -rf /" };
  assert.match(submitCommand(odd), / -i -f 'verify@ex'\\''ample\.org; rm -rf \/' -- probe-0123abcd@verify\.fleetplan\.invalid$/);
});

test('--dns-server: an IP address with an optional port', () => {
  for (const s of ['127.0.53.1', '127.0.53.1:5053', '[::1]:53', '::1']) assert.equal(dnsServerValid(s), true, s);
  for (const s of ['ns.example.org', '127.0.0.1:0', '127.0.0.1:70000', '', '1.2.3.4:x']) assert.equal(dnsServerValid(s), false, s);
});

const passing: HostVerify = {
  host: 'relay1',
  probe: 'ab',
  mode: 'sink',
  postfix: 'running',
  relayhost: '[127.0.0.1]:2525',
  delivered: true,
  seconds: 0.4,
  tls: { version: 'TLSv1.3', certificate: 'not verified by the relay (smtp_tls_security_level=encrypt)' },
  smtpdCertificate: null,
  sasl: 'relayuser',
  auth: { dkim: { result: 'pass', selector: 's1', domain: 'example.org' }, spf: { result: 'pass' }, dmarc: { result: 'pass' } },
  queue: { empty: true, listing: 'Mail queue is empty' },
  problems: [],
};

test('one console line per host; exit codes as apply', () => {
  assert.equal(
    hostLine(passing),
    'relay1          ok    delivered in 0.4 s · TLSv1.3, certificate not verified by the relay (smtp_tls_security_level=encrypt) · SASL relayuser · DKIM pass (s=s1, d=example.org) · SPF pass · DMARC pass · queue empty',
  );
  const stopped: HostVerify = { ...passing, host: 'relay2', postfix: 'stopped', delivered: false, tls: null, sasl: null, auth: null, problems: ['Postfix is not running (postfix status): no probe sent'] };
  assert.equal(hostLine(stopped), 'relay2          FAIL  NOT delivered · queue empty — Postfix is not running (postfix status): no probe sent');
  const summary = (hosts: VerifySummary['hosts']): VerifySummary => ({ hosts, ms: 10 });
  assert.equal(verifyExitCode(summary([passing])), ExitCode.ok);
  assert.equal(verifyExitCode(summary([passing, stopped])), ExitCode.hostFailed);
  assert.equal(verifyExitCode(summary([passing, { host: 'r3', unreachable: true, error: 'connection refused' }])), ExitCode.unreachable);
  assert.equal(verifyExitCode(summary([stopped, { host: 'r3', unreachable: true, error: 'x' }])), ExitCode.hostFailed);
  assert.deepEqual((verifyJson(summary([passing, stopped])) as { summary: object }).summary, { hosts: 2, passed: 1, failed: 1, unreachable: 0, ms: 10 });
});

test('--smtpd-ca: the relay\'s own certificate on its console line, OK or why not', () => {
  const ok: HostVerify = { ...passing, smtpdCertificate: { ok: true, name: 'relay1.example.org', subject: 'CN=relay1.example.org', issuer: 'CN=Pebble Intermediate CA 1d2e3f', daysLeft: 1824 } };
  assert.match(hostLine(ok), / · TLSv1\.3, certificate not verified by the relay \(smtp_tls_security_level=encrypt\) · smtpd certificate OK \(CN=relay1\.example\.org, issuer CN=Pebble Intermediate CA 1d2e3f, 1824 days left\) · SASL relayuser · /);
  const bad: HostVerify = {
    ...passing,
    smtpdCertificate: { ok: false, name: 'relay1.example.org', error: 'self-signed certificate' },
    problems: ['smtpd certificate for relay1.example.org: self-signed certificate'],
  };
  assert.match(hostLine(bad), /^relay1 +FAIL .* · smtpd certificate NOT OK for relay1\.example\.org · .* — smtpd certificate for relay1\.example\.org: self-signed certificate$/);
  assert.equal(verifyExitCode({ hosts: [bad], ms: 1 }), ExitCode.hostFailed);
});
