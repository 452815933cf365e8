// What the bundled relay roles do with the plan language (issue 17), on real hosts of three init
// systems (SysV, systemd, FreeBSD's rc):
// - every role ends with an assert that its service answers; a dry run on fresh hosts is not failed
//   by them (they are deferred on the start they depend on), the apply passes them, and on the
//   zero-change re-run they are evaluated in the dry run too;
// - opendkim's TrustedHosts and spf_policy's skip table list every host of the relay group, the same
//   files on every host;
// - postfix_relay puts the previous main.cf back and fails the host, quoting Postfix, when Postfix
//   refuses a new main.cf that `postconf` (the role's validate) accepts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, repoRoot, tasksWith } from './cli.js';
import { writeRelayInventory } from './relay-inventory.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-roles-checks-');
const plan = path.join(repoRoot, 'plans', 'relay.yml');
const ALL_ROLES = JSON.stringify({ dmarc_enabled: true, spf_enabled: true });
/** The final checks of each role: probe (or wait) tasks and the assert reading them. */
const ASSERTS = ['sendmail no longer runs', 'Postfix runs', 'OpenDKIM answers', 'OpenDMARC answers', 'SPF policy service answers'];

/** The probes the asserts read after a start, stop or install: executed only then. */
const PROBES = ['sendmail daemons left (pgrep)', 'Postfix answers (postfix status)', 'OpenDKIM listens on its port', 'OpenDMARC listens on its port', 'policy service in master.cf and its daemon'];

let fleet: Fleet;
let inventory: string;

