// Red-team cases for the file-level operations of issue 17 (blockinfile, ini_file, replace, slurp, fetch,
// get_url, link): a host user `mallory` plants symbolic links where the plan acts, on a REAL fleet host
// (debian-sysv), and each case checks that a root-only file outside the plan was neither changed nor
// shown, on the host or copied to the controller. Defences: the same as every file op (file-state.ts,
// safe-path.ts), plus link's rename-over and fetch's controller-side writes (ops/controller-write.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan } from '../integration/cli.js';
import { httpServerProcess, type HttpFixture } from '../unit/http-server-process.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-fileops-hardening-');
const work = skip ? '' : mkdtempSync('/tmp/fleetplan-fileops-hardening-plans-');
const fetched = skip ? '' : mkdtempSync('/tmp/fleetplan-fileops-hardening-fetched-');
const DEB = 'deb-sysv-1';
const U = 'mallory';
const HOME = `/home/${U}`;
const SECRET = 'TOPSECRET-8b1d40c2';
let fleet: Fleet;
let http: HttpFixture;
let planNo = 0;

const asUser = (cmd: string) => fleet.exec(DEB, `su -s /bin/sh ${U} -c '${cmd.replace(/'/g, `'\\''`)}'`);
async function root(cmd: string): Promise<string> {
  const r = await fleet.exec(DEB, cmd);
  assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
  return r.stdout;
}
const fingerprint = (p: string) => root(`stat -c '%U:%G %a %F' -- ${p} && { [ -f ${p} ] && ! [ -L ${p} ] && sha256sum < ${p} || ls -A ${p}; }`);
async function rootOnly(p: string, dir = false): Promise<string> {
  await root(dir ? `rm -rf ${p}; mkdir -m 0700 ${p}` : `rm -rf ${p}; printf '%s\\n[main]\\nport = 1\\nlisten 80\\n' '${SECRET}' > ${p}; chmod 600 ${p}`);
  return fingerprint(p);
}

async function apply(tasks: string, extra: string[] = []): Promise<{ code: number; all: string; tasks: any[] }> {
  const file = path.join(work, `plan-${++planNo}.yml`);
  writeFileSync(file, `name: fileops attack ${planNo}\nhosts: all\ntasks:\n${tasks}`);
  const r = await fleetplan(['apply', file, '-i', fleet.inventoryPath, '--limit', DEB, '--json', ...extra]);
  assert.ok(r.json, `no JSON (exit ${r.code}): ${r.stderr}`);
  return { code: r.code, all: r.stdout + r.stderr, tasks: r.json.hosts[DEB]?.tasks ?? [] };
}

function refused(run: { tasks: any[]; all: string }, re: RegExp): void {
  const t = run.tasks[0];
  assert.equal(t?.status, 'failed', JSON.stringify(run.tasks));
  assert.match(t.error, re);
  assert.doesNotMatch(run.all, new RegExp(SECRET), 'the root-only content was shown');
}

/** Applies `tasks` in a dry run and for real: both refuse, and the victim is unchanged. */
async function bothRefuse(victim: string, planted: string, tasks: string, re: RegExp): Promise<void> {
  const before = await rootOnly(victim);
  await asUser(`rm -rf ${planted}; ln -s ${victim} ${planted}`);
  refused(await apply(tasks, ['--check', '--diff']), re);
  refused(await apply(tasks), re);
  assert.equal(await fingerprint(victim), before);
}

before(async () => {
  if (skip) return;
  http = await httpServerProcess({ '/evil': Buffer.from('from the web\n') });
  fleet = await up({ os: ['debian-sysv'], count: 1, out });
  await root(`id ${U} >/dev/null 2>&1 || useradd -m -s /bin/sh ${U}; chmod 755 ${HOME}; chown ${U} ${HOME}`);
});
after(async () => {
  http?.close();
  if (!out) return;
  await down(out).catch(() => undefined);
  for (const d of [out, work, fetched]) rmSync(d, { recursive: true, force: true });
});

describe('hardening: file-level operations and paths a host user controls', { skip }, () => {
  it('stops: `blockinfile` edits (and shows) the root-only target of a planted symlink', () =>
    bothRefuse('/root/victim-block', `${HOME}/.bashrc`, `  - blockinfile: { path: ${HOME}/.bashrc, block: "umask 027" }\n`, /symbolic link to \/root\/victim-block owned by mallory; refusing/));

  it('stops: `ini_file` edits the root-only target of a planted symlink', () =>
    bothRefuse('/root/victim-ini', `${HOME}/app.ini`, `  - ini_file: { path: ${HOME}/app.ini, section: main, option: port, value: 2 }\n`, /symbolic link to \/root\/victim-ini/));

  it('stops: `replace` edits the root-only target of a planted symlink', () =>
    bothRefuse('/root/victim-replace', `${HOME}/srv.conf`, `  - replace: { path: ${HOME}/srv.conf, regexp: "^listen 80$", replace: "listen 81" }\n`, /symbolic link to \/root\/victim-replace/));

  it('stops: `slurp` registers the root-only target of a planted symlink', () =>
    bothRefuse('/root/victim-slurp', `${HOME}/notes`, `  - slurp: { src: ${HOME}/notes }\n`, /symbolic link to \/root\/victim-slurp/));

  it('stops: `get_url` writes the download through a planted symlink', () =>
    bothRefuse('/root/victim-get', `${HOME}/tool`, `  - get_url: { url: "${http.base}/evil", dest: ${HOME}/tool }\n`, /symbolic link to \/root\/victim-get/));

  it('stops: `fetch` copies the root-only target of a planted symlink to the controller', async () => {
    await bothRefuse('/root/victim-fetch', `${HOME}/report.txt`, `  - fetch: { src: ${HOME}/report.txt, dest: ${fetched} }\n`, /symbolic link to \/root\/victim-fetch/);
    assert.ok(!existsSync(path.join(fetched, DEB)) || readdirSync(path.join(fetched, DEB), { recursive: true }).every((f) => !String(f).endsWith('report.txt')));
  });

  it('stops: `link` creates its link inside the root-only directory a planted parent symlink leads to', async () => {
    const before = await rootOnly('/root/victim-linkdir', true);
    await asUser(`rm -rf ~/app; ln -s /root/victim-linkdir ~/app`);
    const tasks = `  - link: { src: /etc/passwd, dest: ${HOME}/app/current }\n`;
    refused(await apply(tasks), /app is a symbolic link owned by mallory; refusing to follow a link a host user controls/);
    assert.equal(await fingerprint('/root/victim-linkdir'), before);
  });

  it('stops: `link` over a planted symlink to a root-only directory puts the link inside that directory', async () => {
    const before = await rootOnly('/root/victim-linkover', true);
    await asUser(`rm -rf ~/current; ln -s /root/victim-linkover ~/current`);
    const run = await apply(`  - link: { src: releases/1, dest: ${HOME}/current, force: true }\n`);
    assert.equal(run.tasks[0]?.status, 'changed', JSON.stringify(run.tasks));
    // The user's link was replaced by the plan's, never followed into the directory it led to.
    assert.equal((await root(`readlink ${HOME}/current`)).trim(), 'releases/1');
    assert.equal(await fingerprint('/root/victim-linkover'), before);
  });
});
