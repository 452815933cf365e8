// `fleetplan dns --publish` against a real BIND9 (test/fleet/dns-server.ts): the DKIM keys the hosts
// hold, SPF and DMARC reach the zone by RFC 2136 updates signed with TSIG, read back with dig; a
// message signed with a host's key verifies against the published record; a second publish sends
// nothing; a selector no host uses any more is removed while records fleetplan does not own stay;
// --check shows the diff and changes nothing; a bad key, a dead server, a zone the server does not
// serve and a key in clear are clear errors with their exit codes, and the key is never printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { startDnsServer, type DnsServer } from '../fleet/dns-server.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan, repoRoot, type CliResult } from './cli.js';
import { verifyDkim } from './dkim.js';
import { writeRelayInventory } from './relay-inventory.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-dns-publish-');
const plan = path.join(repoRoot, 'plans', 'relay.yml');
const KEY_DIR = '/etc/opendkim/keys/example.org';

let fleet: Fleet;
let dns: DnsServer;
let other: DnsServer;

before(async () => {
  if (skip) return;
  [fleet, dns, other] = await Promise.all([
    up({ os: 'debian-sysv', count: 2, out: path.join(out, 'fleet') }),
    startDnsServer({ out, zones: ['example.org'] }),
    startDnsServer({ out, zones: ['fleet.test'] }),
  ]);
});
after(async () => {
  if (!out) return;
  await Promise.all([dns?.stop(), other?.stop(), down(path.join(out, 'fleet')).catch(() => undefined)]);
  rmSync(out, { recursive: true, force: true });
});

interface Target { server?: DnsServer; secret?: string; plain?: boolean; zone?: string; port?: number }

/** The relay inventory with `dns_update` pointing at a server, and the selector per host. */
function inventory(name: string, selector: string, t: Target = {}): string {
  const s = t.server ?? dns;
  const secret = JSON.stringify(t.secret ?? s.tsig.secret);
  const update = `{ server: ${s.address}, port: ${t.port ?? s.port}, zone: ${t.zone ?? 'example.org'}, key_name: ${s.tsig.name}, ` +
    `key_algorithm: hmac-sha256, key_secret: ${t.plain ? secret : `!secret ${secret}`}, ttl: 600 }`;
  return writeRelayInventory(fleet, path.join(out, `${name}.yml`), {
    relayPassword: 'unused-here',
    extraVars: { dkim_selector: JSON.stringify(selector), spf_all: '"-all"', spf_include: '"mx ip4:192.0.2.1 _spf.example.net"', spf_hosts_group: 'relays', dns_update: update },
  });
}

async function genkeys(selector: (host: string) => string) {
  for (const h of fleet.hosts) {
    const r = await fleet.exec(h.name, `mkdir -p ${KEY_DIR} && opendkim-genkey -b 2048 -D ${KEY_DIR} -d example.org -s ${selector(h.name)}`);
    assert.equal(r.code, 0, r.stderr);
  }
}

function dig(name: string, server = dns): string[] {
  const r = spawnSync('dig', [`@${server.address}`, '-p', String(server.port), '+short', '+time=2', '+tries=1', 'TXT', name], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // One record a line; its strings joined as a receiver does.
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => [...l.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!).join(''));
}

