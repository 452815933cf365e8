// A missing parent directory on real hosts (debian-sysv and the FreeBSD personality): copy, template, file and
// link into a directory that does not exist, or below a regular file, fail with what it is — the same error in
// the dry run as in the real run, nothing created — never as "a symbolic link swapped in?". A directory a task
// before makes (directory: predicted; a command or a new account's home: the dry run says "depends on") is
// written into. And the change script itself, run on the host when the directory is gone by then, says so,
// while a directory that now leads elsewhere is still the swap.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { changeScript } from '../../src/engine/executor.js';
import type { Change } from '../../src/ops/operation.js';
import { fleetplan } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const HOSTS = ['deb-sysv-1', 'freebsd-1'];

describe('a missing parent directory on real hosts', { skip }, () => {
  const out = skip ? '' : mkdtempSync('/tmp/fleetplan-missing-parent-');
  let fleet: Fleet;
  let planNo = 0;
  const sh = async (host: string, cmd: string) => {
    const r = await fleet.exec(host, cmd);
    assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`);
    return r.stdout.trim();
  };
  /** Applies a one-play plan of these tasks (YAML text) to both hosts; per host, each task's status and error or reason. */
  const apply = async (tasks: string, ...args: string[]) => {
    const file = path.join(out, `plan-${++planNo}.yml`);
    writeFileSync(file, `name: missing parent ${planNo}\nhosts: all\ntasks:\n${tasks}`);
    const r = await fleetplan(['apply', file, '-i', fleet.inventoryPath, '--json', ...args]);
    assert.ok(r.json, `no JSON (exit ${r.code}): ${r.stderr}`);
    const of = (h: string) => (r.json.hosts[h]?.tasks ?? []).map((t: any) => `${t.status}: ${t.error ?? t.reason ?? ''}`);
    const byHost: Record<string, string[]> = Object.fromEntries(HOSTS.map((h) => [h, of(h)]));
    return Object.assign(byHost, { json: r.json as any });
  };
  const ignored = (task: string) => `  - ${task}\n    ignore_errors: true\n`;

  before(async () => {
    if (skip) return;
    fleet = await up({ os: ['debian-sysv', 'freebsd'], count: 1, out: path.join(out, 'fleet') });
    writeFileSync(path.join(out, 'banner.txt'), 'banner\n');
    writeFileSync(path.join(out, 'motd.hbs'), 'hello {{inventory_hostname}}\n');
  });
  after(async () => {
    if (!out) return;
    await down(path.join(out, 'fleet')).catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  });

  it('copy, template, file and link into a directory that does not exist: the same error dry and real, nothing made', async () => {
    const tasks = [
      `copy: { src: ${out}/banner.txt, dest: /no/such/dir/banner }`,
      `template: { src: ${out}/motd.hbs, dest: /no/such/dir/motd }`,
      'file: { path: /no/such/dir/f, content: "x\\n" }',
      'link: { src: /etc/hostname, dest: /no/such/dir/l }',
    ].map(ignored).join('');
    const dry = await apply(tasks, '--check');
    const real = await apply(tasks);
    const hint = ' (create it first: a directory task makes it, parents included)';
    for (const h of HOSTS) {
      assert.deepEqual(real[h], ['banner', 'motd', 'f', 'l'].map((n) => `failed: /no/such/dir/${n}: destination directory /no/such/dir does not exist${hint}`), h);
      assert.deepEqual(dry[h], real[h], `${h}: the dry run predicts the real run's failure`);
      assert.equal(await sh(h, 'ls -d /no 2>/dev/null || echo none'), 'none');
    }
  });

  it('below a regular file: "is not a directory", for a file and a directory task, dry and real', async () => {
    for (const h of HOSTS) await sh(h, 'rm -rf /srv/fp-plain');
    const tasks = 'file: { path: /srv/fp-plain, content: "p\\n" }\n' + ignored('copy: { src: ' + `${out}/banner.txt` + ', dest: /srv/fp-plain/banner }') + ignored('directory: { path: /srv/fp-plain/d/e }');
    const dry = await apply(`  - ${tasks}`, '--check');
    const real = await apply(`  - ${tasks}`);
    for (const h of HOSTS) {
      const expected = ['changed: ', 'failed: /srv/fp-plain/banner: /srv/fp-plain is not a directory', 'failed: /srv/fp-plain/d/e: /srv/fp-plain is not a directory'];
      assert.deepEqual(dry[h], expected, `${h} dry run`);
      assert.deepEqual(real[h], expected, `${h} real run`);
      assert.equal(await sh(h, 'cat /srv/fp-plain'), 'p');
    }
  });

  it('a directory a task before makes is written into: directory (predicted), a command and a new account\'s home (the dry run: depends on)', async () => {
    for (const h of HOSTS) await sh(h, 'rm -rf /srv/fp-made /srv/fp-cmd; id fpbob >/dev/null 2>&1 && { userdel -r fpbob 2>/dev/null || pw userdel fpbob -r; }; true');
    const tasks = [
      'directory: { path: /srv/fp-made/sub }',
      `copy: { src: ${out}/banner.txt, dest: /srv/fp-made/sub/banner }`,
      'command: mkdir -p /srv/fp-cmd',
      `template: { src: ${out}/motd.hbs, dest: /srv/fp-cmd/motd }`,
      'user: { name: fpbob }',
      'file: { path: /home/fpbob/.forward, content: "root\\n" }',
    ].map((t) => `  - ${t}\n`).join('');
    const dry = await apply(tasks, '--check');
    const real = await apply(tasks);
    for (const h of HOSTS) {
      assert.deepEqual(dry[h], [
        'changed: ',
        'changed: ',
        'changed: ',
        "changed: depends on 'command mkdir -p /srv/fp-cmd': /srv/fp-cmd/motd: destination directory /srv/fp-cmd does not exist",
        "changed: unless 'command mkdir -p /srv/fp-cmd' already does it", // a command may create anything, an account too
        "changed: depends on 'user fpbob': /home/fpbob/.forward: destination directory /home/fpbob does not exist",
      ], `${h} dry run`);
      assert.deepEqual(real[h], Array(6).fill('changed: '), `${h} real run`);
      // Depending on the command or the account, the writes still show what they would write, as the real run wrote it.
      const files = (json: any, i: number) => JSON.stringify(json.hosts[h].tasks[i].files);
      for (const i of [3, 5]) assert.equal(files(dry.json, i), files(real.json, i), `${h}: task ${i + 1}'s promised file`);
      assert.match(files(dry.json, 3), /"sha256":"[0-9a-f]{64}"/);
      assert.equal(await sh(h, `cat /srv/fp-made/sub/banner /srv/fp-cmd/motd /home/fpbob/.forward`), `banner\nhello ${h}\nroot`);
    }
  });

  it('the change script on the host: a directory gone since the read is said to be missing; one that now leads elsewhere is the swap', async () => {
    const write = (logical: string, physical = logical): Change => ({
      kind: 'write',
      description: 'w',
      write: { path: `${logical}/f`, content: Buffer.from('x\n'), mode: '0644', place: { dir: { logical, physical }, name: 'f', userWritable: true } },
    });
    for (const h of HOSTS) {
      await sh(h, 'rm -rf /srv/fp-gone /srv/fp-real /srv/fp-link; mkdir /srv/fp-real; ln -s /srv/fp-real /srv/fp-link');
      const gone = await fleet.exec(h, changeScript([write('/srv/fp-gone/sub')]));
      assert.deepEqual([gone.code, gone.stderr.trim()], [1, '/srv/fp-gone/sub/f: directory /srv/fp-gone/sub does not exist; nothing done'], h);
      const swapped = await fleet.exec(h, changeScript([write('/srv/fp-link')]));
      assert.equal(swapped.code, 1, h);
      assert.equal(swapped.stderr.trim(), '/srv/fp-link/f: /srv/fp-link no longer leads to /srv/fp-link (changed since it was read: a symbolic link swapped in?); nothing done', h);
      assert.equal(await sh(h, 'ls -A /srv/fp-real; ls -d /srv/fp-gone 2>/dev/null || echo none'), 'none');
    }
  });
});
