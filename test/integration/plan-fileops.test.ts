// The file-level operations of issue 17 on REAL hosts (debian-sysv and the freebsd personality): each
// op's dry run (what --check --diff shows, nothing changed on the host or the controller), the apply
// (exactly the bytes shown), and a zero-change re-run. get_url downloads from a test-only HTTP server on
// 127.0.0.1 (the controller downloads; the hosts have no network); fetch writes below a temporary
// directory on the controller.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { PRELUDE } from '../../src/state/prelude.js';
import { statQuery } from '../../src/state/stat-state.js';
import { statFields } from '../../src/ops/stat.js';
import { httpServerProcess, type HttpFixture } from '../unit/http-server-process.js';
import { assertPredicted, fleetplan } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-fileops-');
const work = skip ? '' : mkdtempSync('/tmp/fleetplan-fileops-plans-');
const fetched = skip ? '' : mkdtempSync('/tmp/fleetplan-fileops-fetched-');
const HOSTS = ['deb-sysv-1', 'freebsd-1'];
const D = '/srv/fo';
const BODY = Buffer.from('downloaded by the controller\n');
let fleet: Fleet;
let http: HttpFixture;

const INI = '; app settings\n[main]\n# the port\nport = 80\nname = app\n\n[other]\nport = 1\n';
const SEEDS: Record<string, string> = {
  'app.ini': INI,
  'replace.conf': 'listen 80\nserver x\nlisten 80\n',
  'block.conf': '# first\n# here\n# last\n',
  'fetchme.txt': 'fetch me\n',
  'data.txt': 'hard linked\n',
};

