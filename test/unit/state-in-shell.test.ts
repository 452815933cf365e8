// The state read's queries that run in the batch's own shell, not a subshell (StateQuery.inShell): the
// services of every init backend (SysV with Debian's links and with chkconfig, FreeBSD rc, systemd) and
// the files. Each runs, under dash and under bash in POSIX mode (CentOS's sh), between two probes of
// what a later query (a guard's command) sees: positional parameters, cwd (logical and physical),
// OLDPWD, options, umask, traps, exported names and every variable outside fleetplan's `_fp_` names.
// Nothing may differ. The init directories are fakes, bind-mounted in a mount namespace of the test's
// own (unshare -m: /etc/init.d, /etc/rc[235].d, /usr/local/etc), and systemctl, service, chkconfig and
// sysrc are fakes on PATH, so every branch of every snippet runs (a service found, running, enabled).
// The shell starts with OLDPWD set (imported) and unset.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { bsdrc } from '../../src/backends/init/bsdrc.js';
import { systemd } from '../../src/backends/init/systemd.js';
import { chkconfig, sysv, updateRcD } from '../../src/backends/init/sysv.js';
import { stateRead } from '../../src/state/batch.js';
import { fileQuery } from '../../src/state/file-state.js';
import type { StateQuery } from '../../src/state/query.js';
import { sha256 } from '../../src/ops/file-content.js';

const root = mkdtempSync(path.join(tmpdir(), 'fleetplan-in-shell-'));
after(() => rmSync(root, { recursive: true, force: true }));

const exe = (file: string, text: string) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${text}\n`);
  chmodSync(file, 0o755);
};

// The fakes: an init.d with a running and a stopped service, start links for the running one, rc.d
// scripts, and the tools.
const initd = path.join(root, 'init.d');
exe(path.join(initd, 'svc-on'), 'exit 0');
exe(path.join(initd, 'svc-off'), 'exit 3');
const rcd = (n: number) => path.join(root, `rc${n}.d`);
for (const n of [2, 3, 5]) {
  mkdirSync(rcd(n));
  symlinkSync('../init.d/svc-on', path.join(rcd(n), 'S01svc-on'));
}
const localEtc = path.join(root, 'local-etc');
exe(path.join(localEtc, 'rc.d', 'svc-on'), 'exit 0');
exe(path.join(localEtc, 'rc.d', 'sendmail'), 'exit 0');
const bin = path.join(root, 'bin');
exe(path.join(bin, 'service'), 'exit 0');
exe(path.join(bin, 'chkconfig'), 'exit 0');
exe(path.join(bin, 'sysrc'), 'case "$2" in sendmail_submit_enable) echo YES ;; *) echo NO ;; esac');
exe(
  path.join(bin, 'systemctl'),
  'case "$1" in show) printf "Id=a.service\\nNames=a.service\\nLoadState=loaded\\nActiveState=active\\nUnitFileState=generated\\n\\nId=b.service\\nNames=b.service\\nLoadState=loaded\\nActiveState=inactive\\nUnitFileState=enabled\\n" ;; is-enabled) echo enabled ;; esac',
);
// Files: one plain, one through a linked directory, a link to a file, one missing under a missing directory.
const files = path.join(root, 'files');
mkdirSync(path.join(files, 'real'), { recursive: true });
writeFileSync(path.join(files, 'real', 'a.conf'), 'a\n');
symlinkSync('real', path.join(files, 'via'));
symlinkSync('real/a.conf', path.join(files, 'link.conf'));
// The cwd the batch's shell starts in: reached through a link, so the logical and the physical cwd differ.
const cwd = path.join(files, 'via');

/** What a later query sees of the batch's shell (bash's own changing variables left out). */
const PROBE = String.raw`printf 'args %s [%s]\n' "$#" "$*"; printf 'pwd %s %s\n' "$PWD" "$(pwd -P)"; printf 'oldpwd %s\n' "${'$'}{OLDPWD-unset}"
printf 'opts %s umask %s\n' "$-" "$(umask)"; trap; export -p | sed -n 's/^export \([A-Za-z_][A-Za-z0-9_]*\).*/\1/p; s/^declare -x \([A-Za-z_][A-Za-z0-9_]*\).*/\1/p'
for _fp_v in $(set | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' | grep -v '^_fp_' | grep -Ev '^(LINENO|RANDOM|SRANDOM|SECONDS|_|PIPESTATUS|BASHPID|BASH_.*|EPOCH.*|FUNCNAME|OPTIND)$'); do
  eval "printf 'var %s=%s\n' \"\$_fp_v\" \"\${'$'}{$_fp_v}\""
done`;

const probe = (i: number): StateQuery<string> => ({ key: `probe ${i}`, script: PROBE, parse: (out) => out.toString() });

function runIn(shell: string[], oldpwd: string | undefined, script: string): { stdout: Buffer; stderr: string; exitCode: number; ms: number } {
  const mounts = [
    [initd, '/etc/init.d'],
    [rcd(2), '/etc/rc2.d'],
    [rcd(3), '/etc/rc3.d'],
    [rcd(5), '/etc/rc5.d'],
    [localEtc, '/usr/local/etc'],
  ].map(([from, to]) => `mount --bind ${from} ${to}`).join(' && ');
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${mounts} && cd ${cwd} && ${oldpwd ? `export OLDPWD=${oldpwd}` : 'unset OLDPWD'} && exec "$@"`, 'mounts', ...shell, '-c', script], {
    env: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: root },
    maxBuffer: 1 << 24,
  });
  return { stdout: r.stdout, stderr: r.stderr.toString(), exitCode: r.status ?? -1, ms: 0 };
}

