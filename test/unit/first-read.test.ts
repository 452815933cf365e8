// The first play's state read riding with the facts (src/engine/first-read.ts, facts-cache.ts): used
// only when the facts gathered are the ones the play was prepared from, read under this run's lock,
// never with a secret in the exec request; otherwise the play is read as before. Over the local
// connector, with real files in a temp directory.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { RunEvent, TaskResult } from '../../src/engine/events.js';
import { lockPath, newOwner } from '../../src/engine/host-lock.js';
import { runPlan } from '../../src/engine/run.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlan } from '../../src/load/plan.js';
import { SecretRegistry } from '../../src/core/secret.js';

const secrets = new SecretRegistry();
const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-first-read-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const inventoryFile = path.join(dir, 'inventory.yml');
const lockDir = path.join(dir, 'run-lock');
const cacheDir = path.join(dir, 'facts');
writeFileSync(inventoryFile, `all:\n  hosts:\n    me: { connection: local, token: !secret "s3cret-t0ken-value" }\n`);

async function run(planText: string, opts: { check?: boolean; cache?: boolean } = {}) {
  const file = path.join(dir, `plan-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, planText.replaceAll('DIR', dir));
  const events: RunEvent[] = [];
  const summary = await runPlan(
    loadPlan(file, { rolesPath: [], secrets }),
    loadInventory(inventoryFile, secrets),
    { check: opts.check ?? false, forks: 5, tags: [], skipTags: [], secrets, extraVars: {}, lockDir, ...(opts.cache === false ? {} : { factsCacheDir: cacheDir }) },
    (e) => events.push(e),
  );
  const results = events.flatMap((e) => (e.type === 'task-result' ? [e.result] : []));
  // The scripts run, in order, as --verbose shows them: label and exit status.
  const commands = events.flatMap((e) => (e.type === 'command' ? [`${e.command} ${e.exitCode}`] : []));
  return { summary, events, commands, statuses: results.map((r: TaskResult) => `${r.task}=${r.status}`) };
}

const PLAN = `
name: files
hosts: all
tasks:
  - name: a file
    file: { path: DIR/out/a.txt, content: "a {{facts.hostname}}\\n", mode: "0644" }
  - name: a directory
    directory: { path: DIR/out/d, mode: "0750" }
`;
const cacheFile = () => path.join(cacheDir, readdirSync(cacheDir)[0]!);

test('the first play is read with the facts when they are the last run’s, and reads what is there now', async () => {
  mkdirSync(path.join(dir, 'out'), { recursive: true });
  const first = await run(PLAN);
  assert.deepEqual(first.statuses, ['a file=changed', 'a directory=changed']);
  assert.deepEqual(first.commands.filter((c) => c.startsWith('read state')), ['read state: files 0'], 'no cache yet: read after the facts');
  assert.equal(readdirSync(cacheDir).length, 1, 'the facts are kept for the next run');
  const kept = readFileSync(cacheFile(), 'utf8');

  const again = await run(PLAN);
  assert.deepEqual(again.statuses, ['a file=ok', 'a directory=ok']);
  assert.deepEqual(again.commands.slice(0, 2), ['gather facts 0', 'read state: files (with the facts) 0'], again.commands.join('\n'));
  assert.equal(again.commands.filter((c) => c.startsWith('read state')).length, 1, 'read once');
  assert.equal(readFileSync(cacheFile(), 'utf8'), kept, 'the same facts: nothing written');

  // What changed on the host since is what the read ahead sees; a dry run reads ahead too.
  writeFileSync(path.join(dir, 'out/a.txt'), 'changed by hand\n');
  const check = await run(PLAN, { check: true });
  assert.deepEqual(check.statuses, ['a file=changed', 'a directory=ok']);
  assert.ok(check.commands.includes('read state: files (with the facts) 0'));
  const fixed = await run(PLAN);
  assert.deepEqual(fixed.statuses, ['a file=changed', 'a directory=ok']);
  assert.match(readFileSync(path.join(dir, 'out/a.txt'), 'utf8'), /^a \S+\n$/);
});

test('facts that differ from the kept ones: the play is prepared and read again from the real facts, and they are kept', async () => {
  mkdirSync(path.join(dir, 'out'), { recursive: true });
  await run(PLAN);
  const doc = JSON.parse(readFileSync(cacheFile(), 'utf8'));
  const real = doc.facts.hostname;
  writeFileSync(cacheFile(), JSON.stringify({ ...doc, facts: { ...doc.facts, hostname: 'another-host' } }));
  const r = await run(PLAN);
  assert.deepEqual(r.statuses, ['a file=ok', 'a directory=ok'], 'planned from the real hostname, not the kept one');
  const reads = r.commands.filter((c) => c.startsWith('read state'));
  assert.deepEqual(reads, ['read state: files (with the facts) 0', 'read state: files 0']);
  assert.equal(JSON.parse(readFileSync(cacheFile(), 'utf8')).facts.hostname, real);
  // A cache that is not ours to read (garbage) is no guess at all.
  writeFileSync(cacheFile(), '{"v": 1, "host": "me", "facts": [1]}');
  const g = await run(PLAN);
  assert.deepEqual(g.commands.filter((c) => c.startsWith('read state')), ['read state: files 0']);
});

test('the read ahead runs only under this run’s lock: a lock taken over after the facts is read again after it', async () => {
  await run(PLAN);
  const me = newOwner();
  mkdirSync(lockDir, { recursive: true, mode: 0o700 });
  // A lock left by a dead run of this controller (pid above Linux's pid_max): taken over in an exec of its own.
  writeFileSync(lockPath(lockDir), `v1 dead000000000000 ${me.user}@${me.host} pid 4194305\n`);
  const r = await run(PLAN);
  assert.equal(r.summary.hosts.me!.failed, 0);
  assert.deepEqual(r.commands.filter((c) => /read state|lock/.test(c)), [
    'read state: files (with the facts) 97',
    'take over stale run lock 0',
    'read state: files 0',
    'release run lock 0',
  ]);
});

test('a state read holding a secret never travels in the exec request: it is read after the facts, on stdin', async () => {
  const plan = PLAN.replace('path: DIR/out/a.txt', 'path: "DIR/out/{{token}}.txt"');
  await run(plan);
  const r = await run(plan);
  assert.deepEqual(r.statuses, ['a file=ok', 'a directory=ok']);
  assert.deepEqual(r.commands.filter((c) => c.startsWith('read state')), ['read state: files 0']);
  // Without a cache directory there is no guess.
  const off = await run(PLAN, { cache: false });
  assert.deepEqual(off.commands.filter((c) => c.startsWith('read state')), ['read state: files 0']);
});

test('the facts cache writes in the background and never fails the run: one whole file per host, no temporary left', async () => {
  const { FactsCache } = await import('../../src/engine/facts-cache.js');
  const cdir = path.join(dir, 'cache-direct');
  const cache = new FactsCache(cdir);
  const facts = (i: number) => ({ hostname: `h${i}`, system: 'Linux' }) as never;
  // Many writes at once, two of them for one host: each lands whole, the later one wins.
  await Promise.all([...Array.from({ length: 20 }, (_, i) => cache.write(`h${i}`, facts(i))), cache.write('h3', facts(33))]);
  assert.equal(readdirSync(cdir).length, 20, readdirSync(cdir).join(' '));
  assert.ok(readdirSync(cdir).every((f) => !f.startsWith('.')), 'no temporary file left');
  assert.equal(cache.read('h7')?.hostname, 'h7');
  assert.ok(['h3', 'h33'].includes(String(cache.read('h3')?.hostname)));
  // A directory that cannot be made (a file is in its way): the write settles, nothing thrown.
  writeFileSync(path.join(dir, 'in-the-way'), 'x');
  await new FactsCache(path.join(dir, 'in-the-way', 'facts')).write('h1', facts(1));
  assert.equal(new FactsCache(path.join(dir, 'in-the-way', 'facts')).read('h1'), undefined);
});

test('a task using a value set in the play reads its state again only if a command ran on the host since the play read it', async () => {
  const plan = (between: string) => `
name: late
hosts: all
tasks:
${between}
  - name: b first
    directory: { path: DIR/out/b, mode: "0750" }
  - set_fact: { b_mode: "0700" }
  - name: b using the fact
    directory: { path: DIR/out/b, mode: "{{b_mode}}" }
`;
  const lateReads = (r: { commands: string[] }) => r.commands.filter((c) => c.includes('(for a task using a result)'));
  const lateOf = (r: { events: RunEvent[] }) => JSON.stringify(r.events.find((e) => e.type === 'task-result' && e.result.task === 'b using the fact'), (k, v: unknown) => (k === 'ms' || k === 'pos' ? 0 : v));
  rmSync(path.join(dir, 'out', 'b'), { recursive: true, force: true });
  // A dry run that ran nothing on the host: what the play read is what the host holds.
  const dry = await run(plan(''), { check: true, cache: false });
  assert.deepEqual(lateReads(dry), []);
  assert.deepEqual(dry.statuses, ['b first=changed', 'set_fact=ok', 'b using the fact=changed']);
  // The same when the play's state rode with the facts (the facts cache knew them).
  await run(plan(''), { check: true });
  const ahead = await run(plan(''), { check: true });
  assert.deepEqual(ahead.commands.filter((c) => c.startsWith('read state')), ['read state: late (with the facts) 0']);
  assert.equal(lateOf(ahead), lateOf(dry));
  // A command ran on the host after the play's read (check_mode: false; one after a would-be change
  // would not run): read again; the same predicted result.
  const probed = await run(plan('  - { name: probe, command: "true", check_mode: false, changed_when: false }'), { check: true, cache: false });
  assert.deepEqual(lateReads(probed), ['read state: late (for a task using a result) 0']);
  assert.deepEqual(probed.statuses, ['probe=ok', 'b first=changed', 'set_fact=ok', 'b using the fact=changed']);
  assert.equal(lateOf(dry), lateOf(probed));
  // A real run: the first task changed the host, so the later one reads again.
  const real = await run(plan(''), { cache: false });
  assert.deepEqual(lateReads(real), ['read state: late (for a task using a result) 0']);
  assert.equal(statSync(path.join(dir, 'out', 'b')).mode & 0o777, 0o700);
});
