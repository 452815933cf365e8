// Unpacking a plan bundle (a tar archive, gzipped or not) with node-tar, after reading it through
// once: the whole bundle is refused — nothing unpacked — when any entry is not a plain file or
// directory (links, devices, FIFOs: a symlink could point a later entry or a plan's copy elsewhere),
// has an absolute path or a `..` component, carries setuid/setgid bits, or when the archive holds
// more than the limits below. It is then unpacked into a new, empty, private directory, owned by the
// user running the pull (never the archive's owners), modes under umask 022.
import { mkdirSync } from 'node:fs';
import { Parser, Unpack, type ReadEntry } from 'tar';
import { refused } from './errors.js';

const PLAIN = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);
const MAX_ENTRIES = 100_000;
const MAX_UNPACKED_BYTES = 1024 * 1024 * 1024;

/** Why an entry makes the bundle unsafe, or undefined. */
export function unsafeEntry(type: string, name: string, mode: number | undefined): string | undefined {
  if (!PLAIN.has(type)) return `${name}: a ${type} entry (a bundle holds plain files and directories only)`;
  if (name.startsWith('/')) return `${name}: an absolute path`;
  if (name.split('/').includes('..')) return `${name}: a '..' component`;
  if (/[\0\\]/.test(name)) return `${JSON.stringify(name)}: a NUL or backslash in the name`;
  if (mode !== undefined && mode & 0o6000) return `${name}: setuid/setgid mode ${mode.toString(8)}`;
  return undefined;
}

function parse(parser: Parser, bundle: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    parser.on('error', reject);
    parser.on('close', () => resolve());
    parser.end(bundle);
  });
}

/** Reads the archive through once; refuses it when one entry is unsafe or it is too large. */
export async function scanBundle(bundle: Buffer): Promise<number> {
  const problems: string[] = [];
  let entries = 0;
  let bytes = 0;
  const parser = new Parser({
    strict: true,
    onReadEntry: (e: ReadEntry) => {
      entries++;
      bytes += e.size ?? 0;
      const why = unsafeEntry(e.type, e.path, e.mode);
      if (why && problems.length < 5) problems.push(why);
      e.resume();
    },
  });
  try {
    await parse(parser, bundle);
  } catch (err) {
    throw refused(`the bundle is not a readable tar archive: ${(err as Error).message}`);
  }
  if (entries === 0) throw refused('the bundle is not a tar archive, or an empty one');
  if (problems.length) throw refused(`the bundle holds unsafe entries, refused: ${problems.join('; ')}`);
  if (entries > MAX_ENTRIES || bytes > MAX_UNPACKED_BYTES) throw refused(`the bundle holds ${entries} entries, ${bytes} bytes unpacked: more than a pull unpacks (${MAX_ENTRIES}, ${MAX_UNPACKED_BYTES})`);
  return entries;
}

/** Unpacks a scanned bundle into `dir`, which must not exist yet. */
export async function unpackBundle(bundle: Buffer, dir: string): Promise<void> {
  mkdirSync(dir, { mode: 0o700 });
  const unpack = new Unpack({
    cwd: dir,
    strict: true,
    preserveOwner: false,
    chmod: true,
    processUmask: 0o022,
    maxDepth: 64,
    // Checked by scanBundle already; kept here so that this function alone never writes a link.
    filter: (name: string, e) => !unsafeEntry((e as ReadEntry).type, name, (e as ReadEntry).mode),
  });
  await parse(unpack, bundle);
}
