// What the seed-step tests (relay-seeds*.test.ts) share: a fleet of one host per personality with a
// relay inventory, a test smarthost in a host's namespace, sending through a host's sendmail, and
// check → apply → re-run (the dry run predicts the apply, the re-run changes nothing).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import { down, up, type Fleet, type Personality } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { assertPredicted, fleetplan, repoRoot, tasksWith, type CliResult } from './cli.js';
import { writeRelayInventory } from './relay-inventory.js';
import { startSmarthost, type Smarthost } from './smarthost.js';

export const plan = (name: string) => path.join(repoRoot, 'plans', name);
export const PW = 'Seed-relay-Pa55word';

export interface SeedFleet {
  skip: string | false;
  /** The test's scratch directory. */
  out: string;
  fleet(): Fleet;
  inventory(): string;
  /** The host's test smarthost on 127.0.0.1:2525 in its namespace (started once). */
  smarthost(host: string, users?: Record<string, string>): Promise<Smarthost>;
  /** Another smarthost, stopped with the fleet. */
  startSmarthost(host: string, key: string, opts: { port: number; users: Record<string, string> }): Promise<Smarthost>;
  /** Sends one message with the host's sendmail; what the smarthost received. */
  sendThrough(host: string, to: string, subject: string, sh?: Smarthost): Promise<any>;
  /** check, apply, re-run on the given hosts: the dry run predicts the apply, the re-run changes nothing. */
  checkApplyRerun(planFile: string, hosts: string[], extra?: string[], inv?: string): Promise<{ check: CliResult; applied: CliResult }>;
}

const failures = (r: CliResult) =>
  Object.entries(r.json?.hosts ?? {}).flatMap(([h, v]: [string, any]) => v.tasks.filter((t: any) => t.status === 'failed').map((t: any) => `${h}: ${t.name}: ${t.error}`));

/**
 * The dry run without the handlers the real run skipped because a task restarted the service after
 * the change that notified them — when the dry run could not plan that restart (it was deferred: it
 * reads what an earlier task would change), it cannot know the handler will be superseded either.
 */
function withoutSuperseded(check: any, applied: any, host: string): any {
  const deferredStart = (check.hosts[host]?.tasks ?? []).some((t: any) => t.operation === 'service' && !t.handler && /^deferred: /.test(t.reason ?? ''));
  if (!deferredStart) return check;
  const superseded = new Set(applied.hosts[host].tasks.filter((t: any) => t.handler && /\(re\)started it after the change/.test(t.reason ?? '')).map((t: any) => t.name));
  const tasks = check.hosts[host].tasks.filter((t: any) => !(t.handler && superseded.has(t.name)));
  return { ...check, hosts: { ...check.hosts, [host]: { ...check.hosts[host], tasks } } };
}

/** Registers before/after: the fleet (one host per personality) and its relay inventory. */
export function seedFleet(os: Personality[]): SeedFleet {
  const reason = unsupportedReason();
  const skip = reason ? skipOrFail(reason) : false;
  const out = skip ? '' : mkdtempSync('/tmp/fleetplan-seeds-');
  let fleet: Fleet;
  let inventory: string;
  const smarthosts = new Map<string, Smarthost>();

  before(async () => {
    if (skip) return;
    fleet = await up({ os, count: 1, out: path.join(out, 'fleet') });
    inventory = writeRelayInventory(fleet, path.join(out, 'inventory.yml'), { relayPassword: PW });
  });
  after(async () => {
    if (!out) return;
    for (const s of smarthosts.values()) await s.stop().catch(() => undefined);
    await down(path.join(out, 'fleet')).catch(() => undefined);
    rmSync(out, { recursive: true, force: true });
  });

  const pidOf = (host: string) => fleet.hosts.find((x) => x.name === host)!.pid;
  const self: SeedFleet = {
    skip,
    out,
    fleet: () => fleet,
    inventory: () => inventory,
    async smarthost(host, users = { relayuser: PW }) {
      let s = smarthosts.get(host);
      if (!s) {
        s = await startSmarthost({ netnsPid: pidOf(host), users, dir: path.join(out, 'smarthost', host) });
        smarthosts.set(host, s);
      }
      return s;
    },
    async startSmarthost(host, key, opts) {
      const s = await startSmarthost({ netnsPid: pidOf(host), ...opts, dir: path.join(out, 'smarthost', key) });
      smarthosts.set(key, s);
      return s;
    },
    async sendThrough(host, to, subject, sh) {
      sh ??= await self.smarthost(host);
      const before = (await sh.messages()).length;
      const r = await fleet.exec(host, `printf 'From: ops@example.org\\nTo: ${to}\\nSubject: ${subject}\\n\\nfrom ${host}\\n' | sendmail -f ops@example.org ${to}`);
      assert.equal(r.code, 0, `${host}: sendmail: ${r.stderr}`);
      try {
        return (await sh.waitForMessages(before + 1, 60_000))[before]!;
      } catch (err) {
        const q = await fleet.exec(host, 'mailq 2>&1 | tail -5; tail -20 /var/log/maillog 2>/dev/null');
        throw new Error(`${host}: no message reached the smarthost: ${(err as Error).message}\n${q.stdout}`);
      }
    },
    async checkApplyRerun(planFile, hosts, extra = [], inv = inventory) {
      const args = ['apply', plan(planFile), '-i', inv, '--limit', hosts.join(','), ...extra, '--json'];
      const check = await fleetplan([...args, '--check']);
      assert.equal(check.code, 0, check.stderr + failures(check).join('\n'));
      const applied = await fleetplan(args);
      assert.equal(applied.code, 0, applied.stderr + failures(applied).join('\n'));
      const again = await fleetplan(args);
      assert.equal(again.code, 0, again.stderr + failures(again).join('\n'));
      for (const h of hosts) {
        assertPredicted(withoutSuperseded(check.json, applied.json, h), applied.json, h);
        assert.deepEqual(tasksWith(again.json, h, 'changed'), [], `${planFile} ${h}: re-run`);
      }
      return { check, applied };
    },
  };
  return self;
}
