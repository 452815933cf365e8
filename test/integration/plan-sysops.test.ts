// The system operations of issue 17 on real hosts of three personalities (debian-sysv, centos7,
// freebsd): sysctl, cron, debconf (test/integration/fixtures/sysops-plan.yml) and package repositories
// with update_cache / cache_valid_time (sysops-repos.yml). Each plan: check → nothing touched → apply
// changes exactly what check predicted → the hosts' own files and tools show the result → a re-run
// changes nothing.
//
// The hosts' network namespaces hold only `lo`, so the sysctls changed are per-namespace ones
// (net.ipv4.*), and the controller's own value is checked untouched. The base image has no cron: on
// the Debian and FreeBSD hosts the test installs a stand-in crontab(1) speaking the real one's
// protocol (`-u user -l`: the table, or "no crontab for user" and exit 1; `-u user -`: the table from
// stdin), so what is tested is fleetplan's side of it; /etc/cron.d is cron's own format on every host.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, repoRoot, tasksWith } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-sysops-');
const fixtures = path.join(repoRoot, 'test/integration/fixtures');
let fleet: Fleet;

const CRONTAB_STANDIN = `#!/bin/sh
# stand-in for crontab(1) (test/integration/plan-sysops.test.ts)
[ "$1" = -u ] || { echo "usage: crontab -u user -l|-" >&2; exit 1; }
f=/var/spool/cron/crontabs/$2
case "$3" in
  -l) [ -f "$f" ] || { echo "no crontab for $2" >&2; exit 1; }; cat "$f" ;;
  -) mkdir -p /var/spool/cron/crontabs && cat > "$f.new" && mv "$f.new" "$f" ;;
  *) echo "usage" >&2; exit 1 ;;
esac
`;

const SETUP: Record<string, string> = {
  'debian-sysv': 'for d in extra second; do mkdir -p /srv/$d-repo && : > /srv/$d-repo/Packages; done',
  centos7: 'true',
  freebsd: 'true',
};

const controllerForwarding = () => readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
let forwardingBefore = '';

