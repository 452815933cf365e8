// No shell injection: values holding ; $(…) `…` quotes, newlines and spaces reach the host as data
// in every operation, and nothing extra runs. (command's `cmd` is shell by definition: values go
// through {{shquote}} there, which this proves too.)
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { writeScript } from '../../src/engine/executor.js';
import type { RunEvent } from '../../src/engine/events.js';
import { runPlan } from '../../src/engine/run.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlan } from '../../src/load/plan.js';
import { SecretRegistry } from '../../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-inject-'));
const pwned = path.join(dir, 'PWNED');
after(() => rmSync(dir, { recursive: true, force: true }));

const NASTY = [
  `a; touch ${pwned}`,
  `$(touch ${pwned})`,
  '`touch ' + pwned + '`',
  `'; touch ${pwned}; echo '`,
  `"; touch ${pwned}; echo "`,
  `line1\ntouch ${pwned}\n`,
  `spaces  and\ttabs`,
  `back\\slash \\' %s %d`,
];

test('nasty values stay data in file, line, settings, directory and shquoted command arguments', async () => {
  const inventory = path.join(dir, 'inventory.yml');
  writeFileSync(inventory, 'all:\n  hosts:\n    me: { connection: local }\n');
  const plan = path.join(dir, 'plan.yml');
  writeFileSync(
    plan,
    `hosts: all
tasks:
  - name: a directory whose name is hostile
    directory: { path: "{{base}}/{{item.name}}" }
    loop: "{{values}}"
  - name: a file whose path and content are hostile
    file: { path: "{{base}}/{{item.name}}/f", content: "{{item.value}}" }
    loop: "{{values}}"
  - name: a line
    line: { path: "{{base}}/lines", line: "{{item.value}}", create: true }
    loop: "{{one_line_values}}"
  - name: settings
    settings: { path: "{{base}}/settings", values: { key: "{{first}}" }, create: true }
  - name: a quoted command argument
    command: "printf '%s' {{shquote item.value}} > {{shquote (concat base '/cmd-' item.name)}}"
    loop: "{{values}}"
`,
  );
  const vars = {
    base: dir,
    first: NASTY[0],
    values: NASTY.map((value, i) => ({ name: `v${i} ${value.replace(/[/\n\0]/g, '_')}`, value })),
    // A line break in `line` is refused (it would be appended on every run): test/hardening/line-bytes.test.ts.
    one_line_values: NASTY.filter((v) => !v.includes('\n')).map((value) => ({ value })),
  };
  const cwdBefore = new Set(readdirSync(process.cwd()));
  const events: RunEvent[] = [];
  const summary = await runPlan(loadPlan(plan, { rolesPath: [], secrets: testSecrets }), loadInventory(inventory, testSecrets), { check: false, forks: 1, tags: [], skipTags: [], extraVars: vars, secrets: testSecrets }, (e) => events.push(e));
  const failures = events.flatMap((e) => (e.type === 'task-result' && e.result.status === 'failed' ? [`${e.result.task}: ${e.result.error}`] : []));
  assert.deepEqual(failures, []);
  assert.equal(summary.hosts.me!.failed, 0);
  assert.equal(existsSync(pwned), false, 'nothing extra ran');
  assert.deepEqual(readdirSync(process.cwd()).filter((f) => !cwdBefore.has(f)), [], 'no stray file in the working directory');
  vars.values.forEach(({ name, value }) => {
    assert.equal(readFileSync(path.join(dir, name, 'f'), 'utf8'), value, name);
    assert.equal(readFileSync(path.join(dir, `cmd-${name}`), 'utf8'), value, name);
  });
  assert.equal(readFileSync(path.join(dir, 'settings'), 'utf8'), `key = ${NASTY[0]}\n`);
  assert.equal(readFileSync(path.join(dir, 'lines'), 'utf8'), NASTY.filter((v) => !v.includes('\n')).map((v) => `${v}\n`).join(''));
});

test('a file gets its final owner and mode before its first byte is written', () => {
  const script = writeScript({ path: '/etc/postfix/sasl_passwd', content: Buffer.from('secret'), owner: 'root', group: 'root', mode: '0600' });
  const order = ['mktemp -d', ': > new', 'chown -h', 'chmod -- 0600', "printf '%s'", '_fp_mv new'].map((s) => script.indexOf(s));
  assert.ok(order.every((i) => i >= 0), script);
  assert.deepEqual([...order].sort((a, b) => a - b), order, 'private dir (0700) → empty file → chown → chmod → content → rename');
  assert.equal(statSync(dir).isDirectory(), true);
});
