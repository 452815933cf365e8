// The postfix_version fact's marker (facts/gather.ts) on a real SysV host: a dry run takes no lock
// and neither reads nor writes it; a real run writes it with postconf's mtime and the next one uses it
// without running postconf; a new postconf (another mtime, older included), a marker that is a
// symlink, another user's file or garbled, and a lock directory that is unsafe all fall back to
// postconf; Postfix installed by a run is seen by the next. Check mode and a real run see the same.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const H = 'deb-sysv-1';
const M = '/var/run/fleetplan/postfix_version';
const PC = '/usr/sbin/postconf';

describe('postfix_version marker on a real host', { skip }, () => {
  const out = skip ? '' : mkdtempSync('/tmp/fleetplan-pv-marker-');
  let fleet: Fleet;
  const plan = () => path.join(out, 'plan.yml');
  const sh = async (cmd: string) => {
    const r = await fleet.exec(H, cmd);
    assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  // postconf's own runs, counted by a wrapper in front of it (same mtime as the real binary).
  const postconfRuns = async () => Number((await sh('cat /root/postconf-runs 2>/dev/null | wc -l')).trim());
  const apply = async (...extra: string[]) => {
    const r = await fleetplan(['apply', plan(), '-i', fleet.inventoryPath, '--json', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return r;
  };
  /** The version a real run saw (written by the plan), and what a dry run would change. */
  const seen = async () => {
    await apply();
    return (await sh('cat /root/pv')).trim();
  };

  before(async () => {
    fleet = await up({ os: ['debian-sysv'], count: 1, out });
    writeFileSync(plan(), 'hosts: all\ntasks:\n  - name: the version the facts saw\n    file: { path: /root/pv, content: "v={{facts.postfix_version}}\\n" }\n');
    // The real postconf moves aside; a wrapper logging each run takes its place, with its mtime.
    await sh(`mv ${PC} ${PC}.real && printf '#!/bin/sh\\necho run >> /root/postconf-runs\\nexec ${PC}.real "$@"\\n' > ${PC} && chmod 755 ${PC} && touch -r ${PC}.real ${PC}`);
  });
  after(async () => {
    if (!out) return;
    await down(out).catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  });

  it('a dry run on a fresh host runs postconf, writes no marker; the real run writes it; then hits', async () => {
    const dry = await fleetplan(['apply', plan(), '-i', fleet.inventoryPath, '--check', '--diff', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(JSON.stringify(dry.json), /v=3\.7\.\d+/, 'the dry run shows the version');
    assert.equal(await postconfRuns(), 1);
    assert.equal((await sh(`[ -e ${M} ] && echo yes || echo no`)).trim(), 'no', 'a dry run writes nothing');
    assert.match(await seen(), /^v=3\.7\.\d+$/);
    assert.equal(await postconfRuns(), 2);
    assert.equal(await sh(`cat ${M}`), `${PC}\n${(await sh('cat /root/pv')).trim().slice(2)}\n`);
    assert.equal((await sh(`stat -c '%Y %U %F' ${M}`)).trim(), `${(await sh(`stat -c %Y ${PC}`)).trim()} root regular file`, 'postconf mtime, root regular file');
    const v = await seen();
    assert.equal(await postconfRuns(), 2, 'the no-change run read the marker: no postconf');
    // The same fact in check mode: nothing to change.
    const check = await fleetplan(['apply', plan(), '-i', fleet.inventoryPath, '--check', '--json']);
    assert.equal(check.json?.summary?.changed, 0, `${v}: ${check.stdout.slice(0, 400)}`);
  });

  it('is trusted only while postconf keeps its mtime: a forged version is used, a touched postconf re-reads', async () => {
    await sh(`printf '${PC}\\n9.9.9\\n' > ${M} && touch -r ${PC} ${M}`);
    assert.equal(await seen(), 'v=9.9.9', 'a hit reads the marker (here forged by root) without postconf');
    const before = await postconfRuns();
    for (const when of ['2030-01-01', '2001-01-01']) {
      await sh(`touch -d ${when} ${PC}`);
      assert.match(await seen(), /^v=3\.7\.\d+$/, `postconf dated ${when}`);
    }
    assert.equal(await postconfRuns(), before + 2);
  });

  it('ignores a symlinked marker, one another user owns, a garbled one, and an unsafe directory', async () => {
    const forge = `printf '${PC}\\n9.9.9\\n' > /root/forged && touch -r ${PC} /root/forged`;
    for (const plant of [`ln -sf /root/forged ${M}`, `cp -p /root/forged ${M} && chown fleet ${M}`, `printf '${PC}\\n9.9;id\\n' > ${M} && touch -r ${PC} ${M}`]) {
      await sh(`${forge} && rm -f ${M} && ${plant}`);
      const before = await postconfRuns();
      assert.match(await seen(), /^v=3\.7\.\d+$/, plant);
      assert.equal(await postconfRuns(), before + 1, plant);
    }
    assert.equal((await sh(`[ -h ${M} ] && echo link || echo file`)).trim(), 'file');
    // An unsafe lock directory: the run fails (nothing of it is used), the marker is not read.
    await sh(`cp -p /root/forged ${M} && chown fleet /var/run/fleetplan`);
    const before = await postconfRuns();
    const r = await fleetplan(['apply', plan(), '-i', fleet.inventoryPath, '--json']);
    assert.equal(r.code === 0, false, 'an unsafe lock directory fails the host');
    assert.match(r.stdout + r.stderr, /unsafe/);
    assert.equal(await postconfRuns(), before + 1, 'postconf ran: the marker was not trusted');
    await sh('chown root /var/run/fleetplan');
  });

  it('Postfix installed after a run is seen by the next run', async () => {
    await sh(`mv ${PC} /root/postconf.gone`);
    assert.equal(await seen(), 'v=');
    await sh(`mv /root/postconf.gone ${PC} && touch -d 2031-01-01 ${PC}`);
    assert.match(await seen(), /^v=3\.7\.\d+$/);
    assert.match(await seen(), /^v=3\.7\.\d+$/);
  });
});
