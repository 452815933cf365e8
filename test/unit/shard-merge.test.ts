// --shard i/n and `report merge` without hosts: the partition by host name is stable and complete,
// and the --json documents of four shards of a made-up run (test/unit/relay-run.ts), merged, give
// the console output, the JSON document and the HTML page of the run over all hosts — byte for
// byte once the timings are taken out. Shards of different runs, a shard missing or given twice
// are input errors naming the file. (On the fleet, with real shard processes:
// test/integration/shard-merge.test.ts.)
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import type { RunEvent } from '../../src/engine/events.js';
import { inShard, parseShard, shardOfHost } from '../../src/engine/shard.js';
import { ConsoleReporter } from '../../src/report/console.js';
import { hostValues, type ValuesOf } from '../../src/report/group.js';
import { HtmlReporter } from '../../src/report/html.js';
import { JsonReporter, type JsonDocument } from '../../src/report/json.js';
import { replayShards, shardDocument } from '../../src/report/replay.js';
import { FakeStream } from './fake-terminal.js';
import { runProcess } from '../run-process.js';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { testSecrets } from './report-events.js';
import { hostName, relayRun, selectorValues } from './relay-run.js';

const valuesOf: ValuesOf = (host, facts) => hostValues(host, facts, selectorValues(host));
const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-merge-'));
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fleetplan.js');
const cli = (args: string[]) => runProcess(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 30_000 });
after(() => rmSync(dir, { recursive: true, force: true }));

/** A shard's events: the run's, for its hosts only (its run-end with their counts). */
function shardEvents(events: RunEvent[], index: number, count: number): RunEvent[] {
  const mine = (h: string) => shardOfHost(h, count) === index;
  return events.flatMap((e): RunEvent[] => {
    if (e.type === 'run-start') return [{ ...e, hosts: e.hosts.filter(mine) }];
    if (e.type === 'run-end') return [{ ...e, summary: { ...e.summary, hosts: Object.fromEntries(Object.entries(e.summary.hosts).filter(([h]) => mine(h))) } }];
    const host = e.type === 'task-result' ? e.result.host : 'host' in e ? e.host : '';
    return mine(host) ? [e] : [];
  });
}

function outputs(events: RunEvent[], o: { valuesOf: ValuesOf; shard?: { label: string; hosts: string[] }; html?: string }) {
  const out = new FakeStream(false);
  const json = new FakeStream(false);
  const reporters = [
    new ConsoleReporter({ diff: true, verbose: false, out, color: false, live: false, valuesOf: o.valuesOf }),
    new JsonReporter(json, { plan: 'relay.yml', valuesOf: o.valuesOf, shard: o.shard }),
    ...(o.html ? [new HtmlReporter({ file: o.html, plan: 'relay.yml', argv: ['apply', 'relay.yml'], version: '9.9.9', secrets: testSecrets, valuesOf: o.valuesOf })] : []),
  ];
  for (const e of events) for (const r of reporters) r.handle(e);
  return { console: out.text, json: json.text, html: o.html ? readFileSync(o.html, 'utf8') : '' };
}

/** Timings out: durations, the run's start, the page's writing time. */
const untimed = (text: string) =>
  text
    .replace(/"(ms|started)": ("[^"]*"|\d+)/g, '"$1": 0')
    .replace(/\d+(\.\d+)? (ms|s|min)\b/g, 'T')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g, 'DATE');

describe('--shard i/n', () => {
  it('parses i/n with 1 ≤ i ≤ n', () => {
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
    assert.deepEqual(parseShard('1/1'), { index: 1, count: 1 });
    for (const bad of ['0/4', '5/4', '1/0', '2', '1/4/2', '-1/4', ' 1/4', '1/99999']) assert.equal(parseShard(bad), undefined, bad);
  });

  it('every host in exactly one shard, by its name alone: adding hosts moves none', () => {
    const names = Array.from({ length: 1000 }, (_, k) => hostName(k + 1));
    const before = new Map(names.map((n) => [n, shardOfHost(n, 4)]));
    const sizes = [1, 2, 3, 4].map((i) => inShard(new Map(names.map((n) => [n, n])), { index: i, count: 4 }).size);
    assert.equal(sizes.reduce((a, b) => a + b), 1000);
    for (const s of sizes) assert.ok(s > 200 && s < 300, `balanced: ${sizes.join(', ')}`);
    const more = [...names, ...Array.from({ length: 500 }, (_, k) => `new-${k}`)];
    for (const n of names) assert.equal(shardOfHost(n, 4), before.get(n));
    assert.ok(more.every((n) => [1, 2, 3, 4].filter((i) => shardOfHost(n, 4) === i).length === 1));
    // Order kept within a shard (inventory order).
    const picked = [...inShard(new Map(names.map((n) => [n, 1])), { index: 3, count: 4 }).keys()];
    assert.deepEqual(picked, names.filter((n) => shardOfHost(n, 4) === 3));
  });
});

