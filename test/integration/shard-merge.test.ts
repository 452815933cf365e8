// Grouped output and sharded runs on real hosts (6 SysV test hosts): a dry run shows each distinct
// change once — the hosts' own fqdn and DKIM selector (a host variable) as placeholders, the one host
// with another smarthost as "1 host differs" — and four `--shard i/4` processes run in parallel, merged
// with `fleetplan report merge`, print what one unsharded run prints: console, JSON and HTML page,
// byte for byte once the timings are taken out (docs/scale.md "By hand").
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { shardOfHost } from '../../src/engine/shard.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-shard-');
let fleet: Fleet;
let inventory: string;
let plan: string;
/** The host with another smarthost. */
let odd: string;

const PLAN = `name: relay settings
hosts: all
tasks:
  - name: main.cf
    file:
      path: /etc/scale-test-main.cf
      content: "myhostname = {{facts.fqdn}}\\nrelayhost = {{relayhost}}\\n"
      mode: "0644"
  - name: opendkim.conf
    file:
      path: /etc/scale-test-opendkim.conf
      content: "Selector {{dkim_selector}}\\nKeyFile /etc/dkimkeys/{{dkim_selector}}.private\\n"
  - name: the same everywhere
    file:
      path: /etc/scale-test-same.conf
      content: "x = 1\\n"
`;

before(async () => {
  if (skip) return;
  fleet = await up({ os: 'debian-sysv', count: 6, out });
  odd = fleet.hosts[3]!.name;
  // Beside the fleet's inventory, whose paths are relative to its directory.
  inventory = path.join(out, 'scale-inventory.yml');
  const hosts = fleet.hosts.map((h, i) => {
    const extra = h.name === odd ? ', relayhost: "[smtp2.example.org]:2525"' : '';
    return `        ${h.name}: { ssh_host: ${h.address}, ssh_port: ${h.port}, dkim_selector: sel${i + 1}x${extra} }`;
  });
  // The smarthost for all, overridden by one host's own variable (play vars would win over both).
  const fleetInventory = readFileSync(fleet.inventoryPath, 'utf8').replace('  vars:\n', '  vars:\n    relayhost: "[smtp.example.org]:587"\n');
  writeFileSync(inventory, fleetInventory.replace(/(      hosts:\n)(.*\n)+/, `$1${hosts.join('\n')}\n`));
  plan = path.join(out, 'scale.yml');
  writeFileSync(plan, PLAN);
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

/** Timings (and which hosts were slowest), the run's start, the page's time and command line out. */
const untimed = (text: string) =>
  text
    .replace(/^slowest: .*\n/m, '')
    .replace(/"(ms|started)": ("[^"]*"|\d+)/g, '"$1": 0')
    .replace(/\d+(\.\d+)? (ms|s|min)\b/g, 'T')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g, 'DATE')
    .replace(/<dt>command<\/dt><dd class="mono">[^<]*<\/dd>/, '');

test('grouped dry run on the fleet: each change once, host values as placeholders, the odd host as a variant', { skip }, async () => {
  const r = await fleetplan(['apply', plan, '-i', inventory, '--check', '--diff', '--group', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const groups = r.json.groups as Array<{ name: string; count: number; hosts: string[]; diff: Array<{ after: string }>; values?: Record<string, Record<string, string>> }>;
  assert.deepEqual(groups.map((g) => [g.name, g.count]), [['main.cf', 5], ['main.cf', 1], ['opendkim.conf', 6], ['the same everywhere', 6]]);
  assert.deepEqual(groups[1]!.hosts, [odd]);
  assert.equal(groups[0]!.diff[0]!.after, 'myhostname = {fqdn}\nrelayhost = [smtp.example.org]:587\n');
  assert.equal(groups[1]!.diff[0]!.after, 'myhostname = {fqdn}\nrelayhost = [smtp2.example.org]:2525\n');
  assert.equal(groups[2]!.diff[0]!.after, 'Selector {vars.dkim_selector}\nKeyFile /etc/dkimkeys/{vars.dkim_selector}.private\n');
  const first = fleet.hosts[0]!.name;
  assert.deepEqual(groups[0]!.values![first], { '{fqdn}': `${first}.fleet.test` });
  assert.deepEqual(groups[2]!.values![first], { '{vars.dkim_selector}': 'sel1x' });
  assert.equal(groups[3]!.values, undefined);
  // The exact per-host diff is unchanged.
  const own = r.json.hosts[first].tasks[0].diff[0].after;
  assert.equal(own, `myhostname = ${first}.fleet.test\nrelayhost = [smtp.example.org]:587\n`);
  // The console (stderr under --json when it is not a terminal: not printed; ask again without --json).
  const c = await fleetplan(['apply', plan, '-i', inventory, '--check', '--group']);
  assert.match(c.stdout, new RegExp(`would change main\\.cf  5 hosts: .*\\nwould change main\\.cf  1 host differs: ${odd}\\n`));
  assert.match(c.stdout, /would change opendkim\.conf  6 hosts: /);
});

test('four shard processes merged = one run over all hosts: console, JSON, page', { skip }, async () => {
  const args = ['apply', plan, '-i', inventory, '--check', '--diff'];
  const single = await fleetplan([...args, '--group', '--json', '--report', path.join(out, 'single.html')]);
  assert.equal(single.code, 0, single.stderr);
  const singleConsole = await fleetplan([...args, '--group']);
  const shards = await Promise.all([1, 2, 3, 4].map((i) => fleetplan([...args, '--shard', `${i}/4`, '--json'])));
  const files = shards.map((s, k) => {
    assert.equal(s.code, 0, s.stderr);
    const hosts = Object.keys(s.json.hosts);
    assert.deepEqual(hosts, fleet.hosts.map((h) => h.name).filter((h) => shardOfHost(h, 4) === k + 1), `shard ${k + 1}/4: its hosts by name`);
    assert.equal(s.json.run.shard, `${k + 1}/4`);
    const f = path.join(out, `shard-${k + 1}.json`);
    writeFileSync(f, s.stdout);
    return f;
  });
  const merged = await fleetplan(['report', 'merge', ...files, '--json', '--diff', '--group', '--report', path.join(out, 'merged.html')]);
  assert.equal(merged.code, 0, merged.stderr);
  assert.equal(untimed(merged.stdout), untimed(single.stdout), 'the JSON document');
  const mergedConsole = await fleetplan(['report', 'merge', ...files, '--diff', '--group']);
  assert.equal(untimed(mergedConsole.stdout), untimed(singleConsole.stdout), 'the console');
  assert.equal(untimed(readFileSync(path.join(out, 'merged.html'), 'utf8')), untimed(readFileSync(path.join(out, 'single.html'), 'utf8')), 'the page');
  // A shard missing: refused, naming what is missing.
  const missing = await fleetplan(['report', 'merge', ...files.filter((_, k) => shards[k]!.json.summary.hosts > 0).slice(1)]);
  assert.equal(missing.code, 4, missing.stderr);
  assert.match(missing.stderr, /host\(s\) of the run are in no input \(a shard missing\?\)/);
});
