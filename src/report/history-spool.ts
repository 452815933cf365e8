// A finished host's part of the run record, set aside on disk until the record is saved: a run over
// 1000 hosts keeps in memory each host's counts, facts and notes, not every task result with its diffs
// (≈ 20–40 KB a host), and the record is written host by host, never built as one string. The spool is
// a hidden file beside the records (0600, in the 0700 runs directory), removed when the record is
// saved; one a killed run left behind is removed by a later run's pruning.
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { HostRecord } from './run-record.js';
import { SPOOL_PREFIX, storeHost } from './history-store.js';

export class HistorySpool {
  private fd?: number;
  private file?: string;
  private size = 0;
  private readonly parts = new Map<string, { offset: number; length: number }>();
  private broken = false;

  constructor(private readonly runsDir: string) {}

  /**
   * Sets a finished host's tasks aside and drops them from `h` (the record's other fields stay). A
   * spool that cannot be written keeps them in memory, as before: the history only costs more memory.
   */
  setAside(h: HostRecord): void {
    if (this.broken || this.parts.has(h.name)) return;
    try {
      const text = Buffer.from(JSON.stringify(storeHost(h).tasks));
      this.fd ??= this.open();
      writeSync(this.fd, text, 0, text.length, this.size);
      this.parts.set(h.name, { offset: this.size, length: text.length });
      this.size += text.length;
      h.tasks = [];
    } catch {
      this.broken = true;
    }
  }

  /** The host's JSON text as the record holds it: its tasks from the spool, then any added since. */
  hostText(h: HostRecord): string {
    const part = this.parts.get(h.name);
    if (!part) return JSON.stringify(storeHost(h));
    const buf = Buffer.alloc(part.length);
    readSync(this.fd!, buf, 0, part.length, part.offset);
    let tasks = buf.toString('utf8');
    // Tasks added since (none expected): the two JSON lists joined as one.
    const later = h.tasks.length ? JSON.stringify(storeHost(h).tasks) : '[]';
    if (later !== '[]') tasks = tasks === '[]' ? later : `${tasks.slice(0, -1)},${later.slice(1)}`;
    // The host without its tasks, a stand-in where they go (the same place as JSON.stringify puts them).
    const mark = `\u0000tasks-${randomBytes(8).toString('hex')}`;
    const [before, after] = JSON.stringify({ ...storeHost(h), tasks: mark }).split(JSON.stringify(mark)) as [string, string];
    return `${before}${tasks}${after}`;
  }

  /** Removes the spool (the record was saved, or will not be). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    if (this.file) rmSync(this.file, { force: true });
    this.fd = undefined;
  }

  private open(): number {
    mkdirSync(this.runsDir, { recursive: true, mode: 0o700 });
    this.file = path.join(this.runsDir, `${SPOOL_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
    return openSync(this.file, 'wx+', 0o600);
  }
}
