// docs/os-matrix.md's backend tables are generated from the code (src/docs/os-matrix.ts): the
// committed file must hold exactly what the generator produces now, so it can never drift.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BEGIN_MARKER, END_MARKER, OS_MATRIX_DOC, renderOsMatrix, spliceGenerated } from '../../src/docs/os-matrix.js';

test('docs/os-matrix.md: the generated region is what the code generates (run npm run docs)', () => {
  const committed = readFileSync(OS_MATRIX_DOC, 'utf8');
  const start = committed.indexOf(BEGIN_MARKER);
  const end = committed.indexOf(END_MARKER);
  assert.ok(start >= 0 && end > start, 'docs/os-matrix.md has its generated-region markers');
  assert.equal(committed.slice(start, end + END_MARKER.length), renderOsMatrix(), 'docs/os-matrix.md is out of date: run npm run docs');
});

test('os-matrix: the generator lists every backend with its selection rule and exact commands', () => {
  const md = renderOsMatrix();
  for (const backend of ['apt', 'yum', 'dnf', 'pkg', 'ports', 'systemd', 'systemd-debian', 'sysv-debian', 'sysv-redhat', 'bsdrc', 'shadow-utils', 'pw']) {
    assert.match(md, new RegExp(`\\*\\*\`${backend}\`\\*\\*`), `${backend} has a commands section`);
  }
  assert.match(md, /\| package \| `ports` \| never from facts: only with `use: ports` \|/);
  assert.match(md, /\| service \(init\) \| `sysv-redhat` \| `facts.init` = `sysv` and `facts.os_family` = `RedHat` \|/);
  assert.match(md, /`service sendmail onestop`<br>`sysrc sendmail_enable=NONE/);
  assert.match(md, /refused: the package backend ports cannot do 'latest'/);
  // A `|` inside a command must not split the table cell.
  assert.match(md, /chkconfig --list postfix >\/dev\/null 2>&1 \\\|\\\| chkconfig --add postfix/);
});

test('os-matrix: splicing replaces only the region and refuses a document without markers', () => {
  const doc = `intro\n${BEGIN_MARKER}\nold\n${END_MARKER}\noutro\n`;
  assert.equal(spliceGenerated(doc, `${BEGIN_MARKER}\nnew\n${END_MARKER}`), `intro\n${BEGIN_MARKER}\nnew\n${END_MARKER}\noutro\n`);
  assert.throws(() => spliceGenerated('no markers', 'x'), /markers .* are missing/);
});
