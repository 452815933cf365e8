import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGenkeyTxt, quoteTxt, spfForHost, spfForRelay, spfValue, txtRecord, txtStrings, zoneFor } from '../../src/dns/records.js';
import { diffLines, domainChanges, ownedSelectors, updateCommands } from '../../src/dns/record-diff.js';
import type { ZoneReader } from '../../src/dns/published.js';
import { updateTarget } from '../../src/dns/dns-update.js';
import { InputError } from '../../src/core/errors.js';
import { Secret, SecretRegistry } from '../../src/core/secret.js';

const GENKEY = `sel1._domainkey\tIN\tTXT\t( "v=DKIM1; h=sha256; k=rsa; "
\t  "p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAurPl"
\t  "yftZ09jo/FqIyDqeJ9nQ" )  ; ----- DKIM key sel1 for example.org
`;

test('dns: opendkim-genkey .txt → one TXT value', () => {
  assert.equal(parseGenkeyTxt(GENKEY), 'v=DKIM1; h=sha256; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAurPlyftZ09jo/FqIyDqeJ9nQ');
  assert.throws(() => parseGenkeyTxt('garbage'), /no quoted TXT/);
});

test('dns: SPF authorises the smarthost (seed 004): explicit include, address, or parent domain', () => {
  assert.deepEqual(spfForRelay('smtp.sendgrid.net'), ['include:sendgrid.net']);
  assert.deepEqual(spfForRelay('[192.0.2.7]'), ['ip4:192.0.2.7']);
  assert.deepEqual(spfForRelay('smtp.gmail.com', '_spf.google.com'), ['include:_spf.google.com']);
  assert.deepEqual(spfForRelay('x', 'ip4:192.0.2.0/24 include:a.example'), ['ip4:192.0.2.0/24', 'include:a.example']);
});

