// Red-team cases for class 1 of issue 15: symbolic links (and swaps) planted by an unprivileged host user in a
// directory the plan manages — a home, ~/.ssh, a dotfile. On REAL fleet hosts (debian-sysv, and the freebsd
// personality), the user `mallory` plants through `su`, fleetplan applies as root over SSH, and each case checks
// that a root-only file outside the plan was neither chowned, chmodded, overwritten nor shown.
// Defences: src/state/file-state.ts (the read), src/ops/safe-path.ts, src/state/no-follow.ts, src/engine/executor.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan } from '../integration/cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-symlinks-');
const work = skip ? '' : mkdtempSync('/tmp/fleetplan-symlinks-plans-');
const DEB = 'deb-sysv-1';
const BSD = 'freebsd-1';
const U = 'mallory';
const HOME = `/home/${U}`;
/** Content of the root-only files: must never appear in any output. */
const SECRET = 'TOPSECRET-3f9c1e77';
let fleet: Fleet;
let planNo = 0;

/** Runs `cmd` as the unprivileged user inside the host. */
const asUser = (host: string, cmd: string) => fleet.exec(host, `su -s /bin/sh ${U} -c '${cmd.replace(/'/g, `'\\''`)}'`);
/** Runs `cmd` as root inside the host; fails the test if it fails. */
async function root(host: string, cmd: string): Promise<string> {
  const r = await fleet.exec(host, cmd);
  assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`);
  return r.stdout;
}
/** Owner, group, mode and hash of a path inside the host (never following a link). */
const fingerprint = (host: string, p: string) => root(host, `stat -c '%U:%G %a %F' -- ${p} && { [ -f ${p} ] && ! [ -L ${p} ] && sha256sum < ${p} || true; }`);

/** A root-only file (or directory) outside the plan, as a planted link's target. */
async function rootOnly(host: string, p: string, dir = false): Promise<string> {
  await root(host, dir ? `rm -rf ${p}; mkdir -m 0700 ${p}; echo '${SECRET}' > ${p}/inside; chmod 600 ${p}/inside` : `rm -rf ${p}; echo '${SECRET}' > ${p}; chmod 600 ${p}`);
  return fingerprint(host, p);
}

/** Writes a one-play plan with these tasks (YAML text) and applies it to one host. */
async function apply(host: string, tasks: string, extra: string[] = []): Promise<{ code: number; all: string; tasks: any[] }> {
  const file = path.join(work, `plan-${++planNo}.yml`);
  writeFileSync(file, `name: symlink attack ${planNo}\nhosts: all\ntasks:\n${tasks}`);
  const r = await fleetplan(['apply', file, '-i', fleet.inventoryPath, '--limit', host, '--json', ...extra]);
  assert.ok(r.json, `no JSON (exit ${r.code}): ${r.stderr}`);
  return { code: r.code, all: r.stdout + r.stderr, tasks: r.json.hosts[host]?.tasks ?? [] };
}

/** The one task of a run failed, with an error matching `re`. */
function refused(run: { tasks: any[] }, re: RegExp): void {
  const t = run.tasks[0];
  assert.equal(t?.status, 'failed', JSON.stringify(run.tasks));
  assert.match(t.error, re);
}

