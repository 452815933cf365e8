// `backdate` on real hosts, through the relay role's main.cf tasks (postfix_main_cf_backdate): after an
// apply that writes main.cf, its mtime lies before the moment the run began on the host (possible only
// when the write dated it back; the variable is raised to 60 s here so a slow run cannot blur it) and
// Postfix finds it cool (`postconf -vv` logs no "cool down", while a fresh copy of the same file does);
// the next run changes nothing; a dry run writes nothing and shows the same diff whatever the backdate.
// Template mode (the template task) and params mode (settings, replace) on debian-sysv; the template
// task on the FreeBSD personality too.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan, repoRoot } from './cli.js';
import { writeRelayInventory } from './relay-inventory.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const plan = path.join(repoRoot, 'plans', 'relay.yml');
const DEB = 'deb-sysv-1';
const BSD = 'freebsd-1';
const MAIN_CF = '"$(postconf -h config_directory)/main.cf"';
/** The role's main.cf tasks, dated a minute back: more than any run here lasts before its write. */
const vars = (mode: string) => ['-e', JSON.stringify({ postfix_mode: mode, postfix_main_cf_backdate: 60 })];

describe('main.cf backdated by the relay role on real hosts', { skip }, () => {
  const out = skip ? '' : mkdtempSync('/tmp/fleetplan-backdate-');
  let fleet: Fleet;
  let inventory: string;
  const sh = async (host: string, cmd: string) => {
    const r = await fleet.exec(host, cmd);
    assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const clock = async (host: string) => Number(await sh(host, 'date +%s'));
  const mtime = async (host: string) => Number(await sh(host, `stat -c %Y ${MAIN_CF}`));
  /** How many times postconf paused for main.cf to cool down, reading it from `dir` (the host's own by default). */
  const coolDowns = async (host: string, dir = '') => Number(await sh(host, `postconf ${dir && `-c ${dir} `}-vv -h myhostname 2>&1 | grep -c 'cool down' || :`));
  const apply = async (...args: string[]) => {
    const r = await fleetplan(['apply', plan, '-i', inventory, '--json', ...args]);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(0, 2000));
    return r.json;
  };
  const changed = (json: any, host: string) => json.hosts[host].tasks.filter((t: any) => t.status === 'changed').map((t: any) => t.name);
  /** What --json says of the template task's write: its changes, diff and file record (not its time). */
  const mainCfDiff = (json: any, host: string) => {
    const t = json.hosts[host].tasks.find((t: any) => t.name === "main.cf from the role's template");
    return t && JSON.stringify({ status: t.status, changes: t.changes, diff: t.diff, files: t.files });
  };

  before(async () => {
    if (skip) return;
    fleet = await up({ os: ['debian-sysv', 'freebsd'], count: 1, out: path.join(out, 'fleet') });
    inventory = writeRelayInventory(fleet, path.join(out, 'inventory.yml'), { relayPassword: 'Backdate-Pa55word' });
  });
  after(async () => {
    if (!out) return;
    await down(path.join(out, 'fleet')).catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  });

  it('first apply (template mode): main.cf dated before the run began, cool for Postfix; the next run changes nothing', async () => {
    const t0: Record<string, number> = { [DEB]: await clock(DEB), [BSD]: await clock(BSD) };
    const first = await apply(...vars('template'));
    for (const host of [DEB, BSD]) {
      assert.ok(changed(first, host).includes("main.cf from the role's template"), `${host}: main.cf written`);
      const m = await mtime(host);
      assert.ok(m < t0[host]!, `${host}: main.cf mtime ${m} is before the run began (${t0[host]})`);
    }
    assert.equal(await coolDowns(DEB), 0, 'postconf reads main.cf at once');
    // The probe sees a hot file: a fresh copy of the same main.cf makes postconf pause.
    const copy = await sh(DEB, `d=$(mktemp -d) && cp ${MAIN_CF} "$d"/ && echo "$d"`);
    assert.ok((await coolDowns(DEB, copy)) >= 1, 'a freshly written main.cf makes postconf wait');
    await sh(DEB, `rm -rf -- ${copy}`);
    const m = await mtime(DEB);
    const again = await apply(...vars('template'));
    assert.deepEqual([changed(again, DEB), changed(again, BSD)], [[], []]);
    assert.equal(await mtime(DEB), m, 'the no-change run left main.cf alone');
  });

  it('a dry run writes nothing and shows the same diff with or without backdate', async () => {
    const before = await sh(DEB, `stat -c '%Y %i' ${MAIN_CF} && sha256sum < ${MAIN_CF}`);
    const other = (backdate: number) => ['-e', JSON.stringify({ postfix_mode: 'template', postfix_main_cf_backdate: backdate, postfix_myorigin: 'other.example.org' }), '--check', '--diff', '--limit', DEB];
    const dated = await apply(...other(60));
    const plain = await apply(...other(0));
    assert.match(mainCfDiff(dated, DEB) ?? '', /other\.example\.org/, 'the dry run shows the change');
    assert.equal(mainCfDiff(dated, DEB), mainCfDiff(plain, DEB));
    assert.equal(await sh(DEB, `stat -c '%Y %i' ${MAIN_CF} && sha256sum < ${MAIN_CF}`), before);
  });

  it('params mode (the settings tasks): main.cf dated before the run began', async () => {
    const t0 = await clock(DEB);
    // Another myorigin, so the parameters task has main.cf to edit (the template wrote the others).
    const json = await apply('-e', JSON.stringify({ postfix_mode: 'params', postfix_main_cf_backdate: 60, postfix_myorigin: 'params.example.org' }), '--limit', DEB);
    assert.ok(changed(json, DEB).includes("main.cf relay parameters (keeping the distribution's file)"), changed(json, DEB).join(', '));
    assert.match(await sh(DEB, 'postconf -h myorigin'), /^params\.example\.org$/);
    const m = await mtime(DEB);
    assert.ok(m < t0, `main.cf mtime ${m} is before the run began (${t0})`);
    assert.equal(await coolDowns(DEB), 0);
  });
});
