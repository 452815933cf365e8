// The facts each host had at its last run, kept on the controller (as Ansible's jsonfile fact cache)
// so that the next run can prepare the host's first play before its facts arrive and read its state
// in the same exec (first-read.ts). Only a guess: a run uses it only when the facts it gathers are the
// same, so a stale, missing or unreadable entry (or two inventories naming different hosts alike)
// costs one round trip, never a wrong plan. One file per inventory host name, as Ansible's cache keys
// it (0600, in a 0700 directory), replaced whole (a temporary file renamed over it) when the facts
// changed: a no-change run writes nothing. Written in the background (libuv's threads), never
// fsynced: a run over 1000 fresh hosts would otherwise stop its event loop 1000 times for a disk
// flush (≈ 8 ms each on a loaded machine: 1.6 s of a 200-host dry run). A file a crash left empty
// or torn fails the read's checks, which costs the next run its guess, nothing else.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Facts } from '../facts/facts.js';

let seq = 0;

const MAX_BYTES = 1024 * 1024;

export class FactsCache {
  constructor(private readonly dir: string) {}

  /** The file of `host`: a digest of its name, so any name is safe. */
  private file(host: string): string {
    return path.join(this.dir, `${createHash('sha256').update(host).digest('hex').slice(0, 32)}.json`);
  }

  read(host: string): Facts | undefined {
    try {
      const text = readFileSync(this.file(host), 'utf8');
      if (text.length > MAX_BYTES) return undefined;
      const doc = JSON.parse(text) as { v?: unknown; host?: unknown; facts?: unknown };
      const ok = doc.v === 1 && doc.host === host && doc.facts !== null && typeof doc.facts === 'object' && !Array.isArray(doc.facts);
      return ok ? (doc.facts as Facts) : undefined;
    } catch {
      return undefined; // none yet, or unreadable: this run gathers without a guess
    }
  }

  /** Settles when written (or not: never rejects); the caller awaits it before the process may exit. */
  async write(host: string, facts: Facts): Promise<void> {
    const file = this.file(host);
    const tmp = path.join(this.dir, `.${path.basename(file)}.fleetplan-${process.pid}-${++seq}`);
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await writeFile(tmp, `${JSON.stringify({ v: 1, host, facts })}\n`, { mode: 0o600, flag: 'wx' });
      await rename(tmp, file);
    } catch {
      // A cache that cannot be written only costs the next run its guess.
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}
