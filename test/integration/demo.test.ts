// `npm run demo` (test/fleet/demo.ts) as an operator runs it, on all five personalities: it must end
// with exit 0, and what it prints per host must be what issue 18 promises — TLS to the smarthost, the
// relay's own ACME certificate (issued by pebble, its chain verified against pebble's root and its
// name against the relay's myhostname), the SASL identity the smarthost saw, and DKIM, SPF and DMARC
// passing against the records the demo published to its BIND9. The demo writes verify's JSON to
// DEMO_RESULT; the table it prints is checked against the same facts. About 50 s on a quiet 2-core
// machine (the timeout leaves room for a loaded one).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { PERSONALITIES } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { repoRoot } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const dir = mkdtempSync('/tmp/fleetplan-demo-test-');
after(() => rmSync(dir, { recursive: true, force: true }));

/** The demo's host per personality (one each, `up({ count: 1 })`). */
const HOSTS: Record<(typeof PERSONALITIES)[number], string> = {
  'debian-systemd': 'deb-systemd-1',
  'debian-sysv': 'deb-sysv-1',
  freebsd: 'freebsd-1',
  centos6: 'c6-1',
  centos7: 'c7-1',
};

/** The demo as a child; a cancelled test (timeout) sends it SIGINT, on which it tears its fleet down. */
function runDemo(result: string, signal: AbortSignal): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist/test/fleet/demo.js')], {
      cwd: repoRoot,
      env: { ...process.env, DEMO_RESULT: result, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
      killSignal: 'SIGINT',
    });
    child.on('error', () => undefined);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

test('the demo: certificates from pebble, DNS published, and every personality verified — TLS + certificate, SASL, DKIM, SPF, DMARC', { skip, timeout: 600_000 }, async (t) => {
  const result = path.join(dir, 'verify.json');
  const r = await runDemo(result, t.signal);
  assert.equal(r.code, 0, r.stdout.slice(-4000) + r.stderr.slice(-4000));
  const json = JSON.parse(readFileSync(result, 'utf8'));
  assert.deepEqual(Object.keys(json.hosts).sort(), PERSONALITIES.map((p) => HOSTS[p]).sort());
  assert.deepEqual([json.summary.passed, json.summary.failed, json.summary.unreachable], [5, 0, 0]);
  for (const p of PERSONALITIES) {
    const host = HOSTS[p];
    const v = json.hosts[host];
    assert.deepEqual(v.problems, [], `${p}: ${host}`);
    assert.equal(v.tls.version, 'TLSv1.3', host);
    const cert = v.smtpdCertificate;
    assert.deepEqual([cert.ok, cert.name, cert.subject], [true, `${host}.example.org`, `CN=${host}.example.org`], `${host}: ${JSON.stringify(cert)}`);
    assert.match(cert.issuer, /^CN=Pebble Intermediate CA /, host);
    assert.ok(cert.daysLeft > 30, `${host}: ${cert.daysLeft} days left`);
    assert.equal(v.sasl, 'relayuser', host);
    assert.deepEqual([v.auth.dkim.result, v.auth.dkim.selector, v.auth.dkim.domain], ['pass', host, 'example.org'], host);
    assert.deepEqual([v.auth.spf.result, v.auth.dmarc.result, v.queue.empty], ['pass', 'pass', true], host);
    // The table the demo prints: one row per host with the same results.
    assert.match(r.stdout, new RegExp(`\\n${host} +ok +TLSv1\\.3 +OK CN=${host}\\.example\\.org, \\d+ d +relayuser +pass +pass +pass +empty\\n`), host);
  }
  // The steps an operator reads: certificates issued on the apply, nothing left on the re-run, records published.
  assert.match(r.stdout, /changed +acme_certificate: certificate issued or renewed \(certbot, DNS-01\)/);
  assert.match(r.stdout, /4\. Apply again[^\n]*\n(?:.*\n)*?5 host\(s\) in [0-9.]+ m?s: 5 ok, 0 changed, 0 failed, 0 unreachable/);
  assert.match(r.stdout, /published \d+ change\(s\) \(serial \d+ -> \d+\)/);
  assert.match(r.stdout, /Demo finished in \d+ s: the re-run changed nothing and every relay is verified\./);
});
