// The run history on a one-host fleet: every apply (dry run or not) leaves a record under
// $XDG_STATE_HOME/fleetplan/runs (private to its user) with the plan's and inventory's digests, each
// host's counts and task results, and no secret — not in the diffs, not in the command line;
// `history` lists the runs newest first, `history show` shows one (text, --json, --report HTML);
// records beyond history_keep, or older than history_max_age_days, are pruned.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { runProcess } from '../run-process.js';
import { repoRoot } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const tmp = mkdtempSync('/tmp/fleetplan-history-');
const out = path.join(tmp, 'fleet');
const state = path.join(tmp, 'state');
const runs = path.join(state, 'fleetplan', 'runs');
const SECRET = `History-marker-${randomBytes(9).toString('base64url')}`;
const plan = path.join(tmp, 'plan.yml');
let fleet: Fleet;

before(async () => {
  if (skip) return;
  fleet = await up({ os: 'debian-systemd', count: 1, out });
  writeFileSync(
    plan,
    [
      'name: history',
      'hosts: all',
      'vars:',
      '  secret_word: !secret_env HISTORY_SECRET',
      'tasks:',
      '  - name: marker file',
      '    file: { path: /etc/fleetplan-history-marker, content: "v1\\n", mode: "0644" }',
      '  - name: secret file',
      '    file: { path: /etc/fleetplan-history-secret, content: "{{secret_word}}\\n", mode: "0600" }',
      '',
    ].join('\n'),
  );
});

after(async () => {
  if (!skip) await down(out).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', HOME: path.join(tmp, 'home'), XDG_STATE_HOME: state, HISTORY_SECRET: SECRET, FLEETPLAN_HISTORY_KEEP: '3' };
  for (const k of Object.keys(base)) if (k.startsWith('FLEETPLAN_') && k !== 'FLEETPLAN_HISTORY_KEEP') delete base[k];
  return runProcess(process.execPath, [path.join(repoRoot, 'dist/fleetplan.js'), ...args], { cwd: tmp, env: { ...base, ...env } });
}

const apply = (...extra: string[]) => cli(['apply', plan, '-i', fleet.inventoryPath, '--diff', ...extra]);
const ids = () => readdirSync(runs).map((f) => f.replace(/\.json$/, '')).sort();
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

test('every apply is recorded; history lists, shows and renders them; old records are pruned', { skip }, async () => {
  const host = fleet.hosts[0]!.name;
  const dry = await apply('--check');
  assert.equal(dry.code, 0, dry.output);
  assert.deepEqual(readdirSync(state), ['fleetplan']);
  assert.equal(statSync(runs).mode & 0o777, 0o700);
  const [first] = ids();
  assert.ok(first, 'no record after a dry run');
  const file = path.join(runs, `${first}.json`);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes(SECRET), 'the secret is in the history');
  const rec = JSON.parse(text);
  assert.equal(rec.check, true);
  assert.equal(rec.exitCode, 0);
  assert.deepEqual(rec.plan, { file: plan, sha256: sha256(plan) });
  assert.deepEqual(rec.inventory, { file: fleet.inventoryPath, sha256: sha256(fleet.inventoryPath) });
  const tasks = rec.hosts.find((h: { name: string }) => h.name === host).tasks;
  const marker = tasks.find((t: { task: string }) => t.task === 'marker file');
  assert.equal(marker.status, 'changed');
  assert.equal(marker.changes[0].diff.after, 'v1\n');
  assert.equal(tasks.find((t: { task: string }) => t.task === 'secret file').changes[0].diff.masked, 'secret');

  const real = await apply();
  assert.equal(real.code, 0, real.output);
  assert.equal(ids().length, 2);
  const list = await cli(['history']);
  assert.equal(list.code, 0, list.stderr);
  const rows = list.stdout.trim().split('\n');
  assert.equal(rows.length, 2);
  assert.match(rows[0]!, new RegExp(`^${ids()[1]}  \\S+ \\S+  apply    exit 0    plan\\.yml  1 host\\(s\\): 1 changed, 0 failed, 0 unreachable$`));
  assert.match(rows[1]!, new RegExp(`^${first}  .*  dry run  exit 0 `));

  const shown = await cli(['history', 'show', 'last']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^run \S+: apply of plan\.yml, exit 0$/m);
  assert.match(shown.stdout, /^command: fleetplan apply .*plan\.yml -i .* --diff$/m);
  assert.match(shown.stdout, new RegExp(`^${host}\\s+ok=\\d+ changed=2 failed=0`, 'm'));
  assert.match(shown.stdout, /^ {2}changed\s+marker file$/m);
  const json = JSON.parse((await cli(['history', 'show', first!.slice(0, 18), '--json'])).stdout);
  assert.equal(json.id, first);

  const page = path.join(tmp, 'first.html');
  const rendered = await cli(['history', 'show', first!, '--report', page]);
  assert.equal(rendered.code, 0, rendered.stderr);
  const html = readFileSync(page, 'utf8');
  assert.match(html, /marker file/);
  assert.match(html, /dry run/i);
  assert.ok(!html.includes(SECRET));
  for (const r of [dry, real, list, shown, rendered]) assert.ok(!r.output.includes(SECRET));

  // By count: history_keep 3, two more runs → the first record goes.
  for (let i = 0; i < 2; i++) assert.equal((await apply('--check')).code, 0);
  assert.equal(ids().length, 3);
  assert.ok(!ids().includes(first!), 'the oldest record was kept beyond history_keep');
  // By age: the oldest remaining record made 40 days old; a run with a 30-day limit removes it.
  const old = ids()[0]!;
  const past = new Date(Date.now() - 40 * 86_400_000);
  utimesSync(path.join(runs, `${old}.json`), past, past);
  assert.equal((await cli(['apply', plan, '-i', fleet.inventoryPath, '--check'], { FLEETPLAN_HISTORY_MAX_AGE_DAYS: '30' })).code, 0);
  assert.ok(!ids().includes(old), 'a record older than history_max_age_days was kept');
  assert.equal(ids().length, 3);
});

test('history: an unknown run is bad input; an empty history says so; history_keep 0 records nothing', { skip }, async () => {
  const missing = await cli(['history', 'show', 'nosuchrun']);
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /^error: no run 'nosuchrun' in .*; the latest: /m);
  const elsewhere = path.join(tmp, 'empty-state');
  mkdirSync(elsewhere);
  const empty = await cli(['history'], { XDG_STATE_HOME: elsewhere });
  assert.equal(empty.code, 0);
  assert.equal(empty.stdout, `no run recorded yet in ${path.join(elsewhere, 'fleetplan')}\n`);
  const none = await cli(['apply', plan, '-i', fleet.inventoryPath, '--check'], { XDG_STATE_HOME: elsewhere, FLEETPLAN_HISTORY_KEEP: '0' });
  assert.equal(none.code, 0, none.output);
  assert.deepEqual(readdirSync(elsewhere), []);
});
