// docs/quickstart.md is run as written, so it cannot drift from what works: every ```sh block after a
// `<!-- quickstart -->` marker, in order, as one bash script (a `cd` carries over) in an empty working
// directory, with `npm install -g` sent into a private prefix whose bin/ is first on the PATH, the
// tarball `npm pack` of this checkout, /tmp/fleet/ a one-host test fleet (its Ansible INI inventory,
// hosts.ini, with the fleet's host keys in the private HOME's ~/.ssh/known_hosts), and the relay password a
// marker. Each block must succeed; its time is measured against the one its heading states (with
// slack for a loaded machine); the dry run must show main.cf's diff; the marker is printed nowhere
// and nothing on the host changes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { runProcess } from '../run-process.js';
import { repoRoot } from './cli.js';
import { pack, packageVersion, prefixEnv } from './installed.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const tmp = mkdtempSync('/tmp/fleetplan-quickstart-');
const work = path.join(tmp, 'work');
const out = path.join(tmp, 'fleet');
const SECRET = `Quickstart-marker-${randomBytes(9).toString('base64url')}`;
let fleet: Fleet | undefined;

before(async () => {
  if (skip) return;
  mkdirSync(work);
  await pack(work);
  fleet = await up({ os: 'debian-systemd', count: 1, out });
});

after(async () => {
  if (fleet) await down(out).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

interface Step {
  heading: string;
  /** Seconds the heading announces: "(≈ 5 s)". */
  seconds: number;
  lines: string[];
}

function steps(): Step[] {
  const doc = readFileSync(path.join(repoRoot, 'docs/quickstart.md'), 'utf8');
  const found: Step[] = [];
  let heading = '';
  let seconds = NaN;
  const lines = doc.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const h = /^## (.+?)(?: \(≈ (\d+) s\))?$/.exec(lines[i]!);
    if (h) [heading, seconds] = [h[1]!, Number(h[2])];
    if (lines[i] !== '<!-- quickstart -->') continue;
    assert.equal(lines[i + 1], '```sh', `docs/quickstart.md:${i + 2}: a \`\`\`sh block must follow the marker`);
    const end = lines.indexOf('```', i + 2);
    assert.ok(!Number.isNaN(seconds), `docs/quickstart.md: "${heading}" states no time "(≈ N s)"`);
    found.push({ heading, seconds, lines: lines.slice(i + 2, end).filter((l) => l.trim() !== '') });
  }
  return found;
}

test('docs/quickstart.md: every command, as written, with the installed tarball against a fleet host', { skip, timeout: 10 * 60_000 }, async (t) => {
  const all = steps();
  assert.ok(all.length >= 4, `expected the walkthrough's steps, found ${all.length}`);
  const install = all[0]!.lines.join('\n');
  assert.match(install, new RegExp(`npm install -g \\./fleetplan-${packageVersion.replaceAll('.', '\\.')}\\.tgz`), 'the install line names another version than package.json');
  const mark = (i: number) => `@@step ${i}`;
  const script = ['set -euo pipefail', ...all.flatMap((s, i) => [`echo "${mark(i)} $(date +%s%N)"`, ...s.lines]), `echo "${mark(all.length)} $(date +%s%N)"`]
    .join('\n')
    .replaceAll('/tmp/fleet/', `${out}/`)
    .replace(/FLEETPLAN_RELAY_PASSWORD='[^']*'/g, `FLEETPLAN_RELAY_PASSWORD='${SECRET}'`);
  assert.ok(script.includes(SECRET), 'the walkthrough no longer sets FLEETPLAN_RELAY_PASSWORD: update this test');
  const host = fleet!.hosts[0]!.name;
  const before = (await fleet!.exec(host, 'sha256sum /etc/postfix/main.cf 2>&1; ls -la --time-style=full-iso /etc/postfix 2>&1')).stdout;

  // The operator's hosts are known to ssh already, as an Ansible user's are: ~/.ssh/known_hosts.
  mkdirSync(path.join(tmp, 'home', '.ssh'), { recursive: true, mode: 0o700 });
  copyFileSync(fleet!.knownHostsPath, path.join(tmp, 'home', '.ssh', 'known_hosts'));
  const env = prefixEnv(path.join(tmp, 'prefix'), { HOME: path.join(tmp, 'home'), XDG_CONFIG_HOME: '', XDG_STATE_HOME: '', XDG_CACHE_HOME: '' });
  for (const k of Object.keys(env)) if (k.startsWith('FLEETPLAN_')) delete env[k];
  const r = await runProcess('bash', ['-c', script], { cwd: work, env, timeoutMs: 9 * 60_000 });
  assert.equal(r.code, 0, r.output);

  // Each step within its stated time (three times it, for a loaded shared machine), and in order.
  const times = [...r.stdout.matchAll(/^@@step (\d+) (\d+)$/gm)].map((m) => Number(m[2]) / 1e6);
  assert.equal(times.length, all.length + 1, r.output);
  all.forEach((s, i) => {
    const took = (times[i + 1]! - times[i]!) / 1000;
    t.diagnostic(`${s.heading}: ${took.toFixed(1)} s (stated ≈ ${s.seconds} s)`);
    assert.ok(took <= Math.max(3 * s.seconds, 10), `"${s.heading}" took ${took.toFixed(1)} s, the page says ≈ ${s.seconds} s`);
  });

  assert.match(r.stdout, new RegExp(`^${packageVersion.replaceAll('.', '\\.')}$`, 'm'));
  assert.match(r.stdout, new RegExp(`^${host}: \\S+ [\\d.]+ \\(family Debian\\)`, 'm'));
  assert.match(r.stdout, /^inventory\s+\S+\/my-relays\/inventory\.yml\s+\S*fleetplan\.yml:1$/m);
  assert.match(r.stdout, /relay\.yml: valid \(1 play\(s\), \d+ task\(s\), 1 host\(s\)\)/);
  assert.match(r.output, /^\s*\+relayhost = \[smtp\.example\.net\]:587$/m);
  assert.match(r.output, /sasl_passwd: content changed \(secret: not shown\)/);
  assert.match(r.stdout, /^\S+Z-[0-9a-f]{6}  .*  dry run  exit 0 .*relay\.yml  1 host\(s\): 1 changed/m);
  assert.ok(!r.output.includes(SECRET), 'the relay password was printed');
  assert.equal((await fleet!.exec(host, 'sha256sum /etc/postfix/main.cf 2>&1; ls -la --time-style=full-iso /etc/postfix 2>&1')).stdout, before);
});
