// The relay plans proven on the wire, on every OS personality: after relay.yml, a message sent with
// the host's own sendmail reaches a smarthost (in the host's namespace) over TLS, authenticated as
// the configured user, with a DKIM signature that verifies against the key `fleetplan dns --publish`
// sent to the fleet's BIND9 (resolved from it, test/fleet/dns-server.ts).
// A re-run changes nothing; a new relay password changes exactly the password map, and only the
// postmap and reload handlers run; no password ever appears in anything fleetplan prints.
// Then the OS-specific plans of seeds 000 (CentOS) and 002 (FreeBSD, from ports) on fresh hosts; the
// FreeBSD seed's DKIM key is published to a BIND9 of its own by `fleetplan dns --publish` and the
// signature checked against what that server answers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startDnsServer, type DnsServer } from '../fleet/dns-server.js';
import { down, PERSONALITIES, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, repoRoot, tasksWith, type CliResult } from './cli.js';
import { parseZoneTxt, verifyDkim } from './dkim.js';
import { writeRelayInventory } from './relay-inventory.js';
import { startSmarthost, type Smarthost } from './smarthost.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-relay-');
const plan = (name: string) => path.join(repoRoot, 'plans', name);
const PW1 = 'Initial-relay-Pa55word';
const PW2 = 'Rotated-relay-Pa55word';

let fleet: Fleet;
let dnsServer: DnsServer;
let seedFleet: Fleet | undefined;
let seedDns: DnsServer | undefined;
const smarthosts = new Map<string, Smarthost>();
const printed: CliResult[] = [];

async function run(args: string[]): Promise<CliResult> {
  const r = await fleetplan(args);
  printed.push(r);
  return r;
}

async function startSmarthosts(f: Fleet, password: string, only?: string[]) {
  for (const h of f.hosts.filter((x) => !only || only.includes(x.name))) {
    await smarthosts.get(h.name)?.stop();
    const dir = path.join(out, 'smarthost', h.name);
    smarthosts.set(h.name, await startSmarthost({ netnsPid: h.pid, users: { relayuser: password }, dir: `${dir}-${Date.now()}` }));
  }
}

/** Sends one message with the host's sendmail and returns what the smarthost received. */
async function sendThrough(f: Fleet, host: string, subject: string) {
  const sh = smarthosts.get(host)!;
  const before = (await sh.messages()).length;
  const msg = `From: ops@example.org\nTo: someone@example.net\nSubject: ${subject}\n\nrelayed by ${host}\n`;
  const r = await f.exec(host, `printf '%s' '${msg}' | sendmail -f ops@example.org someone@example.net`);
  assert.equal(r.code, 0, `${host}: sendmail: ${r.stderr}`);
  try {
    const all = await sh.waitForMessages(before + 1, 60_000);
    return all[before]!;
  } catch (err) {
    const q = await f.exec(host, 'mailq 2>&1 | tail -5; tail -20 /var/log/postfix.log /var/log/maillog 2>/dev/null');
    throw new Error(`${host}: no message reached the smarthost: ${(err as Error).message}\n${q.stdout}`);
  }
}