before(async () => {
  if (skip) return;
  forwardingBefore = controllerForwarding();
  fleet = await up({ os: ['debian-sysv', 'centos7', 'freebsd'], count: 1, out });
  for (const h of fleet.hosts) {
    const crontab = h.os === 'centos7' ? '' : `printf '%s' '${CRONTAB_STANDIN.replace(/'/g, `'\\''`)}' > /usr/local/bin/crontab && chmod 0755 /usr/local/bin/crontab`;
    const r = await fleet.exec(h.name, [SETUP[h.os]!, crontab].filter(Boolean).join(' && '));
    assert.equal(r.code, 0, `${h.name}: setup: ${r.stderr}`);
  }
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

/** One host's files and tools, as a string to compare before and after. */
const SYSOPS_STATE =
  'sysctl -n net.ipv4.ip_forward; cat /etc/sysctl.d/99-fleetplan.conf /etc/sysctl.conf /etc/cron.d/fleet-cleanup /var/spool/cron/crontabs/fleet 2>/dev/null | grep -v "^#\\|^$"; ' +
  'if command -v debconf-communicate >/dev/null && [ -e /etc/debian_version ]; then printf "GET postfix/mailname\\nGET postfix/main_mailer_type\\nGET fleet/relay_password\\n" | debconf-communicate 2>/dev/null; fi';

async function hostState(name: string): Promise<string> {
  return (await fleet.exec(name, SYSOPS_STATE)).stdout;
}

/** check → nothing touched → apply = check → `verify` → re-run: nothing changes. */
async function checkApplyRerun(plan: string, verify: (host: string, os: string, state: string) => void, touched: (name: string) => Promise<string> = hostState, secret?: string) {
  const before = Object.fromEntries(await Promise.all(fleet.hosts.map(async (h) => [h.name, await touched(h.name)] as const)));
  const checked = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--check', '--json']);
  assert.equal(checked.code, 0, checked.stderr + checked.stdout);
  for (const h of fleet.hosts) {
    assert.deepEqual(tasksWith(checked.json, h.name, 'failed'), [], `${h.name}: ${JSON.stringify(checked.json.hosts[h.name])}`);
    assert.ok(tasksWith(checked.json, h.name, 'changed').length > 0, `${h.name}: the dry run predicts changes`);
    assert.equal(await touched(h.name), before[h.name], `${h.name}: untouched by the dry run`);
  }
  const applied = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--json']);
  assert.equal(applied.code, 0, applied.stderr + applied.stdout);
  if (secret) for (const r of [checked, applied]) assert.ok(!(r.stdout + r.stderr).includes(secret), 'a password answer never appears in a report');
  for (const h of fleet.hosts) {
    assert.deepEqual(tasksWith(applied.json, h.name, 'failed'), [], `${h.name}: ${JSON.stringify(applied.json.hosts[h.name])}`);
    assertPredicted(checked.json, applied.json, h.name);
    verify(h.name, h.os, await touched(h.name));
  }
  const again = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--json']);
  assert.equal(again.code, 0, again.stderr);
  for (const h of fleet.hosts) assert.deepEqual(tasksWith(again.json, h.name, 'changed'), [], `${h.name}: the re-run changes nothing`);
  return checked.json;
}

test('sysctl, cron, debconf: check → apply → zero-change re-run on each personality', { skip }, async () => {
  const checked = await checkApplyRerun(path.join(fixtures, 'sysops-plan.yml'), (host, os, state) => {
    const lines = state.trim().split('\n');
    const cronFile = ['30 2 * * * root find /var/tmp -name \'*.old\' -delete'];
    const expected: Record<string, string[]> = {
      'debian-sysv': ['1', 'net.ipv4.ip_forward = 1', ...cronFile, 'MAILTO=postmaster@fleet.test', '*/15 * * * * /usr/local/bin/rotate-logs', '0 relay.fleet.test', '0 Satellite system', '0 Tr0ub4dor&3'],
      centos7: ['1', 'net.ipv4.ip_forward = 1', ...cronFile],
      // FreeBSD keeps its settings in /etc/sysctl.conf (its comments filtered out above).
      freebsd: ['1', 'net.ipv4.ip_forward=1', ...cronFile, 'MAILTO=postmaster@fleet.test', '*/15 * * * * /usr/local/bin/rotate-logs'],
    };
    assert.deepEqual(lines, expected[os], `${host}:\n${state}`);
  }, hostState, 'Tr0ub4dor&3');
  // The dry run said what it would do, per task (a diff of the cron file, the running value's change).
  const deb = checked.hosts['deb-sysv-1'].tasks;
  const forward = deb.find((t: any) => t.name === 'forward IPv4');
  assert.deepEqual(forward.commands, ['sysctl -q -w -- net.ipv4.ip_forward=1']);
  assert.equal(forward.diff[0].after, 'net.ipv4.ip_forward = 1\n');
  const crontab = deb.find((t: any) => t.name === "log rotation in fleet's crontab");
  assert.equal(crontab.diff[0].path, 'crontab -u fleet');
  assert.equal(crontab.diff[0].after, '#fleetplan: rotate\n*/15 * * * * /usr/local/bin/rotate-logs\n');
  assert.equal(checked.hosts['c7-1'].tasks.find((t: any) => t.name === 'mailname answer').status, 'skipped');
  // The hosts' namespaces changed, never the controller's.
  assert.equal(controllerForwarding(), forwardingBefore, "the controller's own net.ipv4.ip_forward is untouched");
  // The cron.d file is cron's format: the disabled @reboot entry commented out, both by marker.
  const cronD = await fleet.exec('c7-1', 'cat /etc/cron.d/fleet-cleanup');
  assert.equal(cronD.stdout, "#fleetplan: tmp cleanup\n30 2 * * * root find /var/tmp -name '*.old' -delete\n#fleetplan: boot report\n#@reboot nobody /usr/local/bin/boot-report\n");
});

test('debconf on a host that is not Debian: the error names host and task', { skip }, async () => {
  const plan = path.join(out, 'debconf-elsewhere.yml');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(plan, 'name: debconf elsewhere\nhosts: c7-1\ntasks:\n  - name: mailname\n    debconf: { name: postfix, question: postfix/mailname, vtype: string, value: x }\n');
  const r = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--check', '--json']);
  assert.notEqual(r.code, 0);
  // Refused while the play is prepared, before anything is read or changed on the host.
  assert.equal(r.json.hosts['c7-1'].failed, 1);
  assert.match(r.json.hosts['c7-1'].error, /debconf-elsewhere.yml:4:5, host c7-1, task 'mailname': debconf exists only on Debian .*c7-1 is centos 7.*when: \{facts.os_family: Debian\}/);
});

const REPO_STATE =
  'cat /etc/apt/sources.list.d/fleet-extra.list /etc/apt/sources.list.d/fleet-second.sources /etc/yum.repos.d/epel.repo /etc/yum.repos.d/fleet.repo /usr/local/etc/pkg/repos/*.conf 2>/dev/null; ' +
  'ls /var/lib/apt/lists 2>/dev/null | grep -c "_srv_\\(extra\\|second\\)-repo_._Packages"; ' +
  'ls /var/lib/apt/periodic/update-success-stamp /var/cache/yum/fleetplan-makecache-stamp /var/db/pkg/fleetplan-update-stamp 2>/dev/null';

test('package repositories and update_cache: check → apply → zero-change re-run, offline', { skip }, async () => {
  const repoState = async (name: string) => (await fleet.exec(name, REPO_STATE)).stdout;
  await checkApplyRerun(
    path.join(fixtures, 'sysops-repos.yml'),
    (host, os, state) => {
      const expect: Record<string, RegExp[]> = {
        // apt-get update fetched both new repositories' indexes (2 list files) and the stamp was touched.
        'debian-sysv': [/^deb \[trusted=yes signed-by=\/etc\/apt\/keyrings\/fleet-extra.asc\] file:\/srv\/extra-repo \.\/$/m, /^URIs: file:\/srv\/second-repo$/m, /^2$/m, /update-success-stamp/],
        centos7: [/^\[epel\]\nname=Extra Packages for Enterprise Linux 7 - \$basearch\n/m, /^enabled=0$/m, /^\[fleet-mirror\]$/m, /fleetplan-makecache-stamp/],
        freebsd: [/^FreeBSD: \{\n {2}enabled: no\n\}$/m, /^ {2}url: "file:\/\/\/var\/cache\/pkg",$/m, /fleetplan-update-stamp/],
      };
      for (const re of expect[os]!) assert.match(state, re, `${host}:\n${state}`);
    },
    repoState,
  );
});

test('reboot: the dry run never reboots and defers what follows; apply reboots, waits for the new boot, re-reads the host', { skip }, async () => {
  const plan = path.join(fixtures, 'sysops-reboot.yml');
  const bootId = async () => (await fleet.exec('deb-sysv-1', 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();
  const first = await bootId();
  const checked = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--check', '--json']);
  assert.equal(checked.code, 0, checked.stderr + checked.stdout);
  const tasks = checked.json.hosts['deb-sysv-1'].tasks;
  assert.equal(tasks.find((t: any) => t.name === 'reboot').status, 'changed');
  assert.equal(tasks.find((t: any) => t.name === 'the file on /run again').depends_on, 'reboot', 'a dry run cannot know what the reboot leaves');
  assert.equal(await bootId(), first, 'the dry run did not reboot');
  const applied = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--json']);
  assert.equal(applied.code, 0, applied.stderr + applied.stdout);
  assertPredicted(checked.json, applied.json, 'deb-sysv-1');
  assert.deepEqual(tasksWith(applied.json, 'deb-sysv-1', 'changed'), ['a file on /run', 'reboot', 'the file on /run again'], 'the file went with the reboot and came back');
  const after = await fleet.exec('deb-sysv-1', 'cat /proc/sys/kernel/random/boot_id; cat /run/fleet-marker; wc -l < /var/log/fleet-shutdown.log; test -e /var/run/fleetplan/lock && echo locked || echo unlocked');
  const [boot, marker, shutdowns, lock] = after.stdout.trim().split('\n');
  assert.notEqual(boot, first, 'a new boot');
  assert.equal(marker, 'before');
  assert.equal(shutdowns, '1', 'shutdown -r ran once');
  assert.equal(lock, 'unlocked', 'the run lock taken again after the reboot was released at the end');
  // What the earlier plans persisted survives it (the overlay is the disk).
  const persisted = await fleet.exec('deb-sysv-1', 'cat /etc/sysctl.d/99-fleetplan.conf');
  assert.equal(persisted.stdout, 'net.ipv4.ip_forward = 1\n');
});