const shells: Record<string, string[]> = { dash: ['dash'], 'bash --posix': ['bash', '--posix'] };
const skip = spawnSync('unshare', ['-m', 'true']).status !== 0 ? 'needs unshare -m (root)' : false;

for (const [label, shell] of Object.entries(shells)) for (const oldpwd of ['/var', undefined]) {
  test(`state read (${label}, OLDPWD ${oldpwd ?? 'unset'}): the services of every init backend and the files read in the batch's shell leave it as they found it`, { skip }, () => {
    const reads: StateQuery[] = [
      sysv(updateRcD).query(['svc-on', 'svc-off', 'nope']),
      sysv(chkconfig).query(['svc-on']),
      bsdrc.query(['svc-on', 'sendmail', 'nope']),
      systemd.query(['a', 'b']),
      fileQuery(path.join(files, 'real', 'a.conf'), { wantSha: sha256(Buffer.from('other\n')), withContent: true }),
      fileQuery(path.join(files, 'via', 'a.conf')),
      fileQuery(path.join(files, 'link.conf'), { follow: true }),
      fileQuery(path.join(files, 'gone', 'x', 'y.conf')),
    ];
    for (const q of reads) assert.equal(q.inShell, true, `${q.key} runs in the batch's shell`);
    // Files are one query for all their paths (one group), as in a real batch.
    const queries = [probe(0), ...reads.flatMap((q, i) => [q, probe(i + 1)])];
    const read = stateRead(queries);
    const res = runIn(shell, oldpwd, read.script);
    assert.equal(res.exitCode, 0, res.stderr);
    const view = read.take(res);
    const seen = queries.filter((q) => q.key.startsWith('probe')).map((q) => view.get(q as StateQuery<string>));
    assert.match(seen[0]!, new RegExp(`^args 0 \\[\\]\npwd \\S+/files/via \\S+/files/real\noldpwd ${oldpwd ?? 'unset'}\n`), 'the probe reads what it should');
    for (let i = 1; i < seen.length; i++) assert.equal(seen[i], seen[0], `after ${reads[i - 1]!.key}`);
    // Every branch ran: the services as the fakes say, the files as they are.
    const get = (q: StateQuery) => view.get(q as StateQuery<any>);
    assert.deepEqual(get(reads[0]!), {
      'svc-on': { exists: true, running: true, enabled: true },
      'svc-off': { exists: true, running: false, enabled: false },
      nope: { exists: false, running: false, enabled: false },
    });
    assert.deepEqual(get(reads[1]!), { 'svc-on': { exists: true, running: true, enabled: true } });
    assert.deepEqual(get(reads[2]!), {
      'svc-on': { exists: true, running: true, enabled: true },
      sendmail: { exists: true, running: true, enabled: true },
      nope: { exists: false, running: false, enabled: false },
    });
    assert.deepEqual(get(reads[3]!), { a: { exists: true, running: true, enabled: true }, b: { exists: true, running: false, enabled: true } });
    assert.equal(get(reads[4]!).content?.toString(), 'a\n');
    assert.equal(get(reads[5]!).linked, true);
    assert.equal(get(reads[6]!).followed, path.join(files, 'real', 'a.conf'));
    assert.equal(get(reads[7]!).exists, false);
  });
}