before(async () => {
  if (skip) return;
  fleet = await up({ os: ['debian-sysv', 'freebsd'], count: 1, out });
  writeFileSync(path.join(work, 'motd.hbs'), 'hello {{inventory_hostname}}\n');
  writeFileSync(path.join(work, 'banner.txt'), 'copied banner\n');
  for (const h of [DEB, BSD]) {
    const add = h === BSD ? `pw useradd ${U} -m -s /bin/sh` : `useradd -m -s /bin/sh ${U}`;
    await root(h, `id ${U} >/dev/null 2>&1 || ${add}; chmod 755 ${HOME}; chown ${U} ${HOME}`);
  }
});
after(async () => {
  if (!out) return;
  await down(out).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('hardening: symlinks and paths a host user controls', { skip }, () => {
  it('stops: a planted symlink at ~/.ssh makes `directory` with owner chown a root-only directory', async () => {
    const before = await rootOnly(DEB, '/root/victim-dir', true);
    await asUser(DEB, `rm -rf ~/.ssh; ln -s /root/victim-dir ~/.ssh`);
    const run = await apply(DEB, `  - directory: { path: ${HOME}/.ssh, owner: ${U}, mode: "0700" }\n`);
    refused(run, new RegExp(`${HOME}/\\.ssh is a symbolic link to /root/victim-dir owned by ${U}; refusing to follow it`));
    assert.equal(await fingerprint(DEB, '/root/victim-dir'), before);
  });

  it('stops: a symlinked directory makes `directory` with mode chmod its target', async () => {
    const before = await rootOnly(DEB, '/root/victim-mode', true);
    await asUser(DEB, `rm -rf ~/www; ln -s /root/victim-mode ~/www`);
    refused(await apply(DEB, `  - directory: { path: ${HOME}/www, mode: "0777" }\n`), /symbolic link to \/root\/victim-mode/);
    assert.equal(await fingerprint(DEB, '/root/victim-mode'), before);
  });

  it('stops: `file` with content writes through a symlink planted at its path', async () => {
    const before = await rootOnly(DEB, '/root/victim-file');
    await asUser(DEB, `rm -f ~/notes; ln -s /root/victim-file ~/notes`);
    const run = await apply(DEB, `  - file: { path: ${HOME}/notes, content: "owned\\n", owner: ${U} }\n`);
    refused(run, /symbolic link to \/root\/victim-file owned by mallory/);
    assert.equal(await fingerprint(DEB, '/root/victim-file'), before);
    assert.doesNotMatch(run.all, new RegExp(SECRET));
  });

  it('stops: `template` renders over a symlink to a root-only file (and shows it in --diff)', async () => {
    const before = await rootOnly(DEB, '/root/victim-tpl');
    await asUser(DEB, `rm -f ~/.motd; ln -s /root/victim-tpl ~/.motd`);
    const tasks = `  - template: { src: motd.hbs, dest: ${HOME}/.motd }\n`;
    const check = await apply(DEB, tasks, ['--check', '--diff']);
    refused(check, /symbolic link to \/root\/victim-tpl/);
    assert.doesNotMatch(check.all, new RegExp(SECRET));
    refused(await apply(DEB, tasks), /symbolic link/);
    assert.equal(await fingerprint(DEB, '/root/victim-tpl'), before);
  });

  it('stops: `copy` overwrites the target of a planted symlink', async () => {
    const before = await rootOnly(DEB, '/root/victim-copy');
    await asUser(DEB, `rm -f ~/banner; ln -s /root/victim-copy ~/banner`);
    refused(await apply(DEB, `  - copy: { src: banner.txt, dest: ${HOME}/banner, mode: "0644" }\n`), /symbolic link to \/root\/victim-copy/);
    assert.equal(await fingerprint(DEB, '/root/victim-copy'), before);
  });

  it('stops: `file` with mode/owner only (no content) chmods and chowns through a symlink', async () => {
    const before = await rootOnly(DEB, '/root/victim-attr');
    await asUser(DEB, `rm -f ~/attr; ln -s /root/victim-attr ~/attr`);
    refused(await apply(DEB, `  - file: { path: ${HOME}/attr, mode: "0644", owner: ${U} }\n`), /symbolic link to \/root\/victim-attr/);
    assert.equal(await fingerprint(DEB, '/root/victim-attr'), before);
  });

  it('stops: a `line` edit of a symlinked dotfile discloses the root-only target in --diff and --json', async () => {
    const before = await rootOnly(DEB, '/root/victim-line');
    await asUser(DEB, `rm -f ~/.profile; ln -s /root/victim-line ~/.profile`);
    const tasks = `  - line: { path: ${HOME}/.profile, line: "umask 027" }\n`;
    const check = await apply(DEB, tasks, ['--check', '--diff']);
    refused(check, /\.profile is a symbolic link to \/root\/victim-line owned by mallory/);
    assert.doesNotMatch(check.all, new RegExp(SECRET));
    const real = await apply(DEB, tasks);
    refused(real, /symbolic link/);
    assert.doesNotMatch(real.all, new RegExp(SECRET));
    assert.equal(await fingerprint(DEB, '/root/victim-line'), before);
  });

  it('stops: a symlink pre-planted at the backup name (name.<timestamp>~) makes the backup clobber its target', async () => {
    const before = await rootOnly(DEB, '/root/victim-backup');
    await asUser(DEB, `echo old > ~/app.conf`);
    // Every timestamp of the next few minutes is a link to the root-only file.
    await asUser(DEB, `now=$(date +%s); i=0; while [ $i -lt 300 ]; do ln -sf /root/victim-backup ~/app.conf.$(date -d @$((now + i)) +%Y%m%d%H%M%S)~; i=$((i + 1)); done`);
    const run = await apply(DEB, `  - file: { path: ${HOME}/app.conf, content: "new\\n", backup: true }\n`);
    assert.equal(run.tasks[0]?.status, 'failed', 'the backup name is taken: the write stops');
    assert.equal(await fingerprint(DEB, '/root/victim-backup'), before);
    assert.equal(await root(DEB, `cat ${HOME}/app.conf`), 'old\n', 'nothing replaced when the backup could not be made');
    await asUser(DEB, `rm -f ~/app.conf.*~`);
    const ok = await apply(DEB, `  - file: { path: ${HOME}/app.conf, content: "new\\n", backup: true }\n`);
    assert.equal(ok.tasks[0]?.status, 'changed', JSON.stringify(ok.tasks));
    assert.match(await root(DEB, `cat ${HOME}/app.conf.*~; cat ${HOME}/app.conf`), /^old\nnew\n$/);
  });

  it('stops: a parent directory swapped for the user\'s symlink (~/.ssh → a root directory) redirects the write', async () => {
    await root(DEB, 'rm -rf /root/sshdir; mkdir -m 0700 /root/sshdir');
    await asUser(DEB, `rm -rf ~/.ssh; ln -s /root/sshdir ~/.ssh`);
    const run = await apply(DEB, `  - file: { path: ${HOME}/.ssh/authorized_keys, content: "ssh-ed25519 AAAA key\\n", mode: "0600" }\n`);
    refused(run, new RegExp(`${HOME}/\\.ssh is a symbolic link owned by ${U}; refusing to follow a link a host user controls`));
    assert.equal(await root(DEB, 'ls -A /root/sshdir'), '');
  });

  it('stops: follow: true is taken as licence to follow a link the host user owns', async () => {
    const before = await rootOnly(DEB, '/root/victim-follow');
    await asUser(DEB, `rm -f ~/f; ln -s /root/victim-follow ~/f`);
    refused(await apply(DEB, `  - file: { path: ${HOME}/f, content: "x\\n", follow: true }\n`), /follow: true follows only a link owned by root/);
    assert.equal(await fingerprint(DEB, '/root/victim-follow'), before);
  });

  it('follows a root-owned link with follow: true (Ansible\'s meaning), and refuses it without', async () => {
    await root(DEB, 'rm -rf /etc/fp-real /etc/fp-link; echo old > /etc/fp-real; ln -s /etc/fp-real /etc/fp-link');
    refused(await apply(DEB, `  - file: { path: /etc/fp-link, content: "new\\n", mode: "0640" }\n`), /\/etc\/fp-link is a symbolic link to \/etc\/fp-real owned by root/);
    const run = await apply(DEB, `  - file: { path: /etc/fp-link, content: "new\\n", mode: "0640", follow: true }\n`);
    assert.equal(run.tasks[0]?.status, 'changed', JSON.stringify(run.tasks));
    assert.equal(await root(DEB, 'cat /etc/fp-real; stat -c %a /etc/fp-real; readlink /etc/fp-link'), 'new\n640\n/etc/fp-real\n');
    const again = await apply(DEB, `  - file: { path: /etc/fp-link, content: "new\\n", mode: "0640", follow: true }\n`);
    assert.equal(again.tasks[0]?.status, 'ok', 'idempotent through the link');
  });

  it('line and settings follow a root-owned link with follow: true, editing the target', async () => {
    await root(DEB, 'rm -rf /etc/fp-conf /etc/fp-conf-link; printf "a = 1\\n" > /etc/fp-conf; ln -s /etc/fp-conf /etc/fp-conf-link');
    refused(await apply(DEB, `  - line: { path: /etc/fp-conf-link, line: "b = 2" }\n`), /\/etc\/fp-conf-link is a symbolic link to \/etc\/fp-conf owned by root/);
    const run = await apply(DEB, `  - line: { path: /etc/fp-conf-link, line: "b = 2", follow: true }\n  - settings: { path: /etc/fp-conf-link, values: { a: "3" }, follow: true }\n`);
    assert.deepEqual(run.tasks.map((t) => t.status), ['changed', 'changed'], JSON.stringify(run.tasks));
    assert.equal(await root(DEB, 'cat /etc/fp-conf; readlink /etc/fp-conf-link'), 'a = 3\nb = 2\n/etc/fp-conf\n');
  });

  it('stops: a hard link to a root-only file in the user\'s directory makes root chmod it', async () => {
    // FreeBSD (and Linux with fs.protected_hardlinks=0) let a user hard-link any file; made here by root.
    const before = await rootOnly(DEB, `${HOME}/../victim-hard`);
    await root(DEB, `ln -f ${HOME}/../victim-hard ${HOME}/hard`);
    refused(await apply(DEB, `  - file: { path: ${HOME}/hard, mode: "0644", owner: ${U} }\n`), /has 2 hard links and \/home\/mallory is writable by mallory/);
    assert.equal(await fingerprint(DEB, `${HOME}/../victim-hard`), before);
    await root(DEB, `rm -f ${HOME}/hard /home/victim-hard`);
  });

  it('still manages what the user owns: ~/.ssh gets its owner and mode, authorized_keys its content, a dotfile its line', async () => {
    await asUser(DEB, `rm -rf ~/.ssh ~/.profile; mkdir ~/.ssh; echo 'export A=1' > ~/.profile`);
    const tasks =
      `  - directory: { path: ${HOME}/.ssh, owner: root, mode: "0711" }\n` +
      `  - file: { path: ${HOME}/.ssh/authorized_keys, content: "ssh-ed25519 AAAA key\\n", owner: ${U}, mode: "0600" }\n` +
      `  - line: { path: ${HOME}/.profile, line: "umask 027" }\n` +
      `  - file: { path: ${HOME}/.profile, mode: "0640" }\n` +
      `  - directory: { path: ${HOME}/a/b/c, owner: ${U}, mode: "0750" }\n`;
    const diff = await apply(DEB, tasks, ['--check', '--diff']);
    assert.match(diff.all, /export A=1/, 'the user\'s own file is shown');
    const run = await apply(DEB, tasks);
    assert.deepEqual(run.tasks.map((t) => t.status), ['changed', 'changed', 'changed', 'changed', 'changed'], JSON.stringify(run.tasks));
    assert.equal(
      await root(DEB, `stat -c '%U %a' ${HOME}/.ssh ${HOME}/.ssh/authorized_keys ${HOME}/.profile ${HOME}/a/b/c; cat ${HOME}/.profile`),
      `root 711\n${U} 600\n${U} 640\n${U} 750\nexport A=1\numask 027\n`,
    );
    assert.doesNotMatch(await root(DEB, `ls -A ${HOME} ${HOME}/.ssh`), /\.fleetplan\./, 'no temporary left behind');
    const again = await apply(DEB, tasks);
    assert.deepEqual(again.tasks.map((t) => t.status), ['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  // The races: the user flips a name between the real thing and a link to a root-only file, the link standing half
  // of the time (short sleeps), for a bounded number of rounds, while fleetplan applies again and again. Every
  // moment of a run (read, plan, change) meets either, so a defence that checks once and then acts by path loses.
  const flip = (name: string, target: string, rounds: number) =>
    `i=0; while [ $i -lt ${rounds} ] && ! [ -e ~/stop ]; do mv ~/${name} ~/${name}.real; ln -s ${target} ~/${name}; sleep 0.03; rm ~/${name}; mv ~/${name}.real ~/${name}; sleep 0.03; i=$((i+1)); done; rm -f ~/stop`;

  it('stops: a directory swapped for a symlink in a loop while fleetplan applies (race) changes a root-only file', async () => {
    await root(DEB, `rm -rf /root/race; mkdir -m 0700 /root/race; echo '${SECRET}' > /root/race/conf; chmod 600 /root/race/conf`);
    const before = await fingerprint(DEB, '/root/race/conf');
    await asUser(DEB, 'rm -rf ~/site ~/site.real; mkdir ~/site; echo "user conf" > ~/site/conf');
    const flipper = asUser(DEB, flip('site', '/root/race', 400));
    const tasks = (n: number) =>
      `  - file: { path: ${HOME}/site/conf, content: "managed ${n}\\n", owner: ${U}, mode: "0644" }\n` +
      `  - file: { path: ${HOME}/site/conf, mode: "${n % 2 ? '0640' : '0644'}" }\n` +
      `  - directory: { path: ${HOME}/site, owner: ${U}, mode: "${n % 2 ? '0755' : '0775'}" }\n`;
    const statuses: string[] = [];
    const errors: string[] = [];
    for (let n = 0; n < 10; n++) {
      const run = (await apply(DEB, tasks(n))).tasks;
      statuses.push(...run.map((t) => t.status));
      errors.push(...run.flatMap((t) => (t.error ? [t.error] : [])));
    }
    await asUser(DEB, 'touch ~/stop');
    await flipper;
    assert.equal(await fingerprint(DEB, '/root/race/conf'), before, 'the root-only file never changed');
    assert.equal(await root(DEB, "stat -c '%U %a' /root/race; ls -A /root/race"), 'root 700\nconf\n', 'nothing written into, chowned or chmodded in the root-only directory');
    assert.ok(statuses.includes('failed'), `the swaps were met and refused: ${statuses.join(' ')}`);
    // Refused as links (at the read, or by the change's physical-path check), not only as the name missing mid-flip.
    assert.ok(errors.some((e) => /symbolic link|no longer leads to/.test(e)), `a swap was refused as one: ${errors.join(' | ')}`);
  });

  it('stops: a regular file swapped for a symlink in a loop (race) gets a root-only file chmodded or disclosed', async () => {
    const before = await rootOnly(DEB, '/root/race-file');
    await asUser(DEB, 'rm -f ~/.bashrc; echo "alias ll=ls" > ~/.bashrc; chmod 644 ~/.bashrc');
    const flipper = asUser(DEB, flip('.bashrc', '/root/race-file', 400));
    const outputs: string[] = [];
    for (let n = 0; n < 10; n++) {
      const mode = n % 2 ? '0600' : '0644';
      const r = await apply(DEB, `  - file: { path: ${HOME}/.bashrc, mode: "${mode}", owner: ${U} }\n  - line: { path: ${HOME}/.bashrc, line: "export N=${n}" }\n`, ['--diff']);
      outputs.push(r.all);
    }
    await asUser(DEB, 'touch ~/stop');
    await flipper;
    assert.equal(await fingerprint(DEB, '/root/race-file'), before, 'never chmodded, chowned or written');
    for (const o of outputs) assert.doesNotMatch(o, new RegExp(SECRET), 'never shown');
  });

  it('stops: the user swapping fleetplan\'s temporary name for a symlink (planted temp-name race), then a chmod through it', async () => {
    const before = await rootOnly(DEB, '/root/tmp-target');
    await asUser(DEB, 'rm -rf ~/spool; mkdir ~/spool');
    // Whatever .fleetplan.* appears in ~/spool is renamed aside and replaced by a link to the root-only file; a
    // slow validate keeps the temporary there long enough to be found.
    const thief = asUser(DEB, 'i=0; while [ $i -lt 6000 ] && ! [ -e ~/stop ]; do for t in ~/spool/.fleetplan.??????; do if [ -e "$t" ] && ! [ -L "$t" ]; then mv "$t" "$t.stolen" 2>/dev/null && ln -s /root/tmp-target "$t"; fi; done; sleep 0.01; i=$((i+1)); done; rm -f ~/stop');
    const tasks = (n: number) =>
      `  - file: { path: ${HOME}/spool/job, content: "job ${n}\\n", mode: "0600", validate: "sleep 0.2" }\n` +
      `  - file: { path: ${HOME}/spool/job, mode: "0644" }\n`;
    for (let n = 0; n < 8; n++) await apply(DEB, tasks(n));
    await asUser(DEB, 'touch ~/stop');
    await thief;
    assert.equal(await fingerprint(DEB, '/root/tmp-target'), before);
  });

  it('stops (freebsd personality): a planted ~/.ssh symlink makes `directory` chown a root-only directory; the user\'s own ~/.ssh is managed', async () => {
    const before = await rootOnly(BSD, '/root/victim-dir', true);
    await asUser(BSD, `rm -rf ~/.ssh; ln -s /root/victim-dir ~/.ssh`);
    const tasks = `  - directory: { path: ${HOME}/.ssh, owner: ${U}, group: wheel, mode: "0700" }\n  - file: { path: ${HOME}/.ssh/authorized_keys, content: "k\\n", owner: ${U}, mode: "0600" }\n`;
    const run = await apply(BSD, tasks);
    refused(run, /symbolic link to \/root\/victim-dir owned by mallory/);
    assert.equal(await fingerprint(BSD, '/root/victim-dir'), before);
    await asUser(BSD, `rm -f ~/.ssh; mkdir ~/.ssh`);
    const ok = await apply(BSD, tasks);
    assert.deepEqual(ok.tasks.map((t) => t.status), ['changed', 'changed'], JSON.stringify(ok.tasks));
    assert.equal(await root(BSD, `stat -c '%U:%G %a' ${HOME}/.ssh; stat -c '%U %a' ${HOME}/.ssh/authorized_keys`), `${U}:wheel 700\n${U} 600\n`);
  });
});