before(async () => {
  if (skip) return;
  fleet = await up({ os: ['debian-sysv', 'centos7', 'freebsd'], count: 1, out: path.join(out, 'fleet') });
  inventory = writeRelayInventory(fleet, path.join(out, 'inventory.yml'), { relayPassword: 'Checks-Pa55word' });
});
after(async () => {
  if (!out) return;
  await down(path.join(out, 'fleet')).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

const task = (json: any, host: string, name: string) => json.hosts[host].tasks.find((t: any) => t.name === name && !t.handler);
const failures = (json: any) =>
  Object.entries(json?.hosts ?? {}).flatMap(([h, v]: [string, any]) => v.tasks.filter((t: any) => t.status === 'failed').map((t: any) => `${h}: ${t.name}: ${t.error}`));
const mainCf = async (host: string) => (await fleet.exec(host, 'cat "$(postconf -h config_directory)/main.cf"')).stdout;

let check: any;

test('dry run on fresh hosts: the final asserts are deferred on the starts, never failed', { skip }, async () => {
  const r = await fleetplan(['apply', plan, '-i', inventory, '-e', ALL_ROLES, '--check', '--json']);
  assert.equal(r.code, 0, r.stderr + failures(r.json).join('\n'));
  check = r.json;
  for (const h of fleet.hosts) {
    // Deferred where the start it checks would change the host (sendmail: only where one runs).
    const sendmailStops = task(check, h.name, 'sendmail stopped and not started at boot').status === 'changed';
    for (const name of ASSERTS) {
      const t = task(check, h.name, name);
      assert.ok(t, `${h.name}: ${name} reported`);
      assert.equal(t.status, 'ok', `${h.name}: ${name}: ${t.status} ${t.reason ?? t.error}`);
      const deferred = name !== 'sendmail no longer runs' || sendmailStops;
      assert.equal(/^deferred: depends on '/.test(t.reason ?? ''), deferred, `${h.name}: ${name}: ${t.reason}`);
    }
    // The probes are read-only: deferred, they are not reported as changes.
    const probe = task(check, h.name, 'Postfix answers (postfix status)');
    assert.deepEqual([probe.status, /^deferred: depends on '/.test(probe.reason)], ['ok', true], `${h.name}: ${JSON.stringify(probe)}`);
    // No failure happens in the dry run itself: the rescue is reported as what it is.
    const rescue = task(check, h.name, 'the previous main.cf put back');
    assert.deepEqual([rescue.status, rescue.reason], ['skipped', 'runs only if a task in the block fails'], h.name);
  }
});

test('apply: every final assert passes; the dry run predicted the apply', { skip }, async () => {
  const r = await fleetplan(['apply', plan, '-i', inventory, '-e', ALL_ROLES, '--json']);
  assert.equal(r.code, 0, r.stderr + failures(r.json).join('\n'));
  for (const h of fleet.hosts) {
    assertPredicted(check, r.json, h.name);
    for (const name of ASSERTS) assert.equal(task(r.json, h.name, name)?.status, 'ok', `${h.name}: ${name}`);
    const st = await fleet.exec(h.name, 'postfix status');
    assert.equal(st.code, 0, `${h.name}: ${st.stderr}`);
  }
});

test('TrustedHosts and the SPF skip table list every relay of the group, the host too: the same files on every host', { skip }, async () => {
  // group_addresses: the relays at their inventory address, one list for the whole run (a relay
  // trusting its own address adds nothing: mail from the host itself comes from 127.0.0.1 or it).
  const all = fleet.hosts.map((x) => x.address);
  const texts = new Set<string>();
  for (const h of fleet.hosts) {
    const dir = h.os === 'freebsd' ? '/usr/local/etc/mail/opendkim' : '/etc/opendkim';
    const trusted = (await fleet.exec(h.name, `cat ${dir}/TrustedHosts`)).stdout;
    // In the group's order (the inventory's), not the fleet's.
    assert.deepEqual(trusted.split('\n').filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l)).sort(), ['127.0.0.1', ...all].sort(), h.name);
    const skipTable = (await fleet.exec(h.name, 'cat "$(postconf -h config_directory)/spf_policy_skip.cidr"')).stdout;
    assert.deepEqual(skipTable.split('\n').filter((l) => l && !l.startsWith('#')).sort(), all.map((a) => `${a} OK`).sort(), h.name);
    texts.add(trusted).add(skipTable);
    const restrictions = (await fleet.exec(h.name, 'postconf -h smtpd_recipient_restrictions')).stdout;
    assert.match(restrictions, /check_client_access cidr:\S+\/spf_policy_skip\.cidr, check_policy_service unix:private\/policy/, h.name);
  }
  // One TrustedHosts and one skip table for the whole fleet (the grouped dry run shows each once).
  assert.equal(texts.size, 2, [...texts].join('\n---\n'));
});

test('re-run: zero changes, and its dry run evaluates the asserts on the running services', { skip }, async () => {
  const again = await fleetplan(['apply', plan, '-i', inventory, '-e', ALL_ROLES, '--json']);
  assert.equal(again.code, 0, again.stderr + failures(again.json).join('\n'));
  const dry = await fleetplan(['apply', plan, '-i', inventory, '-e', ALL_ROLES, '--check', '--json']);
  assert.equal(dry.code, 0, dry.stderr + failures(dry.json).join('\n'));
  for (const h of fleet.hosts) {
    assert.deepEqual(tasksWith(again.json, h.name, 'changed'), [], h.name);
    assert.deepEqual(tasksWith(dry.json, h.name, 'changed'), [], `${h.name} dry run`);
    for (const name of ASSERTS) {
      const t = task(dry.json, h.name, name);
      assert.equal(t.status, 'ok', `${h.name}: ${name}`);
      assert.doesNotMatch(t.reason ?? '', /deferred/, `${h.name}: ${name} is evaluated, nothing being started`);
    }
    // Nothing was started, stopped or installed: the asserts read the state the play read (the
    // services' status, the daemon's stat) and no probe is executed, in the run and in its dry run.
    for (const json of [again.json, dry.json]) {
      for (const name of PROBES) assert.equal(task(json, h.name, name)?.status, 'skipped', `${h.name}: ${name}`);
    }
  }
});

test('Postfix refuses a new main.cf: the previous one is back, Postfix runs on it, the host fails quoting Postfix', { skip }, async () => {
  // postconf (the role's validate) accepts any address; Postfix refuses one the host does not have.
  const bad = JSON.stringify({ dmarc_enabled: true, spf_enabled: true, postfix_extra_params: { inet_interfaces: '192.0.2.99' } });
  const before = new Map<string, string>();
  for (const h of fleet.hosts) before.set(h.name, await mainCf(h.name));

  // The dry run cannot know Postfix will refuse it: it shows the change and the restart, the rescue skipped.
  const dry = await fleetplan(['apply', plan, '-i', inventory, '-e', bad, '--check', '--json']);
  assert.equal(dry.code, 0, dry.stderr + failures(dry.json).join('\n'));
  for (const h of fleet.hosts) {
    assert.deepEqual(tasksWith(dry.json, h.name, 'changed'), ['main.cf extra parameters', 'Postfix restarted on the new main.cf', 'main.cf kept as the one Postfix runs on'], h.name);
    assert.equal(task(dry.json, h.name, 'the host fails, saying why').reason, 'runs only if a task in the block fails', h.name);
    assert.match(task(dry.json, h.name, 'Postfix runs').reason ?? '', /^deferred: depends on 'Postfix restarted on the new main\.cf'/, h.name);
    assert.equal(await mainCf(h.name), before.get(h.name), `${h.name}: the dry run changed nothing`);
  }

  const r = await fleetplan(['apply', plan, '-i', inventory, '-e', bad, '--json']);
  assert.equal(r.code, 2, r.stderr);
  for (const h of fleet.hosts) {
    const tasks = r.json.hosts[h.name].tasks;
    const failed = tasks.filter((t: any) => t.status === 'failed' && !t.rescued);
    assert.deepEqual(failed.map((t: any) => t.name), ['the host fails, saying why'], `${h.name}: ${JSON.stringify(failed)}`);
    assert.match(failed[0].error, /postfix check says: postfix: fatal: parameter inet_interfaces: no local interface found for 192\.0\.2\.99\./, h.name);
    assert.match(failed[0].error, /^Postfix refused the new main\.cf \('Postfix (restarted on the new main\.cf|runs on the new main\.cf \(postfix status\))': /, h.name);
    assert.match(failed[0].error, /The previous main\.cf is back/, h.name);
    // What failed in the block is reported, caught by the rescue.
    assert.ok(tasks.some((t: any) => t.rescued && /^Postfix r/.test(t.name)), `${h.name}: a rescued task`);
    assert.deepEqual(tasksWith(r.json, h.name, 'changed').slice(-2), ['the previous main.cf put back', 'Postfix restarted on the previous main.cf'], h.name);
    assert.equal(await mainCf(h.name), before.get(h.name), `${h.name}: main.cf is the previous bytes`);
    const st = await fleet.exec(h.name, 'postfix status && postconf -h inet_interfaces');
    assert.equal(st.code, 0, `${h.name}: Postfix runs on the previous main.cf: ${st.stderr}`);
    assert.equal(st.stdout.trim(), 'loopback-only', h.name);
  }

  // Fixed input: nothing to do — the previous main.cf is what the role wants.
  const fixed = await fleetplan(['apply', plan, '-i', inventory, '-e', ALL_ROLES, '--json']);
  assert.equal(fixed.code, 0, fixed.stderr + failures(fixed.json).join('\n'));
  for (const h of fleet.hosts) assert.deepEqual(tasksWith(fixed.json, h.name, 'changed'), [], h.name);
});

test('a policy daemon gone while its package stays installed: the no-change run and its dry run fail the assert', { skip }, async () => {
  const h = fleet.hosts.find((x) => x.os === 'debian-sysv')!;
  const daemon = '/usr/sbin/postfix-policyd-spf-perl';
  await fleet.exec(h.name, `mv ${daemon} ${daemon}.moved`);
  try {
    for (const mode of [['--check'], []]) {
      const r = await fleetplan(['apply', plan, '-i', inventory, '-e', ALL_ROLES, '--limit', h.name, '--json', ...mode]);
      assert.equal(r.code, 2, `${mode}: ${r.stderr}`);
      assert.equal(task(r.json, h.name, 'policy service in master.cf and its daemon')?.status, 'skipped', `${mode}: nothing installed, no probe`);
      assert.deepEqual(failures(r.json), [`${h.name}: SPF policy service answers: master.cf has no policy service, ${daemon} is missing, or main.cf's smtpd_recipient_restrictions do not call it (with postfix_keep_recipient_restrictions, they need a reject_unauth_destination)`], `${mode}`);
    }
  } finally {
    await fleet.exec(h.name, `mv ${daemon}.moved ${daemon}`);
  }
});
