// README's "three commands" are run exactly as written, so the README cannot drift from what works:
// the ```sh block after `<!-- three-commands -->` is read from README.md, its /tmp paths moved into
// a temporary directory and its relay password replaced by a marker, and each line run with
// `bash -c` from the repository root. The fleet comes up, `init relay` takes its hosts, the dry run
// shows main.cf's diff and a pending change on every host, the marker is printed nowhere, and the
// hosts are exactly as before. Then the fleet is torn down with the command the README gives.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { down, load, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { repoRoot } from './cli.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const tmp = skip ? '' : mkdtempSync('/tmp/fleetplan-three-');
const SECRET = `Readme-marker-${randomBytes(9).toString('base64url')}`;
let fleetDir: string | undefined;

after(async () => {
  if (!tmp) return;
  if (fleetDir) await down(fleetDir).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

/** The lines of the ```sh block right after `<!-- three-commands -->` in README.md. */
function readmeCommands(): string[] {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const m = /^<!-- three-commands -->\n```sh\n([\s\S]*?)^```$/m.exec(readme);
  assert.ok(m, 'README.md has no ```sh block right after <!-- three-commands -->');
  return m[1]!.split('\n').filter((l) => l.trim() !== '');
}

interface Ran {
  line: string;
  code: number;
  output: string;
}

/** One README line under bash, from the repository root; stdout and stderr interleaved as a user sees them. */
function bash(line: string, timeoutMs: number): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    // Only what the line itself sets may reach fleetplan.
    for (const k of ['FLEETPLAN_RELAY_PASSWORD', 'FLEETPLAN_VAULT_PASSWORD']) delete env[k];
    const child = spawn('bash', ['-c', line], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ line, code: code ?? -1, output });
    });
  });
}

/** What a dry run must not change on a host: Postfix's and OpenDKIM's files, with their times. */
const STATE = [
  'for f in /etc/postfix/main.cf /usr/local/etc/postfix/main.cf /etc/postfix/sasl_passwd /usr/local/etc/postfix/sasl_passwd /etc/opendkim.conf /etc/mail/mailer.conf; do',
  '  if [ -e "$f" ]; then echo "$f $(sha256sum < "$f")"; else echo "$f absent"; fi',
  'done',
  'ls -la --time-style=full-iso /etc/postfix /usr/local/etc/postfix /etc/opendkim 2>&1',
].join('\n');

async function hostStates(fleet: Fleet): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const h of fleet.hosts) {
    const r = await fleet.exec(h.name, STATE);
    out[h.name] = r.stdout;
  }
  return out;
}

test('README: from nothing to a dry-run diff of the relay plan in the three commands as written', { skip, timeout: 20 * 60_000 }, async () => {
  const written = readmeCommands();
  assert.equal(written.length, 3, `expected three commands, found:\n${written.join('\n')}`);
  assert.ok(written.some((l) => l.includes('/tmp/')), 'the commands no longer use /tmp paths: update this test');
  assert.ok(written.some((l) => /FLEETPLAN_RELAY_PASSWORD='[^']*'/.test(l)), 'the commands no longer set FLEETPLAN_RELAY_PASSWORD: update this test');
  const lines = written.map((l) =>
    l.replaceAll('/tmp/', `${tmp}/`).replace(/FLEETPLAN_RELAY_PASSWORD='[^']*'/g, `FLEETPLAN_RELAY_PASSWORD='${SECRET}'`),
  );
  const outDir = /--out (\S+)/.exec(lines[0]!)?.[1];
  assert.ok(outDir, `the first command brings up the fleet with --out: ${written[0]}`);
  fleetDir = outDir;

  const ran: Ran[] = [];
  const run = async (line: string, timeoutMs: number) => {
    const r = await bash(line, timeoutMs);
    ran.push(r);
    assert.equal(r.code, 0, `exit ${r.code}: ${line}\n${r.output}`);
    return r;
  };

  // 1. The fleet (a fresh machine would install packages and build images here: minutes, not seconds).
  await run(lines[0]!, 15 * 60_000);
  const fleet = load(outDir);
  assert.equal(fleet.hosts.length, 3);
  const before = await hostStates(fleet);

  // 2. The starter directory, taking the fleet's hosts.
  const init = await run(lines[1]!, 60_000);
  for (const h of fleet.hosts) assert.match(init.output, new RegExp(`relay\\(s\\) from .*: .*\\b${h.name}\\b`));

  // 3. The dry run.
  const check = await run(lines[2]!, 5 * 60_000);
  assert.match(check.output, /^\s*--- \/etc\/postfix\/main\.cf\b.*\n\s*\+\+\+ \/etc\/postfix\/main\.cf\b/m, 'no main.cf diff');
  assert.match(check.output, /^\s*\+relayhost = \[smtp\.example\.net\]:587$/m);
  assert.match(check.output, /sasl_passwd: content changed \(secret: not shown\)/);
  const lines3 = check.output.split('\n');
  const header = (l: string) => /^\s*(\S+)\s+ok=\d+\s+changed=(\d+)\s+failed=(\d+)/.exec(l);
  for (const h of fleet.hosts) {
    const start = lines3.findIndex((l) => header(l)?.[1] === h.name);
    assert.ok(start >= 0, `no report for ${h.name}`);
    const m = header(lines3[start]!)!;
    assert.ok(Number(m[2]) > 0, `${h.name}: nothing would change`);
    assert.equal(m[3], '0', `${h.name}: failed tasks`);
    const end = lines3.findIndex((l, i) => i > start && header(l) !== null);
    const block = lines3.slice(start + 1, end < 0 ? undefined : end);
    assert.ok(block.some((l) => /^\s*would change\b/.test(l)), `${h.name}: no "would change" line`);
  }

  // The password reached fleetplan (the SASL map would change) but nothing printed it.
  for (const r of ran) assert.ok(!r.output.includes(SECRET), `the relay password was printed by: ${r.line}`);
  // Nothing changed on the hosts, and the password is nowhere on them.
  assert.deepEqual(await hostStates(fleet), before);
  for (const h of fleet.hosts) {
    const found = await fleet.exec(h.name, `grep -rlF -- '${SECRET}' /etc /usr/local/etc /tmp /root 2>/dev/null; true`);
    assert.equal(found.stdout, '', `${h.name}: the password is on the host`);
  }

  // Teardown as the README says.
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const downLine = /npm run fleet -- down --out \/tmp\/[^\s`]+/.exec(readme)?.[0]?.replaceAll('/tmp/', `${tmp}/`);
  assert.equal(downLine, `npm run fleet -- down --out ${outDir}`, 'README no longer says how to tear this fleet down');
  await run(downLine!, 120_000);
  assert.throws(() => load(outDir), /no fleet\.json/);
  fleetDir = undefined;
});
