// The postfix_version fact's marker (facts/gather.ts POSTFIX_VERSION_SH), run by this machine's sh
// against a stand-in postconf that counts its runs: a hit costs no process, anything doubtful is a
// miss that runs postconf; the marker is written only where the run lock said so (engine/host-lock.ts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseFacts, POSTFIX_MARKER_VAR, POSTFIX_VERSION_SH, FACTS_SCRIPT } from '../../src/facts/gather.js';
import { acquireScript, newOwner } from '../../src/engine/host-lock.js';

const root = mkdtempSync(path.join(tmpdir(), 'fp-pv-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A directory with a postconf printing `version` (and counting its runs), and a marker directory. */
function setup(version = '3.7.11') {
  const dir = path.join(root, String(++n));
  const bin = path.join(dir, 'bin');
  const lockDir = path.join(dir, 'lock');
  execFileSync('mkdir', ['-p', bin, lockDir]);
  chmodSync(lockDir, 0o700);
  const postconf = path.join(bin, 'postconf');
  writeFileSync(postconf, `#!/bin/sh\necho x >> ${dir}/runs\n[ "$*" = "-dh mail_version" ] && echo '${version}'\n`);
  chmodSync(postconf, 0o755);
  utimesSync(postconf, 1700000000, 1700000000);
  const marker = path.join(lockDir, 'postfix_version');
  const runs = () => (existsSync(`${dir}/runs`) ? readFileSync(`${dir}/runs`, 'utf8').split('\n').length - 1 : 0);
  /** What the snippet prints, with the marker variable set (as after the lock) or not. */
  const run = (withMarker = true) =>
    execFileSync('sh', ['-c', POSTFIX_VERSION_SH], { env: { PATH: `${bin}:/usr/bin:/bin`, ...(withMarker ? { [POSTFIX_MARKER_VAR]: marker } : {}) } }).toString();
  return { dir, bin, postconf, marker, lockDir, runs, run };
}

describe('postfix_version marker', () => {
  it('a miss runs postconf and writes path and version with postconf mtime; the next read is a hit without a process', () => {
    const t = setup();
    assert.equal(t.run(), 'postfix_version=3.7.11\n');
    assert.equal(t.runs(), 1);
    assert.equal(readFileSync(t.marker, 'utf8'), `${t.postconf}\n3.7.11\n`);
    assert.equal(statSync(t.marker).mtimeMs, statSync(t.postconf).mtimeMs);
    assert.equal(t.run(), 'postfix_version=3.7.11\n');
    assert.equal(t.runs(), 1, 'a hit runs no postconf');
  });

  it('postconf with another mtime (newer or OLDER, as a package upgrade may bring) is a miss', () => {
    const t = setup();
    t.run();
    for (const when of [1800000000, 1600000000]) {
      utimesSync(t.postconf, when, when);
      const before = t.runs();
      assert.equal(t.run(), 'postfix_version=3.7.11\n');
      assert.equal(t.runs(), before + 1, `mtime ${when}: postconf ran`);
      assert.equal(statSync(t.marker).mtimeMs, when * 1000, 'the marker follows postconf');
    }
  });

  it('a marker naming another postconf, a garbled or too long version is re-read', () => {
    const t = setup();
    for (const body of [`/usr/sbin/postconf\n9.9.9\n`, `${t.postconf}\n9.9;rm\n`, `${t.postconf}\n-9\n`, `${t.postconf}\n${'9'.repeat(65)}\n`, `${t.postconf}\n`]) {
      writeFileSync(t.marker, body);
      utimesSync(t.marker, 1700000000, 1700000000);
      const before = t.runs();
      assert.equal(t.run(), 'postfix_version=3.7.11\n', JSON.stringify(body));
      assert.equal(t.runs(), before + 1);
    }
  });

  it('a symlinked marker is neither read nor written through; a directory in its place is left alone', () => {
    const t = setup();
    const elsewhere = path.join(t.dir, 'elsewhere');
    writeFileSync(elsewhere, `${t.postconf}\n9.9.9\n`);
    utimesSync(elsewhere, 1700000000, 1700000000);
    symlinkSync(elsewhere, t.marker);
    assert.equal(t.run(), 'postfix_version=3.7.11\n');
    assert.equal(t.runs(), 1);
    assert.ok(lstatSync(t.marker).isSymbolicLink());
    assert.equal(readFileSync(elsewhere, 'utf8'), `${t.postconf}\n9.9.9\n`);
    rmSync(t.marker);
    execFileSync('mkdir', [t.marker]);
    assert.equal(t.run(), 'postfix_version=3.7.11\n');
    assert.ok(statSync(t.marker).isDirectory());
    assert.equal(execFileSync('ls', ['-A', t.marker]).toString(), '', 'nothing moved into it');
  });

  it('a version postconf prints outside the grammar is printed (the controller drops it) but never kept', () => {
    const t = setup('3.7$(id)');
    assert.equal(t.run(), 'postfix_version=3.7$(id)\n');
    assert.ok(!existsSync(t.marker));
    assert.equal(parseFacts(`system=Linux\nextended=1\npostfix_version=3.7$(id)\n`).postfix_version, '');
    assert.equal(parseFacts(`system=Linux\nextended=1\npostfix_version=3.9-20231012\n`).postfix_version, '3.9-20231012');
  });

  it('without the variable (no lock held: a dry run, `fleetplan facts`) postconf runs and nothing is written', () => {
    const t = setup();
    assert.equal(t.run(false), 'postfix_version=3.7.11\n');
    assert.equal(t.run(false), 'postfix_version=3.7.11\n');
    assert.equal(t.runs(), 2);
    assert.ok(!existsSync(t.marker));
  });

  it('the lock script sets the variable only when it took the lock (as root, as every host run)', () => {
    const t = setup();
    const facts = `${acquireScript(newOwner(), false, t.lockDir)}\necho @@\n${FACTS_SCRIPT}`;
    const sh = () => execFileSync('sh', ['-c', facts], { env: { PATH: `${t.bin}:/usr/bin:/bin:/usr/sbin:/sbin` } }).toString();
    const first = sh();
    assert.match(first, /^lock=acquired$/m);
    assert.match(first, /^postfix_version=3\.7\.11$/m);
    assert.ok(existsSync(t.marker));
    const held = sh();
    assert.match(held, /^lock=held$/m);
    assert.equal(t.runs(), 2, 'a run that does not hold the lock does not use the marker');
    rmSync(path.join(t.lockDir, 'lock'));
    chmodSync(t.lockDir, 0o770);
    const unsafe = sh();
    assert.match(unsafe, /^lock=unsafe$/m);
    assert.match(unsafe, /^postfix_version=3\.7\.11$/m);
    assert.equal(t.runs(), 3, 'an unsafe directory: the marker is not used');
  });
});
