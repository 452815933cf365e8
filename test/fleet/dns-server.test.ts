// The test fleet's BIND9 (dns-server.ts): it serves its zones on its own loopback address, accepts
// dynamic updates signed with its TSIG key only, keeps a journal, and stop() ends named.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startDnsServer, type DnsServer } from './dns-server.js';
import { skipOrFail } from './prereqs.js';

const reason = process.getuid?.() !== 0 ? 'the test DNS server needs root (its address registry is in /run)'
  : !existsSync('/usr/sbin/named') ? 'bind9 is not installed (npm test installs it)' : undefined;
const skip = reason ? skipOrFail(reason) : false;

const out = skip ? '' : mkdtempSync('/tmp/fleetplan-dns-test-');
const servers: DnsServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  if (out) rmSync(out, { recursive: true, force: true });
});

function dig(s: DnsServer, ...args: string[]): string {
  const r = spawnSync('dig', [`@${s.address}`, '-p', String(s.port), '+short', '+time=2', '+tries=1', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

function nsupdate(s: DnsServer, secret: string, commands: string[]): { status: number | null; out: string } {
  const input = [`server ${s.address} ${s.port}`, `key ${s.tsig.algorithm}:${s.tsig.name} ${secret}`, ...commands, 'send', ''].join('\n');
  const r = spawnSync('nsupdate', ['-t', '5'], { input, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('fleet BIND9: serves its zones on its own loopback address, signed updates only, stop ends it', { skip, timeout: 60_000 }, async () => {
  const [a, b] = await Promise.all([
    startDnsServer({ out, zones: ['fleet.test', 'example.com'] }),
    startDnsServer({ out, zones: ['fleet.test'], tsig: { name: 'ops-key', algorithm: 'hmac-sha256', secret: Buffer.alloc(32, 7).toString('base64') } }),
  ]);
  servers.push(a, b);
  assert.match(a.address, /^127\.0\.53\.\d+$/);
  assert.notEqual(a.address, b.address, 'two servers never share an address');
  assert.equal(b.tsig.name, 'ops-key');
  assert.equal(a.tsig.algorithm, 'hmac-sha256');
  assert.equal(Buffer.from(a.tsig.secret, 'base64').length, 32, 'a generated key has 32 random bytes');
  assert.match(dig(a, 'SOA', 'example.com'), /^ns\.example\.com\. hostmaster\.example\.com\. 1 /);
  assert.equal(await a.serial('fleet.test'), 1);
  const wildcard = spawnSync('dig', ['@127.0.0.1', '-p', String(a.port), '+time=1', '+tries=1', 'SOA', 'fleet.test'], { encoding: 'utf8' });
  assert.notEqual(wildcard.status, 0, 'named listens on its own address only, not on 127.0.0.1');

  const added = nsupdate(a, a.tsig.secret, ['zone fleet.test', 'update add probe.fleet.test. 300 IN TXT "hello" "world"']);
  assert.equal(added.status, 0, added.out);
  assert.equal(dig(a, 'TXT', 'probe.fleet.test'), '"hello" "world"');
  assert.equal(await a.serial('fleet.test'), 2, 'an update bumps the serial');
  assert.ok(existsSync(join(a.dir, 'fleet.test.zone.jnl')), 'the update is journalled in the server dir');
  assert.equal(dig(b, 'TXT', 'probe.fleet.test'), '', 'the other server has its own zone data');

  const forged = nsupdate(a, Buffer.alloc(32, 1).toString('base64'), ['zone fleet.test', 'update add forged.fleet.test. 300 IN TXT "x"']);
  assert.notEqual(forged.status, 0);
  assert.match(forged.out, /NOTAUTH|BADSIG|tsig verify failure/i, forged.out);
  assert.equal(dig(a, 'TXT', 'forged.fleet.test'), '');
  const unsigned = spawnSync('nsupdate', ['-t', '5'], { input: `server ${a.address} ${a.port}\nzone fleet.test\nupdate add u.fleet.test. 300 IN TXT "x"\nsend\n`, encoding: 'utf8' });
  assert.match(unsigned.stdout + unsigned.stderr, /REFUSED/);

  const pid = JSON.parse(readFileSync(`/run/fleetplan-dns/${a.address}`, 'utf8')).named as number;
  await a.stop();
  await a.stop(); // idempotent
  assert.ok(!existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'), 'named has exited');
  assert.ok(!existsSync(`/run/fleetplan-dns/${a.address}`), 'its address is released');
  const lo = spawnSync('ip', ['-4', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }).stdout;
  assert.ok(!lo.includes(`${a.address}/32`), 'and removed from lo');
  assert.ok(lo.includes(`${b.address}/32`));
  await assert.rejects(a.serial('fleet.test'));
  assert.equal(await b.serial('fleet.test'), 1, 'stopping one server leaves the other running');
});
