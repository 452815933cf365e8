// Grouped output at 1000 hosts (synthetic engine events, test/unit/relay-run.ts): each distinct
// change once with the hosts that share it, the hosts' own values (name, hostname, fqdn, a host
// variable) as placeholders that do not split groups, the variant of three hosts as "3 hosts
// differ", the same groups whatever order hosts finish in — in the console, in --json's "groups"
// (the per-host section unchanged) and in the report's "Changes" section.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { RunEvent } from '../../src/engine/events.js';
import { ConsoleReporter } from '../../src/report/console.js';
import { ChangeGrouper, groupRecord, hostsCount, hostValues, Normaliser, type ValuesOf } from '../../src/report/group.js';
import { HtmlReporter } from '../../src/report/html.js';
import { JsonReporter, type JsonDocument } from '../../src/report/json.js';
import { RunRecorder } from '../../src/report/run-record.js';
import { FakeStream, replay } from './fake-terminal.js';
import { byClass, parsePage, text } from './html-dom.js';
import { FACTS, testSecrets, write } from './report-events.js';
import type { Facts } from '../../src/facts/facts.js';
import { SecretRegistry } from '../../src/core/secret.js';
import type { Inventory, InventoryHost } from '../../src/load/model.js';
import { inventoryValues } from '../../src/report/inventory-values.js';
import { hostName, ODD, relayRun, selectorOf, selectorValues } from './relay-run.js';

const valuesOf: ValuesOf = (host, facts) => hostValues(host, facts, selectorValues(host));
const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-grouped-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function consoleOf(events: RunEvent[], extra: { diff?: boolean; group?: boolean; verbose?: boolean } = {}): string[] {
  const out = new FakeStream(false);
  const r = new ConsoleReporter({ diff: extra.diff ?? true, verbose: extra.verbose ?? false, out, color: false, group: extra.group, valuesOf, now: () => 0 });
  for (const e of events) r.handle(e);
  return replay(out.text).lines;
}

function jsonOf(events: RunEvent[]): JsonDocument {
  const out = new FakeStream(false);
  const r = new JsonReporter(out, { valuesOf });
  for (const e of events) r.handle(e);
  return JSON.parse(out.text) as JsonDocument;
}