test('dns: long TXT values are split into 255-character strings', () => {
  const rec = txtRecord('s._domainkey.example.org.', 'p=' + 'A'.repeat(400));
  const strings = [...rec.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
  assert.deepEqual(strings.map((s) => s.length), [255, 147]);
});

test('dns: one key per selector; different keys under one selector and missing keys are problems', () => {
  const ok = zoneFor(
    [
      { host: 'a', domain: 'example.org', selector: 'a1', txt: 'v=DKIM1; p=AAA' },
      { host: 'b', domain: 'example.org', selector: 'b1', txt: 'v=DKIM1; p=BBB' },
    ],
    [{ domain: 'example.org', spf: ['include:example.net', 'include:example.net'], dmarc: 'v=DMARC1; p=none' }],
  );
  assert.deepEqual(ok.problems, []);
  assert.match(ok.text, /^a1\._domainkey\.example\.org\.\s+IN TXT "v=DKIM1; p=AAA"  ; key of a$/m);
  assert.match(ok.text, /^example\.org\.\s+IN TXT "v=spf1 include:example\.net ~all"$/m);
  assert.match(ok.text, /^_dmarc\.example\.org\.\s+IN TXT "v=DMARC1; p=none"$/m);
  const bad = zoneFor(
    [
      { host: 'a', domain: 'example.org', selector: 's', txt: 'v=DKIM1; p=AAA' },
      { host: 'b', domain: 'example.org', selector: 's', txt: 'v=DKIM1; p=BBB' },
      { host: 'c', domain: 'example.org', selector: 'c1', txt: null },
    ],
    [],
  );
  assert.equal(bad.problems.length, 2);
  assert.match(bad.problems.join('\n'), /different keys under one selector \(a, b\)/);
  assert.match(bad.problems.join('\n'), /c1\._domainkey\.example\.org: no key yet on c/);
});

test('dns: SPF terms pass through unchanged; a bare domain becomes include:', () => {
  assert.deepEqual(spfForRelay('x', 'mx a a:mail.example.org/24 ip6:2001:db8::/32 ~include:b.example exists:%{i}.x.example redirect=_spf.example.net _spf.google.com'), [
    'mx', 'a', 'a:mail.example.org/24', 'ip6:2001:db8::/32', '~include:b.example', 'exists:%{i}.x.example', 'redirect=_spf.example.net', 'include:_spf.google.com',
  ]);
  assert.equal(spfForHost('192.0.2.9'), 'ip4:192.0.2.9');
  assert.equal(spfForHost('2001:db8::9'), 'ip6:2001:db8::9');
  assert.equal(spfForHost('relay1.example.org'), 'a:relay1.example.org');
});

test('dns: the SPF value ends with the configured all term, an all term given, or a redirect', () => {
  const p = (spf: string[], spfAll?: string) => spfValue({ domain: 'example.org', spf, spfAll, dmarc: '' });
  assert.equal(p(['mx', 'ip4:192.0.2.1', 'mx']), 'v=spf1 mx ip4:192.0.2.1 ~all');
  assert.equal(p(['mx'], '-all'), 'v=spf1 mx -all');
  assert.equal(p(['-all', 'mx'], '~all'), 'v=spf1 mx -all');
  assert.equal(p(['mx', 'redirect=_spf.example.net'], '-all'), 'v=spf1 mx redirect=_spf.example.net');
  const zone = zoneFor([], [{ domain: 'example.org', spf: ['mx'], spfAll: '-all', dmarc: 'v=DMARC1; p=reject' }]);
  assert.match(zone.text, /^example\.org\.\s+IN TXT "v=spf1 mx -all"$/m);
});

test('dns: TXT strings are at most 255 bytes, split between UTF-8 characters, quoted with escapes', () => {
  const value = 'a'.repeat(254) + 'é' + 'b'.repeat(10);
  const strings = txtStrings(value);
  assert.deepEqual(strings.map((s) => s.length), [254, 12]);
  assert.equal(Buffer.concat(strings).toString('utf8'), value);
  assert.equal(quoteTxt(Buffer.from('say "hi" \\ now\n')), '"say \\"hi\\" \\\\ now\\010"');
  assert.deepEqual(txtStrings('').map((s) => s.length), [0]);
});

/** A zone reader over a fixed table (name → records as served). */
function reader(table: Record<string, string[][]>): ZoneReader {
  return { serial: async () => 1, txt: async (name) => table[name] ?? [] };
}

test('dns: publish changes touch only what fleetplan owns, remove stale selectors, and require what was read', async () => {
  const wanted = { domain: 'example.org', spf: 'v=spf1 mx -all', dmarc: 'v=DMARC1; p=none', dkim: new Map([['new', 'v=DKIM1; p=NEW']]) };
  const changes = await domainChanges(wanted, reader({
    'example.org.': [['site-verification=x'], ['v=spf1 mx ~all']],
    '_dmarc.example.org.': [['v=DMARC1; ', 'p=none']],
    '_fleetplan.example.org.': [['v=fleetplan1; dkim=old new']],
    'old._domainkey.example.org.': [['v=DKIM1; p=OLD']],
    'other._domainkey.example.org.': [['v=DKIM1; p=OTHER']],
  }));
  assert.deepEqual(diffLines(changes, 300), [
    '- example.org. IN TXT "v=spf1 mx ~all"',
    '+ example.org. 300 IN TXT "v=spf1 mx -all"',
    '+ new._domainkey.example.org. 300 IN TXT "v=DKIM1; p=NEW"',
    '- old._domainkey.example.org. IN TXT "v=DKIM1; p=OLD"',
    '- _fleetplan.example.org. IN TXT "v=fleetplan1; dkim=old new"',
    '+ _fleetplan.example.org. 300 IN TXT "v=fleetplan1; dkim=new"',
  ], 'DMARC split differently is the same value; the other selector and the apex verification stay');
  assert.deepEqual(updateCommands(changes, 300).filter((c) => c.startsWith('prereq')), [
    'prereq yxrrset example.org. TXT "site-verification=x"',
    'prereq yxrrset example.org. TXT "v=spf1 mx ~all"',
    'prereq nxrrset new._domainkey.example.org. TXT',
    'prereq yxrrset old._domainkey.example.org. TXT "v=DKIM1; p=OLD"',
    'prereq yxrrset _fleetplan.example.org. TXT "v=fleetplan1; dkim=old new"',
  ]);
  assert.deepEqual(ownedSelectors([['v=fleetplan1; dkim=a b bad"name']]), ['a', 'b'], 'a selector that is not a DNS label is never written');
  const none = await domainChanges({ domain: 'example.org', spf: 'v=spf1 mx -all', dkim: new Map() }, reader({ 'example.org.': [['v=spf1 mx -all']] }));
  assert.deepEqual(none, [], 'nothing to change');
});

test('dns: dns_update is checked before anything is read or sent; the key must be a tracked secret', () => {
  const secrets = new SecretRegistry();
  const key = new Secret(Buffer.alloc(32, 1).toString('base64'), secrets);
  const ok = updateTarget({ server: '192.0.2.53', key_name: 'fleet-key', key_secret: key }, 'mail.example.org', 'r1');
  assert.deepEqual({ ...ok, keySecret: String(ok.keySecret) }, {
    server: '192.0.2.53', port: 53, zone: 'mail.example.org', keyName: 'fleet-key', keyAlgorithm: 'hmac-sha256', keySecret: String(key), ttl: 3600,
  });
  assert.equal(updateTarget({ server: 'ns1.example.org', port: '5053', zone: 'example.org.', key_name: 'k', key_secret: key }, 'mail.example.org', 'r1').zone, 'example.org');
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ server: '192.0.2.53', key_name: 'k', key_secret: 'c2VjcmV0' }, /host r1: dns_update \(for mail\.example\.org\): key_secret must be a secret: !secret, !vault or !secret_env/],
    [{ server: '192.0.2.53', key_name: 'k', key_secret: new Secret('not base64!', secrets) }, /key_secret is not base64/],
    [{ server: '192.0.2.53; rm', key_name: 'k', key_secret: key }, /server must be an IP address or a host name/],
    [{ server: '192.0.2.53', key_name: 'k\nsend', key_secret: key }, /key_name "k\\nsend" is not a DNS name/],
    [{ server: '192.0.2.53', zone: 'example.net', key_name: 'k', key_secret: key }, /the domain is not in zone example\.net/],
    [{ server: '192.0.2.53', key_name: 'k', key_secret: key, key_algorithm: 'hmac-md5' }, /key_algorithm must be one of hmac-sha1, /],
    [{ server: '192.0.2.53', key_name: 'k', key_secret: key, port: 0 }, /port must be a whole number from 1 to 65535, not 0/],
    [{ server: '192.0.2.53', key_name: 'k', key_secret: key, proto: 'tcp' }, /unknown key 'proto'/],
    [{ key_name: 'k', key_secret: key }, /server is required/],
  ];
  for (const [value, message] of bad) {
    assert.throws(() => updateTarget(value, 'mail.example.org', 'r1'), (e: unknown) => e instanceof InputError && message.test(e.describe()), String(message));
  }
  assert.throws(() => updateTarget({ server: '192.0.2.53', zone: 'example.org', key_name: 'k', key_secret: key }, 'x\nsend.example.org', 'r1'), /the mail domain "x\\nsend\.example\.org" is not a DNS name/);
});

test('dns: a key value from a host cannot add commands to the update: every byte stays inside its quoted string', async () => {
  const hostile = 'v=DKIM1; p=A"\nupdate add evil.example.org. 60 IN TXT "x\\';
  const changes = await domainChanges({ domain: 'example.org', dkim: new Map([['s1', hostile]]) }, reader({}));
  const commands = updateCommands(changes, 60);
  assert.ok(commands.every((c) => !c.includes('\n')), 'one command a line');
  assert.ok(commands.includes('update add s1._domainkey.example.org. 60 IN TXT "v=DKIM1; p=A\\"\\010update add evil.example.org. 60 IN TXT \\"x\\\\"'), commands.join('\n'));
  await assert.rejects(domainChanges({ domain: 'example.org', dkim: new Map([['s1 evil', 'v=DKIM1']]) }, reader({})), /DKIM selector "s1 evil" of example\.org is not a DNS label/);
});
