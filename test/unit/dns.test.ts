import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGenkeyTxt, spfForRelay, txtRecord, zoneFor } from '../../src/dns/records.js';

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