describe('grouped output', () => {
  const events = relayRun(1000);

  it('placeholders replace whole values only, longest first', () => {
    const n = new Normaliser({ '{host}': 'relay1', '{fqdn}': 'relay1.mx.example.net', '{vars.port}': '25' });
    assert.equal(n.text('myhostname = relay1.mx.example.net\nalias relay1, relay10, xrelay1\n'), 'myhostname = {fqdn}\nalias {host}, relay10, xrelay1\n');
    // Values shorter than 3 characters are never replaced ("25" is everywhere).
    assert.equal(n.text('port 25'), 'port 25');
    // Two names for one value: the first placeholder given names it.
    assert.equal(new Normaliser({ '{host}': 'mx1.example', '{fqdn}': 'mx1.example' }).text('at mx1.example'), 'at {host}');
    assert.deepEqual([hostsCount(412, false), hostsCount(3, true), hostsCount(1, true), hostsCount(1, false)], ['412 hosts', '3 hosts differ', '1 host differs', '1 host']);
  });

  it("a host's own variables: those every host sets, not all alike; never a secret or a template", () => {
    const host = (name: string, vars: Record<string, unknown>): [string, InventoryHost] => [name, { name, groups: ['all'], vars, pos: { file: 'inv.yml' } }];
    const inventory: Inventory = {
      file: 'inv.yml',
      files: ['inv.yml'],
      varsDirs: [],
      groups: new Map(),
      hosts: new Map([
        host('a1', { selector: 'sa', port: 25, region: 'eu', relayhost: '[other]:25', pw: 'hunter22', tpl: '{{x}}-a' }),
        host('a2', { selector: 'sb', port: 25, region: 'us', pw: 'hunter33', tpl: '{{x}}-b' }),
      ]),
    };
    const secrets = new SecretRegistry();
    secrets.register('hunter22');
    const of = inventoryValues(inventory, ['a1', 'a2'], secrets);
    // relayhost: only a1 sets it (an override, a real difference); port: the same on both; a1's pw is a known secret.
    assert.deepEqual(of('a1'), { '{host}': 'a1', '{vars.selector}': 'sa', '{vars.region}': 'eu' });
    assert.deepEqual(of('a2'), { '{host}': 'a2', '{vars.selector}': 'sb', '{vars.region}': 'us', '{vars.pw}': 'hunter33' });
  });

  it('1000 hosts: one group per distinct change, host values as placeholders, the odd three as a variant', () => {
    const rec = new RunRecorder();
    for (const e of events) rec.handle(e);
    const groups = groupRecord(rec.record.hosts.values(), valuesOf);
    const summary = groups.map((g) => `${g.task}: ${g.hosts.length}`);
    // 1000 hosts: 1 unreachable, 98 already right (every tenth but 10 and 500), 901 to change.
    assert.deepEqual(summary, ['main.cf: 898', 'main.cf: 3', 'opendkim.conf: 901', 'restart postfix: 901', 'postfix check: 1']);
    const [mainCf, odd, dkim] = groups;
    assert.deepEqual(odd!.hosts, ODD);
    assert.equal(mainCf!.changes[0]!.diff!.after, 'myhostname = {fqdn}\nrelayhost = [smtp.example.org]:587\n');
    assert.deepEqual(mainCf!.values[hostName(1)], { '{fqdn}': 'relay0001.mx.example.net' });
    assert.equal(Object.keys(mainCf!.values).length, 898, 'each host of the group has its values');
    assert.equal(dkim!.changes[0]!.diff!.after, 'Selector {vars.dkim_selector}\nKeyFile /etc/dkimkeys/{vars.dkim_selector}.private\n');
    assert.deepEqual(dkim!.values[hostName(42)], { '{vars.dkim_selector}': selectorOf(hostName(42)) });
    assert.equal(groups[4]!.error, 'postfix/postfix-script: fatal: {host}: bad myhostname');
  });

  it("1000 hosts: a file listing every host's address (TrustedHosts) is one group, though each host's own value is in it", () => {
    // Each host's address is its own value twice over (a fact and an inventory variable every host
    // sets), and each host's TrustedHosts contains it among the others': replacing it by its
    // placeholder would make 1000 texts of one. The same text on every host is one group as it is.
    const names = Array.from({ length: 1000 }, (_, k) => hostName(k + 1));
    const address = (i: number) => `10.0.${i >> 8}.${i & 255}`;
    const listed = `127.0.0.1\n${names.map((_, i) => address(i)).join('\n')}\n`;
    const of: ValuesOf = (host, facts) => hostValues(host, facts, { '{vars.ssh_host}': address(names.indexOf(host)) });
    const grouper = new ChangeGrouper(names);
    const base = { play: 'relays', role: 'opendkim', op: 'template', handler: false, check: true, ms: 2 } as const;
    // Every host's opendkim.conf names its own address: that one does group by the placeholder.
    const conf = (i: number) => `Socket inet:8891@${address(i)}\n`;
    for (const [i, host] of [...names.entries()].reverse()) {
      const facts = { ...FACTS, hostname: host, default_ipv4: { address: address(i), interface: 'eth0' } } as Facts;
      const odd = i === 500 ? `${listed}192.0.2.99\n` : listed;
      grouper.add(host, [
        { ...base, host, task: 'TrustedHosts', status: 'changed', changes: [write('/etc/opendkim/TrustedHosts', null, odd)] },
        { ...base, host, task: 'opendkim.conf', status: 'changed', changes: [write('/etc/opendkim.conf', null, conf(i))] },
      ], of(host, facts));
    }
    const groups = grouper.groups();
    assert.deepEqual(groups.map((g) => `${g.task}: ${g.hosts.length}`), ['TrustedHosts: 999', 'TrustedHosts: 1', 'opendkim.conf: 1000']);
    const [all, odd, dkim] = groups;
    assert.equal(all!.changes[0]!.diff!.after, listed, 'the text as every host has it, no placeholder');
    assert.deepEqual(all!.values, {});
    assert.deepEqual(all!.hosts, names.filter((_, i) => i !== 500), 'inventory order');
    assert.deepEqual(odd!.hosts, [names[500]]);
    assert.equal(dkim!.changes[0]!.diff!.after, 'Socket inet:8891@{address}\n');
    assert.deepEqual(dkim!.values[names[2]!], { '{address}': address(2) });
  });

  it('the same groups whatever order the hosts finish in', () => {
    const byInventory = new ChangeGrouper(Array.from({ length: 50 }, (_, k) => hostName(k + 1)));
    const reversed = new ChangeGrouper(Array.from({ length: 50 }, (_, k) => hostName(k + 1)));
    const rec = new RunRecorder();
    for (const e of relayRun(50)) rec.handle(e);
    const hosts = [...rec.record.hosts.values()];
    for (const h of hosts) byInventory.add(h.name, h.tasks, valuesOf(h.name, h.facts));
    for (const h of hosts.reverse()) reversed.add(h.name, h.tasks, valuesOf(h.name, h.facts));
    assert.deepEqual(reversed.groups(), byInventory.groups());
  });

  it('console: grouped by default over 10 hosts, each change once; the output does not grow with the hosts', () => {
    const lines = consoleOf(relayRun(1000, (names) => [...names].reverse()));
    const at = lines.indexOf('CHANGES (1000 hosts; each distinct change once, with the hosts that share it)');
    assert.ok(at > 0, lines.join('\n'));
    const heads = lines.filter((l) => /^(would change|would run|failed) /.test(l));
    assert.equal(heads.length, 5, heads.join('\n'));
    assert.match(heads[0]!, /^would change +postfix_relay: main\.cf {2}898 hosts: relay0001, relay0002, .* … and \d+ more$/);
    assert.equal(heads[1], 'would change postfix_relay: main.cf  3 hosts differ: relay0010, relay0500, relay0999');
    assert.match(heads[3]!, /^would run +handler postfix_relay: restart postfix {2}901 hosts: /);
    assert.ok(lines.includes('     myhostname = {fqdn}'), 'the diff with the placeholder');
    assert.ok(lines.includes('    +relayhost = [smtp2.example.org]:2525'));
    assert.ok(lines.some((l) => /^ {4}relay0001 {2}\{fqdn\}=relay0001\.mx\.example\.net$/.test(l)), 'the host values column');
    assert.ok(lines.includes(`    … and 893 more host(s): each host's values are in --json ("groups") and --report`));
    // Grouped: no block per changed host; the unreachable host's own error is still printed.
    assert.ok(!lines.slice(0, at).some((l) => /^relay\d{4} +ok=/.test(l)), lines.slice(0, at).join('\n'));
    assert.ok(lines.some((l) => l.startsWith('relay0007: UNREACHABLE')));
    // The recap names the failed and unreachable hosts, and the changed ones in one line.
    const recap = lines.slice(lines.indexOf('RECAP (dry run: nothing was changed)'));
    assert.deepEqual(recap.filter((l) => /^relay\d{4} +ok=/.test(l)).map((l) => l.split(' ')[0]), [hostName(7), hostName(13)]);
    assert.match(recap.find((l) => l.startsWith('900 host(s) would change: '))!, /^900 host\(s\) would change: relay0001, .* … and \d+ more \(--verbose lists each\)$/);
    assert.ok(lines.length < 100, `${lines.length} lines for 1000 hosts`);
  });

  it('console: --no-group prints a block per changed host; --verbose alone is per host too', () => {
    const perHost = consoleOf(relayRun(30), { group: false, diff: false });
    assert.ok(!perHost.some((l) => l.startsWith('CHANGES')));
    const blocks = perHost.slice(0, perHost.indexOf('RECAP (dry run: nothing was changed)'));
    // 30 hosts: 27 changed, one of them failed (relay0013: FAILED).
    assert.equal(blocks.filter((l) => /^relay\d{4} {2}ok=/.test(l)).length, 26, 'a block for each changed host');
    assert.ok(blocks.includes('relay0013: FAILED  ok=0 changed=3 failed=1 skipped=0'));
    assert.ok(!consoleOf(relayRun(30), { verbose: true }).some((l) => l.startsWith('CHANGES')));
    assert.ok(consoleOf(relayRun(3), { group: true }).some((l) => l.startsWith('CHANGES (3 hosts')), '--group on a small run');
    assert.ok(!consoleOf(relayRun(10)).some((l) => l.startsWith('CHANGES')), '10 hosts: per host by default');
  });

  it('--json: a "groups" section beside the unchanged per-host data', () => {
    const doc = jsonOf(events);
    assert.equal(Object.keys(doc.hosts).length, 1000);
    const t = doc.hosts[hostName(1)]!.tasks[0]!;
    assert.equal(t.diff![0]!.after, 'myhostname = relay0001.mx.example.net\nrelayhost = [smtp.example.org]:587\n', 'the exact per-host diff');
    assert.deepEqual(
      doc.groups.map((g) => [g.name, g.count]),
      [['main.cf', 898], ['main.cf', 3], ['opendkim.conf', 901], ['restart postfix', 901], ['postfix check', 1]],
    );
    assert.deepEqual(doc.groups[1]!.hosts, ODD);
    assert.deepEqual(doc.groups[1]!.values![hostName(500)], { '{fqdn}': 'relay0500.mx.example.net' });
    assert.deepEqual(doc.groups[3]!.commands, ['systemctl restart postfix']);
    assert.equal(doc.groups[3]!.values, undefined, 'no host value in the command');
  });

  it('report: a "Changes" section, each group with its hosts and their values', () => {
    const file = path.join(dir, 'run.html');
    const r = new HtmlReporter({ file, plan: 'relay.yml', argv: ['apply'], version: '9.9.9', secrets: testSecrets, valuesOf });
    for (const e of events) r.handle(e);
    const { doc, errors } = parsePage(readFileSync(file, 'utf8'));
    assert.deepEqual(errors, []);
    const groups = byClass(doc, 'group');
    assert.equal(groups.length, 5);
    assert.deepEqual(byClass(groups[1]!, 'count').map(text), ['3 hosts differ']);
    assert.match(text(groups[0]!), /\+relayhost = \[smtp\.example\.org\]:587/);
    const values = byClass(groups[0]!, 'values')[0]!;
    assert.match(text(values), /relay0001relay0001\.mx\.example\.net/);
  });
});
