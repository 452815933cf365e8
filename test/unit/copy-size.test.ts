// copy refuses a file over its bound (4 GiB; files over 1 MiB are streamed: streamed-write.test.ts): an input error
// from validate when the source is named literally; when a variable names it, the host fails before
// any change, naming task and reason — never a controller that runs out of memory.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { runPlan } from '../../src/engine/run.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlan } from '../../src/load/plan.js';
import { SecretRegistry } from '../../src/core/secret.js';
import { MAX_COPY_BYTES } from '../../src/ops/copy.js';
import { runProcess } from '../run-process.js';

const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fleetplan.js');
const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-copy-size-'));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(path.join(dir, 'files'));
truncateSync((writeFileSync(path.join(dir, 'files', 'big.bin'), ''), path.join(dir, 'files', 'big.bin')), MAX_COPY_BYTES + 1);
writeFileSync(path.join(dir, 'files', 'small.bin'), 'ok\n');
const inventory = path.join(dir, 'inventory.yml');
writeFileSync(inventory, 'all:\n  hosts:\n    me: { connection: local }\n  vars:\n    big: big.bin\n');

test('a literal source over the limit: validate names file:line:col, exit 4', async () => {
  const plan = path.join(dir, 'literal.yml');
  writeFileSync(plan, `hosts: all\ntasks:\n  - name: big\n    copy: { src: big.bin, dest: ${dir}/out-literal }\n`);
  const r = await runProcess(process.execPath, [main, 'validate', plan, '-i', inventory]);
  assert.equal(r.code, 4, r.output);
  assert.match(r.stderr, /literal\.yml:4:18: copy source 'big\.bin' is 4096\.0 MiB: copy sends at most 4096 MiB/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
});

test('a source named by a variable over the limit: the host fails naming plan position, task and reason before any change', async () => {
  const secrets = new SecretRegistry();
  const plan = path.join(dir, 'templated.yml');
  writeFileSync(plan, `hosts: all\ntasks:\n  - name: small\n    copy: { src: small.bin, dest: ${dir}/out-small }\n  - name: big\n    copy: { src: "{{big}}", dest: ${dir}/out-big }\n`);
  const failures: string[] = [];
  const summary = await runPlan(
    loadPlan(plan, { rolesPath: [], secrets }),
    loadInventory(inventory, secrets),
    { check: false, forks: 1, tags: [], skipTags: [], secrets, extraVars: {}, lockDir: path.join(dir, 'lock') },
    (e) => void (e.type === 'host-failed' && failures.push(e.error)),
  );
  assert.equal(summary.hosts.me?.failed, 1);
  assert.equal(failures.length, 1);
  assert.match(failures[0]!, /templated\.yml:5:5, host me, task 'big': copy source 'big\.bin' is 4096\.0 MiB: copy sends at most 4096 MiB/);
  // The play is prepared before it runs: the task before it changed nothing either.
  assert.ok(!existsSync(path.join(dir, 'out-small')) && !existsSync(path.join(dir, 'out-big')));
});