describe('report merge', () => {
  const run = relayRun(40);
  const all = (run[0] as Extract<RunEvent, { type: 'run-start' }>).hosts;
  const shards = [1, 2, 3, 4].map((i) => {
    const o = outputs(shardEvents(run, i, 4), { valuesOf, shard: { label: `${i}/4`, hosts: all } });
    return shardDocument(`shard-${i}.json`, JSON.parse(o.json));
  });

  it('four shards merged print what one run over all hosts prints: console, JSON, page', () => {
    assert.ok(shards.every((s) => Object.keys(s.doc.hosts).length > 0 && Object.keys(s.doc.hosts).length < 40));
    const single = outputs(run, { valuesOf, html: path.join(dir, 'single.html') });
    const merged = replayShards(shards);
    const m = outputs(merged.events, { valuesOf: merged.valuesOf, html: path.join(dir, 'merged.html') });
    assert.equal(untimed(m.json), untimed(single.json));
    assert.equal(untimed(m.console), untimed(single.console));
    assert.equal(untimed(m.html), untimed(single.html));
    // Not vacuous: the run has groups, host values, a failure and an unreachable host.
    const doc = JSON.parse(m.json) as JsonDocument;
    assert.deepEqual(doc.groups.map((g) => g.count), [35, 1, 36, 36, 1]);
    assert.ok(m.console.includes('relay0007: UNREACHABLE'));
    assert.equal(doc.run.shard, undefined);
    assert.deepEqual(doc.run.hosts, all);
  });

  it('shards of another run, a missing or repeated shard: input errors naming the file', () => {
    const err = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof InputError && re.test(e.describe()));
    err(() => replayShards(shards.slice(0, 3)), /host\(s\) of the run are in no input \(a shard missing\?\): relay/);
    err(() => replayShards([...shards, { ...shards[1]!, file: 'again.json' }]), /^again\.json: host relay\d+ is also in shard-2\.json/);
    const dry = { file: 'real.json', doc: { ...shards[3]!.doc, check: false } };
    err(() => replayShards([...shards.slice(0, 3), dry]), /^real\.json: a real run, unlike shard-1\.json/);
    const other = { file: 'other.json', doc: { ...shards[3]!.doc, run: { ...shards[3]!.doc.run, hosts: all.slice(1) } } };
    err(() => replayShards([...shards.slice(0, 3), other]), /^other\.json: a run over other hosts/);
    err(() => shardDocument('x.json', { check: true, hosts: {}, summary: {} }), /^x\.json: not a fleetplan --json document of a run: no "run" section/);
    err(() => shardDocument('y.json', [1]), /^y\.json: .*not a JSON object/);
  });

  it('the command line: a bad --shard is a usage error (exit 2); a bad input file is invalid input (exit 4) naming it', async () => {
    for (const bad of ['0/4', '5/4', 'x']) {
      const r = await cli(['apply', 'plan.yml', '--shard', bad]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /option '--shard <i\/n>' argument '[^']*' is invalid\. Expected i\/n with n from 1 to 10000/);
    }
    writeFileSync(path.join(dir, 'empty.json'), '');
    const empty = await cli(['report', 'merge', 'empty.json']);
    assert.equal(empty.code, 4);
    assert.match(empty.stderr, /^error: empty\.json: not JSON: /);
    const none = await cli(['report', 'merge', 'nothing-here.json']);
    assert.equal(none.code, 4);
    assert.match(none.stderr, /^error: nothing-here\.json: cannot read: ENOENT/);
    // The merged run's exit code: host 13 failed in the made-up run.
    const files = shards.map((s, k) => {
      const f = path.join(dir, `s${k}.json`);
      writeFileSync(f, JSON.stringify(s.doc));
      return f;
    });
    const merged = await cli(['report', 'merge', ...files]);
    assert.equal(merged.code, 2, merged.stderr);
    assert.match(merged.stdout, /^relay0013 +ok=0 changed=3 failed=1 skipped=0$/m);
  });
});
