// A first apply's independent changes in one exchange (src/engine/batch-apply.ts) on a real host
// (one debian-sysv host, light sshd): a directory and the files in it written by ONE script (what
// --verbose lists per remote exec), the end state as planned and a re-run with nothing to do; a
// failure in the middle of a batch reported against its own task, the changes after it not made;
// ignore_errors going on.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan, tasksWith } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-batch-');
const HOST = 'deb-sysv-1';
const D = '/srv/batch';
let fleet: Fleet;

before(async () => {
  if (skip) return;
  fleet = await up({ os: 'debian-sysv', count: 1, out: path.join(out, 'fleet'), sshd: 'light' });
});
after(async () => {
  if (!out) return;
  await down(path.join(out, 'fleet')).catch(() => undefined);
  rmSync(out, { recursive: true, force: true });
});

async function root(cmd: string): Promise<string> {
  const r = await fleet.exec(HOST, cmd);
  assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
  return r.stdout;
}

function planFile(name: string, tasks: string): string {
  const file = path.join(out, `${name}.yml`);
  writeFileSync(file, `name: ${name}\nhosts: all\ntasks:\n${tasks}`);
  return file;
}

const FILES = Array.from({ length: 6 }, (_, i) => `  - name: conf ${i}\n    file: { path: ${D}/conf-${i}, content: "value ${i}\\n", mode: "0640" }\n`).join('');
const MANY = `  - name: the directory\n    directory: { path: ${D}, mode: "0750" }\n${FILES}  - name: a line in the notes\n    line: { path: ${D}/notes, line: more, create: true }\n`;

/** The remote scripts --verbose lists that touch the test's directory (one line each: `[host] exit N in T: what`). */
function changeScripts(stdout: string): string[] {
  return stdout.split('\n').filter((l) => new RegExp(`^\\s+\\[${HOST}\\] exit \\d+ in [^:]+: .*${D}`).test(l));
}

test('a first apply: the directory and its six files in one script, the same end state, then nothing to do', { skip }, async () => {
  await root(`rm -rf ${D}`);
  const plan = planFile('many', MANY);
  const first = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '-v']);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stdout, new RegExp(`${HOST}\\s+ok=\\d+ changed=8 failed=0`));
  const scripts = changeScripts(first.stdout);
  // 8 changed tasks: the directory, the six files and the notes in one script.
  assert.equal(scripts.length, 1, scripts.join('\n'));
  for (const f of ['conf-0', 'conf-5', 'notes']) assert.ok(scripts[0]!.includes(`write ${D}/${f}`), scripts[0]);
  assert.equal(await root(`stat -c '%a %U' ${D} ${D}/conf-5; cat ${D}/conf-0 ${D}/conf-5 ${D}/notes`), '750 root\n640 root\nvalue 0\nvalue 5\nmore\n');
  const again = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '-v']);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, new RegExp(`${HOST}\\s+ok=8 changed=0 failed=0`));
  assert.deepEqual(changeScripts(again.stdout), []);
});

const FAILING = (ignore: boolean) =>
  [
    `  - name: first\n    file: { path: ${D}/f-a, content: "a\\n" }\n`,
    `  - name: second\n    file: { path: ${D}/f-b, content: "b\\n" }\n`,
    `  - name: refused\n    file: { path: ${D}/f-c, content: "c\\n", validate: "sh -c 'echo f-c is refused >&2; exit 3' %s" }\n    ignore_errors: ${ignore}\n`,
    `  - name: after it\n    file: { path: ${D}/f-d, content: "d\\n" }\n`,
  ].join('');

test('a failure in the middle of a batch: its own task fails with its own stderr, the change after it is not made; ignore_errors goes on', { skip }, async () => {
  await root(`rm -rf ${D} && mkdir ${D}`);
  const failing = await fleetplan(['apply', planFile('failing', FAILING(false)), '-i', fleet.inventoryPath, '--json']);
  assert.equal(failing.code, 2, failing.stdout + failing.stderr);
  assert.deepEqual(tasksWith(failing.json, HOST, 'changed'), ['first', 'second']);
  assert.deepEqual(tasksWith(failing.json, HOST, 'failed'), ['refused']);
  const refused = failing.json.hosts[HOST].tasks.find((t: any) => t.name === 'refused');
  assert.match(refused.error, /f-c is refused/);
  assert.equal(failing.json.hosts[HOST].tasks.some((t: any) => t.name === 'after it'), false);
  assert.equal(await root(`ls ${D}`), 'f-a\nf-b\n', 'neither the refused file nor the one after it');

  await root(`rm -rf ${D} && mkdir ${D}`);
  const ignored = await fleetplan(['apply', planFile('ignored', FAILING(true)), '-i', fleet.inventoryPath, '--json']);
  assert.equal(ignored.code, 0, ignored.stdout + ignored.stderr);
  assert.deepEqual(tasksWith(ignored.json, HOST, 'changed'), ['first', 'second', 'after it']);
  assert.equal(await root(`ls ${D}`), 'f-a\nf-b\nf-d\n');
});
