// Dry run equals real run, byte for byte: for every bundled plan on every personality it targets,
// the content hash, mode, owner and group that `--check --json` promises for each file (`files`)
// are exactly what is on the host after the apply. The relay tests compare which tasks change; this
// compares what they write. Secret files (the SASL password map) carry no plain hash in the JSON,
// only an HMAC keyed by this test (FLEETPLAN_CONTENT_HMAC_KEY), so they are checked too.
// Fleets: one fresh host per personality for relay.yml then sample.yml, one more per personality
// for sample.yml alone (it installs what it configures: its check, apply and no-change re-run must
// hold on a fresh host too), and fresh CentOS 6/7 and FreeBSD hosts for the seed plans
// (relay-centos.yml, relay-freebsd.yml), as the relay tests do.
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { down, PERSONALITIES, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, repoRoot, tasksWith } from '../integration/cli.js';
import { writeRelayInventory } from '../integration/relay-inventory.js';

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;
const out = skip ? '' : mkdtempSync('/tmp/fleetplan-dry-real-');
const HMAC_KEY = randomBytes(16).toString('hex');
const fleets: string[] = [];

interface Promise_ {
  task: string;
  sha256?: string;
  hmac_sha256?: string;
  mode: string;
  owner?: string;
  group?: string;
}

/** The last promise per path of one host's dry run: what each file must hold after the apply. */
function promises(check: any, host: string): Map<string, Promise_> {
  const out = new Map<string, Promise_>();
  for (const t of check.hosts[host]?.tasks ?? []) {
    if (t.status !== 'changed') continue;
    for (const f of t.files ?? []) out.set(f.path, { task: t.name, ...f });
  }
  return out;
}

/** "-rw-r-----" → "0640" (set-id and sticky bits included). */
function octal(perms: string): string {
  const bit = (i: number, ch: string) => (/[rwxst]/.test(ch) && ch !== '-' && ch !== 'S' && ch !== 'T' ? 1 : 0) << i;
  let special = 0;
  let bits = 0;
  for (let k = 0; k < 3; k++) {
    const [r, w, x] = perms.slice(1 + 3 * k, 4 + 3 * k);
    bits |= (bit(2, r!) | bit(1, w!) | bit(0, x!)) << (3 * (2 - k));
    if (/[sStT]/.test(x!)) special |= 1 << (2 - k);
  }
  return `${special}${bits.toString(8).padStart(3, '0')}`;
}

/** Each file as the host has it: content bytes (hex over od, which every personality has), mode, owner, group. */
async function readHostFiles(fleet: Fleet, host: string, paths: string[]) {
  const q = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;
  const script = paths.map((p) => `echo "@@"; ls -ld ${q(p)} 2>&1 | awk '{print $1, $3, $4}'; od -An -v -tx1 ${q(p)} 2>/dev/null | tr -d ' \\n'; echo`).join('\n');
  const r = await fleet.exec(host, script, { timeoutMs: 60_000 });
  const blocks = r.stdout.split('@@\n').slice(1);
  return new Map(
    paths.map((p, i) => {
      const [ls = '', hex = ''] = (blocks[i] ?? '').split('\n');
      const [perms = '', owner, group] = ls.split(' ');
      return [p, { exists: perms.startsWith('-'), mode: octal(perms), owner, group, content: Buffer.from(hex, 'hex'), ls }];
    }),
  );
}

/** Check, apply, then every promised file against the host; returns the mismatches (empty: equal). */
async function dryEqualsReal(fleet: Fleet, plan: string, inventory: string, hosts: { name: string; os: string }[]) {
  const env = { FLEETPLAN_CONTENT_HMAC_KEY: HMAC_KEY };
  const planPath = path.join(repoRoot, 'plans', plan);
  const failed = (json: any) =>
    Object.entries(json?.hosts ?? {}).flatMap(([h, v]: [string, any]) => [
      ...(v.error ? [`${h}: ${v.error}`] : []),
      ...v.tasks.filter((t: any) => t.status === 'failed').map((t: any) => `${h}: ${t.name}: ${t.error}`),
    ]);
  const check = await fleetplan(['apply', planPath, '-i', inventory, '--check', '--json'], { env, timeoutMs: 600_000 });
  assert.equal(check.code, 0, `${plan} --check: ${check.stderr}${failed(check.json).join('\n')}`);
  const applied = await fleetplan(['apply', planPath, '-i', inventory, '--json'], { env, timeoutMs: 600_000 });
  assert.equal(applied.code, 0, `${plan} apply: ${applied.stderr}${failed(applied.json).join('\n')}`);
  const mismatches: string[] = [];
  let compared = 0;
  let secret = 0;
  for (const h of hosts) {
    const promised = promises(check.json, h.name);
    const onHost = await readHostFiles(fleet, h.name, [...promised.keys()]);
    for (const [p, want] of promised) {
      const got = onHost.get(p)!;
      const where = `${plan} on ${h.os} (${h.name}) ${p} [task '${want.task}']`;
      compared++;
      if (!got.exists) {
        mismatches.push(`${where}: promised, not on the host (${got.ls})`);
        continue;
      }
      if (want.sha256 !== undefined) {
        const sha = createHash('sha256').update(got.content).digest('hex');
        if (sha !== want.sha256) mismatches.push(`${where}: sha256 ${sha}, dry run promised ${want.sha256}`);
      } else if (want.hmac_sha256 !== undefined) {
        secret++;
        const mac = createHmac('sha256', HMAC_KEY).update(got.content).digest('hex');
        if (mac !== want.hmac_sha256) mismatches.push(`${where}: secret content differs from the dry run's (hmac)`);
      } else mismatches.push(`${where}: the dry run promised no content hash`);
      if (got.mode !== want.mode) mismatches.push(`${where}: mode ${got.mode}, dry run promised ${want.mode}`);
      if (want.owner !== undefined && got.owner !== want.owner) mismatches.push(`${where}: owner ${got.owner}, dry run promised ${want.owner}`);
      if (want.group !== undefined && got.group !== want.group) mismatches.push(`${where}: group ${got.group}, dry run promised ${want.group}`);
    }
  }
  return { mismatches, compared, secret, check: check.json, applied: applied.json };
}