function nsupdate(commands: string[]) {
  const input = [`server ${dns.address} ${dns.port}`, `key hmac-sha256:${dns.tsig.name} ${dns.tsig.secret}`, 'zone example.org', ...commands, 'send', ''].join('\n');
  const r = spawnSync('nsupdate', ['-t', '5'], { input, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

const publish = (inv: string, ...more: string[]) => fleetplan(['dns', plan, '-i', inv, '--publish', ...more]);

function assertClean(r: CliResult, secret = dns.tsig.secret) {
  assert.ok(!(r.stdout + r.stderr).includes(secret), 'the TSIG secret is never printed');
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

test('dns --publish: check shows the diff, publish sends it, a second publish sends nothing', { skip, timeout: 150_000 }, async () => {
  await genkeys((h) => h);
  // Records fleetplan does not own: another TXT at the apex, and a key under a selector of someone else.
  nsupdate(['update add example.org. 300 IN TXT "site-verification=abc"', 'update add foreign._domainkey.example.org. 300 IN TXT "v=DKIM1; p=FOREIGN"']);
  const serial0 = await dns.serial('example.org');
  const inv = inventory('first', '{{inventory_hostname}}');

  const check = await publish(inv, '--check');
  assert.equal(check.code, 0, check.stderr);
  assertClean(check);
  assert.match(check.stdout, /^example\.org: zone example\.org on 127\.0\.53\.\d+#5053 \(key fleetplan-test, hmac-sha256\)$/m);
  for (const h of fleet.hosts) assert.match(check.stdout, new RegExp(`^  \\+ ${h.name}\\._domainkey\\.example\\.org\\. 600 IN TXT "v=DKIM1; `, 'm'));
  // The operator's terms unchanged (mx stays mx; a bare domain becomes include:), the relays by address, -all.
  const spf = `v=spf1 mx ip4:192.0.2.1 include:_spf.example.net ${fleet.hosts.map((h) => `ip4:${h.address}`).join(' ')} -all`;
  assert.ok(check.stdout.includes(`\n  + example.org. 600 IN TXT "${spf}"\n`), check.stdout);
  assert.match(check.stdout, /^  \+ _dmarc\.example\.org\. 600 IN TXT "v=DMARC1; p=none; rua=mailto:postmaster@example\.org"$/m);
  assert.match(check.stdout, /would publish 5 change\(s\); nothing sent \(--check\)/);
  assert.equal(await dns.serial('example.org'), serial0, '--check changes nothing');
  assert.deepEqual(dig('example.org'), ['site-verification=abc']);

  const first = await publish(inv);
  assert.equal(first.code, 0, first.stderr);
  assertClean(first);
  assert.match(first.stdout, new RegExp(`published 5 change\\(s\\) \\(serial ${serial0} -> ${serial0 + 1}\\)`));
  assert.deepEqual(dig('example.org').sort(), ['site-verification=abc', spf]);
  assert.deepEqual(dig('_dmarc.example.org'), ['v=DMARC1; p=none; rua=mailto:postmaster@example.org']);
  assert.deepEqual(dig('_fleetplan.example.org'), [`v=fleetplan1; dkim=${fleet.hosts.map((h) => h.name).sort().join(' ')}`]);
  for (const h of fleet.hosts) {
    const [record] = dig(`${h.name}._domainkey.example.org`);
    assert.match(record ?? '', /^v=DKIM1; h=sha256; k=rsa; p=MII/, h.name);
    assert.ok(record!.length > 255, 'a 2048-bit key is longer than one TXT string');
    // A message signed with the host's key verifies against the record, resolved from BIND.
    const privateKey = (await fleet.exec(h.name, `cat ${KEY_DIR}/${h.name}.private`)).stdout;
    // The published key is the public half of the host's private key (said first, so that a failed
    // signature check below can only be the signature's).
    const publicHalf = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
    assert.equal(/\bp=([A-Za-z0-9+/=]+)/.exec(record!)?.[1], publicHalf, `${h.name}: the published key is not the host's`);
    const message = Buffer.from(`From: ops@example.org\r\nTo: someone@example.net\r\nSubject: via ${h.name}\r\n\r\nhello\r\n`);
    // mailauth's own .d.ts lacks signatureData, the form its code reads.
    const signed = await dkimSign(message, { signatureData: [{ signingDomain: 'example.org', selector: h.name, privateKey }] } as never);
    const verdict = await verifyDkim(Buffer.concat([Buffer.from(signed.signatures), message]), dns);
    assert.equal(verdict.pass, true, `${h.name}: DKIM ${verdict.result} ${verdict.comment ?? ''}`);
  }

  const again = await publish(inv);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`^  no change \\(serial ${serial0 + 1}\\)$`, 'm'));
  assert.doesNotMatch(again.stdout, /^ {2}[+-] /m);
  assert.equal(await dns.serial('example.org'), serial0 + 1, 'a second publish sends no update');
});

test('dns --publish: a selector no host uses any more is removed, records of others stay', { skip, timeout: 120_000 }, async () => {
  await genkeys((h) => `${h}-2`);
  const serial = await dns.serial('example.org');
  const inv = inventory('rotated', '{{inventory_hostname}}-2');
  const check = await publish(inv, '--check');
  assert.equal(check.code, 0, check.stderr);
  for (const h of fleet.hosts) {
    assert.match(check.stdout, new RegExp(`^  - ${h.name}\\._domainkey\\.example\\.org\\. IN TXT "v=DKIM1; `, 'm'));
    assert.match(check.stdout, new RegExp(`^  \\+ ${h.name}-2\\._domainkey\\.example\\.org\\. 600 IN TXT "v=DKIM1; `, 'm'));
  }
  assert.equal(await dns.serial('example.org'), serial);
  const r = await publish(inv);
  assert.equal(r.code, 0, r.stderr);
  for (const h of fleet.hosts) {
    assert.deepEqual(dig(`${h.name}._domainkey.example.org`), [], `${h.name}: the stale selector is removed`);
    assert.match(dig(`${h.name}-2._domainkey.example.org`)[0] ?? '', /^v=DKIM1; /);
  }
  assert.deepEqual(dig('foreign._domainkey.example.org'), ['v=DKIM1; p=FOREIGN'], 'a selector fleetplan never published stays');
  assert.ok(dig('example.org').includes('site-verification=abc'), 'TXT records at the apex that are not SPF stay');
  assert.equal(await dns.serial('example.org'), serial + 1, 'one update');
});

test('dns --publish: a bad key, a dead server, a zone not served, a key in clear, --limit: clear errors, nothing changed', { skip, timeout: 120_000 }, async () => {
  const serial = await dns.serial('example.org');
  const badSecret = Buffer.alloc(32, 9).toString('base64');
  // A change is pending (a new SPF term), so each case gets as far as sending it.
  const pending = (name: string, t: Target) => {
    const inv = inventory(name, '{{inventory_hostname}}-2', t);
    return { inv, run: () => fleetplan(['dns', plan, '-i', inv, '--publish', '-e', 'spf_all=~all']) };
  };
  const bad = await pending('badkey', { secret: badSecret }).run();
  assert.equal(bad.code, 2, bad.stderr);
  assertClean(bad, badSecret);
  assert.match(bad.stderr, /^error: DNS server 127\.0\.53\.\d+#5053, zone example\.org: the server rejected the TSIG key \(NOTAUTH\/BADSIG\): check key_name, key_algorithm and key_secret$/m);

  const dead = await pending('dead', { port: 9 }).run();
  assert.equal(dead.code, 3, dead.stderr);
  assertClean(dead);
  assert.match(dead.stderr, /^error: DNS server 127\.0\.53\.\d+#9, zone example\.org: reading the SOA: (connection refused|no answer \(timed out\))$/m);

  const notServed = await pending('notserved', { server: other }).run();
  assert.equal(notServed.code, 2, notServed.stderr);
  assertClean(notServed, other.tsig.secret);
  assert.match(notServed.stderr, new RegExp(`^error: DNS server ${other.address.replace(/\./g, '\\.')}#5053, zone example\\.org: the server does not serve this zone \\(its SOA query: REFUSED\\)$`, 'm'));

  const clear = await pending('clear', { plain: true }).run();
  assert.equal(clear.code, 4, clear.stderr);
  assertClean(clear);
  assert.match(clear.stderr, /^error: host deb-sysv-\d: dns_update \(for example\.org\): key_secret must be a secret: !secret, !vault or !secret_env/m);

  const limited = await publish(pending('limit', {}).inv, '-l', 'deb-sysv-1');
  assert.equal(limited.code, 4, limited.stderr);
  assert.match(limited.stderr, /--publish reads every host of the plan/);
  const checkAlone = await fleetplan(['dns', plan, '-i', pending('check', {}).inv, '--check']);
  assert.equal(checkAlone.code, 4);
  assert.match(checkAlone.stderr, /--check goes with --publish/);

  assert.equal(await dns.serial('example.org'), serial, 'nothing was changed');
  assert.match(dig('example.org').find((v) => v.startsWith('v=spf1')) ?? '', / -all$/);
});