async function root(host: string, cmd: string): Promise<string> {
  const r = await fleet.exec(host, cmd);
  assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`);
  return r.stdout;
}

/** Every file under D: type, link text, and content hash — what must not change in a dry run. */
const snapshot = (host: string) => root(host, `cd ${D} && for f in $(ls -A | sort); do printf '%s ' "$f"; if [ -L "$f" ]; then readlink "$f"; elif [ -f "$f" ]; then sha256sum < "$f"; else echo dir; fi; done`);

function planFile(): string {
  const file = path.join(work, 'fileops.yml');
  const sum = createHash('sha256').update(BODY).digest('hex');
  writeFileSync(
    file,
    `name: file-level operations
hosts: all
tasks:
  - name: stat the ini file
    stat: {path: ${D}/app.ini}
  - name: slurp the ini file
    slurp: {src: ${D}/app.ini}
  - name: block in block.conf
    blockinfile: {path: ${D}/block.conf, block: "alpha 1\\nbeta 2\\n", insertafter: "^# here"}
  - name: ini port
    ini_file: {path: ${D}/app.ini, section: main, option: port, value: 8080}
  - name: ini new section
    ini_file: {path: ${D}/app.ini, section: extra, option: on, value: "yes", no_extra_spaces: true}
  - name: replace listen
    replace: {path: ${D}/replace.conf, regexp: "^listen 80$", replace: "listen 8080"}
  - name: current release link
    link: {src: releases/2, dest: ${D}/current, owner: fleet}
  - name: file state link
    file: {path: ${D}/settings.ini, src: app.ini, state: link}
  - name: hard link
    link: {src: ${D}/data.txt, dest: ${D}/data.hard, state: hard}
  - name: download
    get_url: {url: "${http.base}/file", dest: ${D}/downloaded.txt, checksum: "sha256:${sum}", mode: "0640"}
  - name: fetch to the controller
    fetch: {src: ${D}/fetchme.txt, dest: ${fetched}}
`,
  );
  return file;
}

const run = (file: string, host: string, extra: string[]) => fleetplan(['apply', file, '-i', fleet.inventoryPath, '--limit', host, '--json', ...extra]);
const byName = (json: any, host: string) => Object.fromEntries((json.hosts[host]?.tasks ?? []).map((t: any) => [t.name, t]));

before(async () => {
  if (skip) return;
  http = await httpServerProcess({ '/file': BODY });
  fleet = await up({ os: ['debian-sysv', 'freebsd'], count: 1, out });
  for (const h of HOSTS) {
    const seeds = Object.entries(SEEDS).map(([f, c]) => `printf '%s' '${c}' > ${D}/${f}`).join(' && ');
    await root(h, `rm -rf ${D} && mkdir -p ${D}/releases/2 && ${seeds}`);
  }
});
after(async () => {
  http?.close();
  if (!out) return;
  await down(out).catch(() => undefined);
  for (const d of [out, work, fetched]) rmSync(d, { recursive: true, force: true });
});

describe('file-level operations on real hosts', { skip }, () => {
  for (const host of HOSTS) {
    it(`${host}: check shows each change and changes nothing; apply does it; a re-run changes nothing`, async () => {
      const file = planFile();
      const beforeCheck = await snapshot(host);
      const check = await run(file, host, ['--check', '--diff']);
      assert.equal(check.code, 0, check.stderr + check.stdout);
      const c = byName(check.json, host);
      for (const t of ['stat the ini file', 'slurp the ini file']) assert.equal(c[t].status, 'ok', t);
      for (const t of ['block in block.conf', 'ini port', 'ini new section', 'replace listen', 'current release link', 'file state link', 'hard link', 'download', 'fetch to the controller']) {
        assert.equal(c[t].status, 'changed', `${t}: ${JSON.stringify(c[t])}`);
      }
      // Exact diffs: the later ini task is planned against the earlier one's predicted file.
      assert.equal(c['block in block.conf'].diff[0].after, '# first\n# here\n# BEGIN FLEETPLAN MANAGED BLOCK\nalpha 1\nbeta 2\n# END FLEETPLAN MANAGED BLOCK\n# last\n');
      assert.equal(c['ini port'].diff[0].after, INI.replace('port = 80', 'port = 8080'));
      assert.equal(c['ini new section'].diff[0].before, INI.replace('port = 80', 'port = 8080'));
      assert.equal(c['ini new section'].diff[0].after, `${INI.replace('port = 80', 'port = 8080')}[extra]\non=yes\n`);
      assert.equal(c['replace listen'].diff[0].after, 'listen 8080\nserver x\nlisten 8080\n');
      assert.equal(c.download.diff[0].after, BODY.toString());
      assert.equal(c['fetch to the controller'].diff[0].after, 'fetch me\n');
      assert.match(c['current release link'].commands[0], /ln -s -- releases\/2/);
      assert.match(c['stat the ini file'].reason, /app\.ini: file, 0644 root:/);
      assert.equal(await snapshot(host), beforeCheck, 'the dry run changed the host');
      assert.ok(!existsSync(path.join(fetched, host)), 'the dry run wrote on the controller');

      const applied = await run(file, host, []);
      assert.equal(applied.code, 0, applied.stderr + applied.stdout);
      assertPredicted(check.json, applied.json, host);
      assert.equal(await root(host, `cat ${D}/block.conf`), c['block in block.conf'].diff[0].after);
      assert.equal(await root(host, `cat ${D}/app.ini`), c['ini new section'].diff[0].after);
      assert.equal(await root(host, `cat ${D}/replace.conf`), 'listen 8080\nserver x\nlisten 8080\n');
      assert.equal((await root(host, `readlink ${D}/current`)).trim(), 'releases/2');
      assert.equal((await root(host, `stat -c %U ${D}/current`)).trim(), 'fleet', 'the link itself is owned by fleet');
      assert.equal((await root(host, `readlink ${D}/settings.ini`)).trim(), 'app.ini');
      assert.equal((await root(host, `[ ${D}/data.txt -ef ${D}/data.hard ] && echo same`)).trim(), 'same');
      assert.equal(await root(host, `cat ${D}/downloaded.txt`), BODY.toString());
      assert.equal((await root(host, `stat -c %a ${D}/downloaded.txt`)).trim(), '640');
      assert.equal(readFileSync(path.join(fetched, host, 'srv/fo/fetchme.txt'), 'utf8'), 'fetch me\n');

      const again = await run(file, host, []);
      assert.equal(again.code, 0, again.stderr);
      const changed = (again.json.hosts[host].tasks as any[]).filter((t) => t.status !== 'ok');
      assert.deepEqual(changed, [], 'the re-run changed something');
      const recheck = await run(file, host, ['--check', '--diff']);
      assert.deepEqual((recheck.json.hosts[host].tasks as any[]).filter((t) => t.status !== 'ok'), []);
    });
  }

  it('stat reads type, mode, ids, mtime, link text and SHA-1 the same on both personalities', async () => {
    for (const host of HOSTS) {
      await root(host, `mkdir -p ${D}/st && printf 'abc' > ${D}/st/f && chmod 0640 ${D}/st/f && ln -sfn f ${D}/st/l && touch -d @1700000000 ${D}/st/f`);
      const read = async (p: string, opts: { follow?: boolean; checksum?: boolean }) => {
        const q = statQuery(p, opts);
        const r = await fleet.exec(host, `${PRELUDE}\n${q.script}`);
        assert.equal(r.code, 0, r.stderr);
        return statFields(p, q.parse(Buffer.from(r.stdout), 0), opts.checksum ?? false);
      };
      const f = await read(`${D}/st/f`, { checksum: true });
      assert.equal(f.isreg, true);
      assert.equal(f.mode, '0640');
      assert.equal(f.uid, 0);
      assert.equal(f.size, 3);
      assert.equal(f.mtime, 1700000000);
      assert.equal(f.checksum, createHash('sha1').update('abc').digest('hex'), host);
      const l = await read(`${D}/st/l`, { checksum: true });
      assert.equal(l.islnk, true);
      assert.equal(l.lnk_target, 'f');
      assert.equal(l.checksum, undefined, 'a link is not hashed through unless follow');
      const followed = await read(`${D}/st/l`, { follow: true, checksum: true });
      assert.equal(followed.isreg, true);
      assert.equal(followed.checksum, f.checksum);
      assert.deepEqual(await read(`${D}/st/none`, {}), { exists: false, path: `${D}/st/none` });
    }
  });
});