describe('hardening: dry run equals real run, byte for byte', { skip }, () => {
  after(async () => {
    if (!out) return;
    for (const f of fleets) await down(f).catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  });

  it('stops: a dry run that shows one content and an apply that writes another (relay.yml, sample.yml on every personality)', async () => {
    const started = Date.now();
    const counts: string[] = [];
    const dir = path.join(out, 'all');
    fleets.push(dir);
    const fleet = await up({ os: [...PERSONALITIES], count: 1, out: dir });
    const inventory = writeRelayInventory(fleet, path.join(out, 'all-inventory.yml'), { relayPassword: 'Dry-equals-real-Pa55' });
    for (const plan of ['relay.yml', 'sample.yml']) {
      const r = await dryEqualsReal(fleet, plan, inventory, fleet.hosts);
      assert.deepEqual(r.mismatches, [], `${plan}: dry run and real run differ`);
      counts.push(`${plan} ${r.compared} files (${r.secret} secret)`);
      assert.ok(r.compared >= fleet.hosts.length, `${plan}: ${r.compared} files compared`);
      if (plan === 'relay.yml') assert.ok(r.secret >= fleet.hosts.length, `relay.yml: each host's password map checked (${r.secret})`);
    }
    console.log(`# dry-equals-real: ${counts.join(", ")}; relay.yml + sample.yml on ${fleet.hosts.length} personalities in ${Math.round((Date.now() - started) / 1000)} s`);
  });

  it('stops: sample.yml alone on a fresh host of every personality — a dry run that mispredicts, an apply that fails, a re-run that changes', async () => {
    const started = Date.now();
    const dir = path.join(out, 'sample');
    fleets.push(dir);
    const fleet = await up({ os: [...PERSONALITIES], count: 1, out: dir });
    const r = await dryEqualsReal(fleet, 'sample.yml', fleet.inventoryPath, fleet.hosts);
    assert.deepEqual(r.mismatches, [], 'sample.yml alone: dry run and real run differ');
    assert.ok(r.compared >= fleet.hosts.length, `sample.yml alone: ${r.compared} files compared`);
    for (const h of fleet.hosts) assertPredicted(r.check, r.applied, h.name);
    // The Debian images carry Postfix and OpenDKIM; the others are fresh of them (the role's install ran).
    const installed = fleet.hosts.filter((h) => tasksWith(r.applied, h.name, 'changed').includes('postfix and opendkim installed')).map((h) => h.os);
    assert.deepEqual(installed.sort(), ['centos6', 'centos7', 'freebsd']);
    const again = await fleetplan(['apply', path.join(repoRoot, 'plans/sample.yml'), '-i', fleet.inventoryPath, '--json'], { timeoutMs: 600_000 });
    assert.equal(again.code, 0, again.stderr);
    for (const h of fleet.hosts) assert.deepEqual(tasksWith(again.json, h.name, 'changed'), [], `${h.os} (${h.name}): the re-run changes nothing`);
    console.log(`# dry-equals-real: sample.yml alone ${r.compared} files on ${fleet.hosts.length} fresh personalities in ${Math.round((Date.now() - started) / 1000)} s`);
  });

  it('stops: the same for the seed plans relay-centos.yml and relay-freebsd.yml on fresh CentOS 6/7 and FreeBSD hosts', async () => {
    const started = Date.now();
    const counts: string[] = [];
    const dir = path.join(out, 'seeds');
    fleets.push(dir);
    const fleet = await up({ os: ['centos6', 'centos7', 'freebsd'], count: 1, out: dir });
    const inventory = writeRelayInventory(fleet, path.join(out, 'seed-inventory.yml'), { relayPassword: 'Dry-equals-real-Pa55' });
    for (const [plan, os] of [['relay-centos.yml', ['centos6', 'centos7']], ['relay-freebsd.yml', ['freebsd']]] as const) {
      const hosts = fleet.hosts.filter((h) => (os as readonly string[]).includes(h.os));
      const r = await dryEqualsReal(fleet, plan, inventory, hosts);
      assert.deepEqual(r.mismatches, [], `${plan}: dry run and real run differ`);
      counts.push(`${plan} ${r.compared} files (${r.secret} secret)`);
      assert.ok(r.compared >= hosts.length, `${plan}: ${r.compared} files compared`);
    }
    console.log(`# dry-equals-real: ${counts.join(", ")}; seed plans on 3 hosts in ${Math.round((Date.now() - started) / 1000)} s`);
  });
});
