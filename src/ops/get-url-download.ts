// get_url's download, on the controller. A worker thread runs the (asynchronous) fetch while planning
// waits for it (Atomics.wait: planning stays synchronous) — a thread, not a child `node -e`, which the
// single-file executable cannot start (its argv is fleetplan's). The body goes to a file in a private
// directory (0700, one per run, removed when the process exits), never into the controller's memory,
// which a 100 MB download once filled (then bytes travelled in the change script). A body up to
// STREAM_ABOVE is read back and planned like any content (an exact diff); a larger one is hashed in
// chunks and streamed to the host over an exec's stdin like a large copy (streamed-source.ts,
// engine/streamed-write.ts).
import { lstatSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { MessagePort, Worker } from 'node:worker_threads';
import { processAlive } from '../core/process-alive.js';
import type { SecretRegistry } from '../core/secret.js';
import type { StreamedSource } from './operation.js';
import { STREAM_ABOVE, streamedSource } from './streamed-source.js';

/** The largest download, as for copy: streaming holds a chunk at a time; the bound keeps a wrong URL (a disk image) off the hosts' disks. */
export const DOWNLOAD_MAX = 4 * 1024 * 1024 * 1024;

/** The URL without its user:password, for messages. */
export function shownUrl(url: string): string {
  const u = new URL(url);
  if (u.username || u.password) [u.username, u.password] = ['***', ''];
  return u.toString();
}

// The worker, one per run: for each download asked on its port, a declared or counted size over
// `max` stops it (the caller removes what it wrote); it answers its error or null, then wakes the
// waiting thread.
const WORKER = String.raw`
const { workerData } = require('node:worker_threads');
const { done, port } = workerData;
port.on('message', async ({ url, timeout, max, file }) => {
  const tooLarge = () => new Error('more than ' + max / 1048576 + ' MiB: get_url downloads at most ' + max / 1048576 + ' MiB');
  let error = null;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeout * 1000), redirect: 'follow' });
    if (!res.ok) throw new Error('HTTP ' + res.status + ' ' + res.statusText);
    if (Number(res.headers.get('content-length')) > max) throw tooLarge();
    let size = 0;
    const counted = async function* (src) { for await (const c of src) { size += c.length; if (size > max) throw tooLarge(); yield c; } };
    const out = require('node:fs').createWriteStream(file, { flags: 'wx', mode: 0o600 });
    await require('node:stream/promises').pipeline(require('node:stream').Readable.fromWeb(res.body), counted, out);
  } catch (err) {
    error = String(err && err.cause ? err.message + ': ' + err.cause.message : (err && err.message) || err);
  }
  port.postMessage(error);
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
});
`;

let downloader: { worker: Worker; port: MessagePort; done: Int32Array } | undefined;

type WorkerThreads = typeof import('node:worker_threads');
let threads: WorkerThreads | undefined;
/** node:worker_threads, loaded with the first download: every command's start loaded it for nothing (≈ 1.5 ms). */
const workerThreads = (): WorkerThreads => (threads ??= createRequire(import.meta.url)('node:worker_threads') as WorkerThreads);

/** The run's download worker (started on the first download; it keeps no run alive). */
function theDownloader(): NonNullable<typeof downloader> {
  if (downloader === undefined) {
    const done = new Int32Array(new SharedArrayBuffer(4));
    const { MessageChannel, Worker } = workerThreads();
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(WORKER, { eval: true, workerData: { done, port: port2 }, transferList: [port2] });
    worker.unref();
    port1.unref();
    downloader = { worker, port: port1, done };
  }
  return downloader;
}

/** Downloads `url` to `file` in the worker, waiting for it; the error message, if any. */
function fetchToFile(url: string, timeout: number, max: number, file: string): string | undefined {
  const d = theDownloader();
  Atomics.store(d.done, 0, 0);
  d.port.postMessage({ url, timeout, max, file });
  if (Atomics.wait(d.done, 0, 0, (timeout + 10) * 1000) === 'timed-out') {
    // A worker stuck past the fetch's own timeout is dropped; the next download starts another.
    void d.worker.terminate();
    downloader = undefined;
    return `no answer within ${timeout + 10} s`;
  }
  return (workerThreads().receiveMessageOnPort(d.port)?.message as string | null) ?? undefined;
}

let dir: string | undefined;
let serial = 0;

const PREFIX = 'fleetplan-get-url-';

/** Directories of ours left by runs that were killed (SIGKILL, a power cut): their pid is in the name. */
function sweepStale(base: string): void {
  for (const name of readdirSync(base)) {
    const pid = new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1];
    if (pid === undefined || processAlive(Number(pid))) continue;
    const stale = path.join(base, name);
    try {
      const st = lstatSync(stale);
      if (st.isDirectory() && st.uid === process.getuid?.()) rmSync(stale, { recursive: true, force: true });
    } catch {
      // Gone already, or not ours to remove: left as it is.
    }
  }
}

/**
 * The run's private download directory (mkdtemp makes it 0700), removed however the process exits
 * (signals end through process.exit); one a killed run left is removed by the next run that downloads.
 */
function downloadDir(): string {
  if (dir === undefined) {
    sweepStale(tmpdir());
    const made = mkdtempSync(path.join(tmpdir(), `${PREFIX}${process.pid}-`));
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    dir = made;
  }
  return dir;
}

/**
 * Downloads `url` (once per task and host), failing on an HTTP error, a timeout or more than `max`
 * bytes: the bytes when they are few, else the file to stream (named by its hash, so hosts that get the
 * same bytes share one file on the controller's disk).
 */
export function download(url: string, timeout: number, secrets: SecretRegistry, max = DOWNLOAD_MAX): Buffer | StreamedSource {
  const base = downloadDir();
  const part = path.join(base, `${++serial}.part`);
  const error = fetchToFile(url, timeout, max, part);
  if (error !== undefined) {
    rmSync(part, { force: true });
    throw new Error(`get_url: downloading ${shownUrl(url)} failed: ${error}`);
  }
  if (statSync(part).size <= STREAM_ABOVE) {
    const bytes = readFileSync(part);
    rmSync(part);
    return bytes;
  }
  const source = streamedSource(part, secrets);
  const kept = path.join(base, source.sha256);
  renameSync(part, kept);
  return { ...source, file: kept };
}
