// The entry point of the single-file executable (`npm run sea`, scripts/sea.mjs). Node's single
// executable application runs one CommonJS script with no files around it, but fleetplan reads its
// bundled roles, package.json and the plan schema from disk (a bundled role loads like any other
// role directory). The build embeds those files as one asset; the first run of each build unpacks
// them into a private cache directory (~/.cache/fleetplan/sea-<digest>, XDG_CACHE_HOME respected)
// that later runs reuse, and only then loads the command line.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getAsset } from 'node:sea';
import { setPackageRoot } from '../core/paths.js';

/** The asset's name in the SEA configuration, shared with scripts/sea.mjs. */
export const PACKAGE_FILES_ASSET = 'package-files';

interface PackedFile {
  path: string;
  mode: number;
  base64: string;
}

function cacheBase(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'fleetplan');
}

/** Ours alone: a directory another user could write would let them change the roles run as root. */
function privateDir(dir: string): boolean {
  const st = lstatSync(dir);
  return st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
}

function unpack(files: PackedFile[], dir: string): void {
  for (const f of files) {
    const target = path.join(dir, f.path);
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    writeFileSync(target, Buffer.from(f.base64, 'base64'), { mode: f.mode & 0o755 });
  }
}

/** Where this build's files are: unpacked once per build, atomically (a rename), so a concurrent first run is safe. */
function packageFiles(): string {
  const blob = Buffer.from(getAsset(PACKAGE_FILES_ASSET));
  const files = JSON.parse(blob.toString('utf8')) as PackedFile[];
  const digest = createHash('sha256').update(blob).digest('hex').slice(0, 16);
  try {
    const base = cacheBase();
    mkdirSync(base, { recursive: true, mode: 0o700 });
    if (!privateDir(base)) throw new Error(`${base} is not a private directory`);
    const dir = path.join(base, `sea-${digest}`);
    if (existsSync(dir) && privateDir(dir)) return dir;
    const tmp = mkdtempSync(path.join(base, '.unpack-'));
    unpack(files, tmp);
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another run unpacked it first
    }
    if (privateDir(dir)) return dir;
  } catch {
    /* no usable cache (read-only home): a private directory for this run only */
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fleetplan-'));
  chmodSync(tmp, 0o700);
  unpack(files, tmp);
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  return tmp;
}

setPackageRoot(packageFiles());
void import('./main.js');