before(async () => {
  if (skip) return;
  fleet = await up({ os: [...PERSONALITIES], count: 1, out: path.join(out, 'fleet') });
  dnsServer = await startDnsServer({ out, zones: ['example.org'] });
  await startSmarthosts(fleet, PW1);
});
after(async () => {
  if (!out) return;
  for (const s of smarthosts.values()) await s.stop().catch(() => undefined);
  await dnsServer?.stop();
  await seedDns?.stop();
  await down(path.join(out, 'fleet')).catch(() => undefined);
  if (seedFleet) await down(path.join(out, 'seeds')).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

let inventory: string;
let zone: Record<string, string>;

test('relay.yml: check predicts the apply on every OS', { skip }, async () => {
  const { address, port, tsig } = dnsServer;
  const dnsUpdate = `{ server: ${address}, port: ${port}, key_name: ${tsig.name}, key_secret: !secret ${JSON.stringify(tsig.secret)} }`;
  inventory = writeRelayInventory(fleet, path.join(out, 'relay-inventory.yml'), { relayPassword: PW1, extraVars: { dns_update: dnsUpdate } });
  const check = await run(['apply', plan('relay.yml'), '-i', inventory, '--check', '--diff', '--json']);
  assert.equal(check.code, 0, check.stderr);
  const applied = await run(['apply', plan('relay.yml'), '-i', inventory, '--json']);
  assert.equal(applied.code, 0, applied.stderr + JSON.stringify(applied.json?.hosts, null, 1).slice(0, 3000));
  for (const h of fleet.hosts) {
    assert.deepEqual(tasksWith(applied.json, h.name, 'failed'), [], h.name);
    assertPredicted(check.json, applied.json, h.name);
    // A restart handler whose service a later task started is skipped, in the dry run as in the run;
    // the mail test below proves the started services run with the new configuration.
    const superseded = (json: any) =>
      json.hosts[h.name].tasks.filter((t: any) => t.handler && /\(re\)started it after the change/.test(t.reason ?? '')).map((t: any) => `${t.name}=${t.status}`);
    // Where the dry run could plan the service start (the package was there already), it predicts the
    // skip exactly; on a host where the start depends on a package install, it says "would run".
    const startsKnown = !check.json.hosts[h.name].tasks.some((t: any) => t.operation === 'service' && !t.handler && t.depends_on);
    if (startsKnown) assert.deepEqual(superseded(check.json), superseded(applied.json), `${h.name}: the dry run predicts the skipped handlers`);
    else for (const s of superseded(check.json)) assert.ok(superseded(applied.json).includes(s), `${h.name}: ${s} predicted, not done`);
    for (const t of applied.json.hosts[h.name].tasks.filter((x: any) => x.handler && /\(re\)started it/.test(x.reason ?? ''))) {
      const by = /^nothing to do: '(.+)' \(re\)started it/.exec(t.reason)![1];
      const starter = applied.json.hosts[h.name].tasks.find((x: any) => x.name === by);
      assert.equal(starter?.status, 'changed', `${h.name}: ${t.name} skipped because of '${by}'`);
      assert.ok(starter.commands.some((c: string) => /\b(start|restart|onestart|onerestart)\b/.test(c)), `${h.name}: '${by}' started a service: ${starter.commands}`);
    }
    if (h.os === 'debian-systemd') assert.deepEqual(superseded(applied.json), ['restart postfix=ok', 'restart opendkim=ok'], h.name);
  }
});

test('fleetplan dns prints every host key, SPF with the smarthost and DMARC', { skip }, async () => {
  const r = await run(['dns', plan('relay.yml'), '-i', inventory]);
  assert.equal(r.code, 0, r.stderr);
  zone = parseZoneTxt(r.stdout);
  for (const h of fleet.hosts) assert.match(zone[`${h.name}._domainkey.example.org`] ?? '', /^v=DKIM1; .*p=MII/, h.name);
  assert.equal(zone['example.org'], 'v=spf1 ip4:127.0.0.1 ~all');
  assert.equal(zone['_dmarc.example.org'], 'v=DMARC1; p=none; rua=mailto:postmaster@example.org');
  const published = await run(['dns', plan('relay.yml'), '-i', inventory, '--publish']);
  assert.equal(published.code, 0, published.stderr);
  assert.match(published.stdout, /published \d+ change\(s\)/);
});

test('mail flows: TLS, SASL as the configured user, DKIM signature verifies', { skip }, async () => {
  for (const h of fleet.hosts) {
    const m = await sendThrough(fleet, h.name, `first from ${h.name}`);
    assert.equal(m.user, 'relayuser', h.name);
    assert.equal(m.secure, true, `${h.name}: over TLS`);
    const raw = Buffer.from(m.raw, 'base64');
    const dkim = await verifyDkim(raw, dnsServer);
    assert.equal(dkim.pass, true, `${h.name}: DKIM ${dkim.result} ${dkim.comment ?? ''}`);
    assert.equal(dkim.selector, h.name);
    assert.equal(dkim.domain, 'example.org');
  }
});

test('re-run: zero changes', { skip }, async () => {
  const r = await run(['apply', plan('relay.yml'), '-i', inventory, '--json']);
  assert.equal(r.code, 0, r.stderr);
  for (const h of fleet.hosts) assert.deepEqual(tasksWith(r.json, h.name, 'changed'), [], h.name);
});

test('password rotation: only the map changes, postmap and reload run, mail flows with the new password', { skip }, async () => {
  const rotated = writeRelayInventory(fleet, path.join(out, 'relay-inventory-2.yml'), { relayPassword: PW2 });
  await startSmarthosts(fleet, PW2);
  const r = await run(['apply', plan('relay.yml'), '-i', rotated, '--json', '--diff']);
  assert.equal(r.code, 0, r.stderr);
  for (const h of fleet.hosts) {
    assert.deepEqual(tasksWith(r.json, h.name, 'changed'), ['SASL password for the smarthost', 'handler:postmap sasl_passwd', 'handler:reload postfix'], h.name);
    const diff = r.json.hosts[h.name].tasks.find((t: any) => t.name === 'SASL password for the smarthost').diff[0];
    assert.deepEqual([diff.before, diff.after, diff.masked], [null, null, 'secret'], 'neither the new nor the old password is shown');
    const st = await fleet.exec(h.name, 'stat -c "%a %U" $(postconf -h config_directory)/sasl_passwd $(postconf -h config_directory)/sasl_passwd.db');
    assert.equal(st.stdout, '600 root\n600 root\n', `${h.name}: password map and its .db stay 0600`);
    const m = await sendThrough(fleet, h.name, `after rotation from ${h.name}`);
    assert.equal(m.user, 'relayuser');
  }
});

test('template mode and a per-domain transport (seed 003): whole main.cf from the template, mail still flows', { skip }, async () => {
  const hosts = ['deb-systemd-1', 'c6-1', 'freebsd-1'];
  const extra = JSON.stringify({ postfix_mode: 'template', relay_transports: [{ domain: 'example.net', transport: 'smtp:[127.0.0.1]:2525' }] });
  const rotated = path.join(out, 'relay-inventory-2.yml');
  const args = ['apply', plan('relay.yml'), '-i', rotated, '--limit', hosts.join(','), '-e', extra, '--json'];
  const r = await run(args);
  const failures = Object.entries(r.json?.hosts ?? {}).flatMap(([h, v]: [string, any]) => v.tasks.filter((t: any) => t.status === 'failed').map((t: any) => `${h}: ${t.name}: ${t.error}`));
  assert.equal(r.code, 0, r.stderr + failures.join('\n'));
  for (const h of hosts) {
    const changed = tasksWith(r.json, h, 'changed');
    // Postfix is restarted on the new main.cf inside postfix_relay's block (its rescue puts the old one
    // back if Postfix refuses it), so the restart handler has nothing left to do.
    for (const t of ["main.cf from the role's template", 'Postfix restarted on the new main.cf', 'per-domain relays (transport map)', 'handler:postmap transport']) {
      assert.ok(changed.includes(t), `${h}: ${t} in ${JSON.stringify(changed)}`);
    }
    const handler = r.json.hosts[h].tasks.find((t: any) => t.handler && t.name === 'restart postfix');
    assert.deepEqual([handler?.status, handler?.reason], ['ok', "nothing to do: 'Postfix restarted on the new main.cf' (re)started it after the change that notified this handler"], h);
    const st = await fleet.exec(h, 'd=$(postconf -h config_directory); head -n 1 $d/main.cf; postfix check && echo check-ok; test -s $d/transport.db && echo transport.db; postconf -h transport_maps');
    assert.match(st.stdout, /^# Managed by fleetplan \(postfix_relay role, template mode\)[^\n]*\ncheck-ok\ntransport\.db\nhash:\S+\/transport\n$/, `${h}: ${st.stdout}${st.stderr}`);
    const m = await sendThrough(fleet, h, `template mode from ${h}`);
    assert.equal(m.user, 'relayuser');
    assert.equal((await verifyDkim(Buffer.from(m.raw, 'base64'), dnsServer)).pass, true, h);
  }
  const again = await run(args);
  for (const h of hosts) assert.deepEqual(tasksWith(again.json, h, 'changed'), [], `${h} re-run`);
});

test('seed plans: relay-centos.yml (seed 000) and relay-freebsd.yml (seed 002, ports) on fresh hosts', { skip }, async () => {
  seedFleet = await up({ os: ['centos6', 'centos7', 'freebsd'], count: 1, out: path.join(out, 'seeds') });
  await startSmarthosts(seedFleet, PW1);
  // A zone's primary of their own: the seed hosts' names are the main fleet's, their keys are not.
  seedDns = await startDnsServer({ out, zones: ['example.org'] });
  const { address, port, tsig } = seedDns;
  const dnsUpdate = `{ server: ${address}, port: ${port}, key_name: ${tsig.name}, key_secret: !secret ${JSON.stringify(tsig.secret)} }`;
  const inv = writeRelayInventory(seedFleet, path.join(out, 'seed-inventory.yml'), { relayPassword: PW1, extraVars: { dns_update: dnsUpdate } });
  for (const p of ['relay-centos.yml', 'relay-freebsd.yml']) {
    const check = await run(['apply', plan(p), '-i', inv, '--check', '--json']);
    assert.equal(check.code, 0, check.stderr);
    const applied = await run(['apply', plan(p), '-i', inv, '--json']);
    assert.equal(applied.code, 0, `${p}: ${applied.stderr}${JSON.stringify(applied.json?.hosts, null, 1).slice(0, 4000)}`);
    const again = await run(['apply', plan(p), '-i', inv, '--json']);
    for (const h of seedFleet.hosts) {
      assertPredicted(check.json, applied.json, h.name);
      assert.deepEqual(tasksWith(again.json, h.name, 'changed'), [], `${p} ${h.name} re-run`);
    }
  }
  // seed 000: the plaintext password file is gone, the map stays 0600, sendmail off, postfix on.
  for (const name of ['c6-1', 'c7-1']) {
    const st = await seedFleet.exec(name, 'test -e /etc/postfix/sasl_passwd && echo plaintext; stat -c "%a" /etc/postfix/sasl_passwd.db; postconf -h smtp_sasl_mechanism_filter inet_protocols');
    assert.equal(st.stdout, '600\nplain\nipv4\n', name);
    const m = await sendThrough(seedFleet, name, `seed 000 from ${name}`);
    assert.equal(m.user, 'relayuser');
    assert.equal(m.secure, true);
  }
  // seed 002: built from ports, unix-socket milters, postfix in mailnull, SPF policy in master.cf.
  const bsd = await seedFleet.exec(
    'freebsd-1',
    "pkg query -a '%o' | grep -c '^mail/'; id -Gn postfix | tr ' ' '\\n' | grep -x mailnull; postconf -h smtpd_milters; grep -c '^policy' /usr/local/etc/postfix/master.cf; grep -c check_policy_service /usr/local/etc/postfix/main.cf",
  );
  assert.equal(bsd.stdout, '4\nmailnull\nunix:/var/run/milteropendkim/socket, unix:/var/run/opendmarc/socket\n1\n1\n', bsd.stderr);
  const published = await run(['dns', plan('relay-freebsd.yml'), '-i', inv, '--publish']);
  assert.equal(published.code, 0, published.stderr);
  assert.match(published.stdout, /\+ freebsd-1\._domainkey\.example\.org\. \d+ IN TXT "v=DKIM1; /);
  const m = await sendThrough(seedFleet, 'freebsd-1', 'seed 002');
  const dkim = await verifyDkim(Buffer.from(m.raw, 'base64'), seedDns);
  assert.equal(dkim.pass, true, `freebsd seed plan DKIM: ${dkim.result} ${dkim.comment ?? ''}`);
  // A milter that runs but lost its socket: nothing to start, so no wait — the assert reads the
  // socket's stat from the play's state, and fails the run and its dry run alike.
  const socket = '/var/run/milteropendkim/socket';
  await seedFleet.exec('freebsd-1', `mv ${socket} ${socket}.moved`);
  try {
    for (const mode of [['--check'], []]) {
      const r = await run(['apply', plan('relay-freebsd.yml'), '-i', inv, '--limit', 'freebsd-1', '--json', ...mode]);
      assert.equal(r.code, 2, `${mode}: ${r.stderr}`);
      const tasks = r.json.hosts['freebsd-1'].tasks;
      assert.equal(tasks.find((t: any) => t.name === 'OpenDKIM listens on its socket').status, 'skipped', `${mode}`);
      const failed = tasks.filter((t: any) => t.status === 'failed');
      assert.deepEqual(failed.map((t: any) => t.name), ['OpenDKIM answers'], `${mode}`);
      assert.equal(failed[0].error, `OpenDKIM does not listen on local:${socket}: see its log (syslog, facility mail)`, `${mode}`);
    }
  } finally {
    await seedFleet.exec('freebsd-1', `mv ${socket}.moved ${socket}`);
  }
});

test('no relay password in anything fleetplan printed', { skip }, () => {
  assert.ok(printed.length >= 8);
  for (const r of printed) {
    for (const pw of [PW1, PW2]) {
      const where = [r.stdout, r.stderr].map((t) => t.indexOf(pw)).map((i, k) => (i < 0 ? '' : `${k ? 'stderr' : 'stdout'}: …${(k ? r.stderr : r.stdout).slice(Math.max(0, i - 300), i + 40)}…`)).join('');
      assert.equal(where, '', `password printed by a run`);
    }
  }
});
