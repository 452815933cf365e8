// Headless Chromium (Debian's `chromium`, installed by test/fleet/prereqs.ts) for tests that need a
// page as a browser renders it: the DOM after the page's own script ran, or a screenshot. Each call
// gets a fresh empty profile and HOME (Chromium's crash handler writes under $HOME, not the
// profile), is killed on timeout, leaves no process behind and removes its directory.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';

/** The flags of issue 7: no GPU, no first-run UI, nothing fetched in the background. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (npm test installs the Debian package chromium)`;
}

/** Processes whose command line names `dir`: those this run started (the crash handler leaves the group). */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

export interface ChromiumResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs Chromium on a local file (and a #fragment of it) with extra arguments (--dump-dom, --screenshot=…). */
export async function chromium(file: string, args: string[], fragment = '', timeoutMs = 60_000): Promise<ChromiumResult> {
  const home = mkdtempSync(path.join(tmpdir(), 'fleetplan-chromium-'));
  const profile = path.join(home, 'profile');
  mkdirSync(profile);
  const child = spawn(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args, pathToFileURL(file).href + fragment], {
    // Its own process group: on timeout the browser and every helper it forked go at once.
    detached: true,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    kill(-child.pid!);
  }, timeoutMs);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (timedOut) throw new Error(`chromium did not finish within ${timeoutMs} ms on ${file}\n${stderr.slice(-2000)}`);
    return { stdout, stderr, code };
  } finally {
    clearTimeout(timer);
    kill(-child.pid!);
    for (const pid of processesUsing(home)) kill(pid);
    rmSync(home, { recursive: true, force: true });
  }
}

/** The DOM after the page loaded and its scripts ran, serialized. */
export async function dumpDom(file: string, fragment = ''): Promise<string> {
  const r = await chromium(file, ['--dump-dom'], fragment);
  if (r.code !== 0 || !r.stdout.includes('</html>')) throw new Error(`chromium --dump-dom exited ${r.code}\n${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** A PNG of the page's top `width`×`height` pixels. */
export async function screenshot(file: string, png: string, width: number, height: number): Promise<void> {
  const r = await chromium(file, [`--screenshot=${png}`, `--window-size=${width},${height}`]);
  if (r.code !== 0 || !existsSync(png)) throw new Error(`chromium --screenshot exited ${r.code}\n${r.stderr.slice(-2000)}`);
}

/** Width and height from a PNG's IHDR chunk (bytes 16–23, after the signature and chunk header). */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
