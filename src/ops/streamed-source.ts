// A controller file too large to travel in a change script (copy of the single-file executable, a large
// get_url download): hashed here in chunks — never read whole into memory — and later streamed to the
// host over the stdin of an exec of its own (engine/streamed-write.ts). The hash is what the state
// read compares with the host's file, so a no-change run sends nothing. The same pass finds what makes
// the content a secret (a private key block, a registered secret value) and, when the verifier gave a
// key, the keyed hash `--json` shows for a secret file (content-digest.ts), as for a small file.
import { createHash, createHmac } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { SecretRegistry } from '../core/secret.js';
import type { StreamedSource } from './operation.js';
import { PRIVATE_KEY } from './file-content.js';
import { HMAC_KEY_ENV } from './content-digest.js';

/** Files above this size are streamed; smaller ones travel in the change script as before (batched with others). */
export const STREAM_ABOVE = 1024 * 1024;

const CHUNK = 1024 * 1024;
/** A private key's BEGIN line split across two chunks is still found: each scan overlaps the last chunk's tail. */
const OVERLAP = 64;
/** Where a private key block starts (PRIVATE_KEY then decides): looked for in the bytes, cheaply. */
const BEGIN = Buffer.from('-----BEGIN ');

/**
 * One hash per file version (and HMAC key) for the whole run, however many hosts copy it, and per
 * secret registry (one per run) the values already looked for in it and whether one was found: a
 * value registered later (a template rendering a secret for one host) costs one more read of the
 * file, for the new values alone, not another hash.
 */
const hashed = new Map<string, { source: StreamedSource; scans: WeakMap<object, { checked: Set<string>; found: boolean }> }>();
/** The registry of a call that gives none. */
const NO_SECRETS = {};

function cacheKey(file: string, st: { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number }, hmacKey: string | undefined): string {
  const keyId = hmacKey === undefined ? '-' : createHash('sha256').update(hmacKey).digest('hex');
  return `${file}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}\0${keyId}`;
}

/** What one pass found: the hashes and size when asked for, and whether any needle occurs. */
interface Pass {
  size: number;
  sha256: string;
  hmac?: string;
  privateKey: boolean;
  found: boolean;
}

/** Reads `fd` in 1 MiB chunks, hashing when `hash` and looking for `needles` (each found even across a chunk boundary). */
function readPass(fd: number, needles: Buffer[], hash: boolean, hmacKey: string | undefined): Pass {
  if (!hash && needles.length === 0) return { size: 0, sha256: '', privateKey: false, found: false };
  const sha = hash ? createHash('sha256') : undefined;
  const hmac = hash && hmacKey !== undefined ? createHmac('sha256', hmacKey) : undefined;
  const buf = Buffer.alloc(CHUNK);
  // A needle split across two chunks: found in the last chunk's tail joined to this one's head.
  const overlap = Math.max(OVERLAP, ...needles.map((n) => n.length));
  // Bytes, not strings: a string kept from each chunk (a slice of it) would keep every chunk alive.
  let tail = Buffer.alloc(0);
  const out: Pass = { size: 0, sha256: '', privateKey: false, found: false };
  for (let n = readSync(fd, buf, 0, CHUNK, 0); n > 0; n = readSync(fd, buf, 0, CHUNK, out.size)) {
    const chunk = buf.subarray(0, n);
    sha?.update(chunk);
    hmac?.update(chunk);
    out.size += n;
    const seam = Buffer.concat([tail, chunk.subarray(0, overlap)]);
    if (hash && !out.privateKey && (chunk.includes(BEGIN) || seam.includes(BEGIN))) {
      out.privateKey = PRIVATE_KEY.test(Buffer.concat([tail, chunk]).toString('latin1'));
    }
    if (!out.found) out.found = needles.some((v) => chunk.includes(v) || seam.includes(v));
    // Only looking for needles, and all found: the rest of the file is not read.
    if (!hash && out.found) break;
    tail = Buffer.from(chunk.subarray(Math.max(0, n - overlap)));
  }
  return { ...out, sha256: sha ? sha.digest('hex') : '', ...(hmac ? { hmac: hmac.digest('hex') } : {}) };
}

/**
 * The file's size, SHA-256, whether it holds a private key block or one of `secrets`' values, and
 * (with FLEETPLAN_CONTENT_HMAC_KEY set) its HMAC-SHA-256: all read in one pass of 1 MiB chunks.
 */
export function streamedSource(file: string, secrets?: SecretRegistry): StreamedSource {
  const fd = openSync(file, 'r');
  try {
    const hmacKey = process.env[HMAC_KEY_ENV] || undefined;
    const key = cacheKey(file, fstatSync(fd), hmacKey);
    const values = [...(secrets?.values() ?? [])];
    const known = hashed.get(key);
    const scan = known?.scans.get(secrets ?? NO_SECRETS);
    const fresh = scan ? values.filter((v) => !scan.checked.has(v)) : values;
    if (known && scan && (scan.found || fresh.length === 0)) return scan.found ? { ...known.source, secretValue: true } : known.source;
    const pass = readPass(fd, fresh.map((v) => Buffer.from(v, 'utf8')), !known, hmacKey);
    const entry = known ?? { source: { file, size: pass.size, sha256: pass.sha256, privateKey: pass.privateKey, ...(pass.hmac ? { hmac_sha256: pass.hmac } : {}) }, scans: new WeakMap() };
    const found = pass.found || (scan?.found ?? false);
    entry.scans.set(secrets ?? NO_SECRETS, { checked: new Set([...(scan?.checked ?? []), ...fresh]), found });
    hashed.set(key, entry);
    return found ? { ...entry.source, secretValue: true } : entry.source;
  } finally {
    closeSync(fd);
  }
}
