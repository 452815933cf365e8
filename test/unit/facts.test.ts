// Facts detection as data: each fixture is what the facts script printed on one OS and the facts it must give.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FACTS_SCRIPT, parseFacts, parseRaw } from '../../src/facts/gather.js';
import { execFileSync } from 'node:child_process';

// Fixtures stay in the source tree; compiled tests run from dist/test/unit.
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(here, '../../../test/unit/fixtures/facts');

for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  test(`facts: ${name}`, () => {
    const { output, expected } = JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
    const facts = parseFacts(output);
    for (const [k, v] of Object.entries(expected)) assert.equal((facts as any)[k], v, `${name}: ${k}`);
  });
}

test('facts: an unrecognised host gets unknown, not a guess', () => {
  const f = parseFacts('system=Linux\nkernel=x\n');
  assert.equal(f.os_family, 'unknown');
  assert.equal(f.pkg_mgr, 'unknown');
  assert.equal(f.init, 'unknown');
});

test('facts script: what it reads without processes (/proc, /etc/passwd) equals uname and id, for root and for nobody', () => {
  const uname = execFileSync('uname', ['-snrm'], { encoding: 'utf8' }).trim().split(/\s+/);
  for (const user of ['root', 'nobody']) {
    const asUser = user === 'root' ? ['sh', '-c', FACTS_SCRIPT] : ['su', '-s', '/bin/sh', user, '-c', FACTS_SCRIPT];
    const out = execFileSync(asUser[0]!, asUser.slice(1), { encoding: 'utf8' });
    const raw = parseRaw(out);
    assert.deepEqual([raw.system, raw.hostname, raw.kernel, raw.arch], uname);
    assert.equal(raw.uid, execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    assert.equal(raw.user, user);
  }
});
