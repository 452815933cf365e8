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

/** One hash per file version (and set of secret values, and HMAC key) for the whole run, however many hosts copy it. */
const hashed = new Map<string, StreamedSource>();

/** What the pass looks for besides the hash: the registered secret values, longest first. */
function needlesOf(secrets: SecretRegistry | undefined): Buffer[] {
  return [...(secrets?.values() ?? [])].map((v) => Buffer.from(v, 'utf8')).sort((a, b) => b.length - a.length);
}

/** The cache key: the file's version, which secret values were looked for, which HMAC key (hashed, never kept). */
function cacheKey(file: string, st: { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number }, needles: Buffer[], hmacKey: string | undefined): string {
  const h = createHash('sha256');
  for (const n of [...needles].sort(Buffer.compare)) h.update(`${n.length}:`).update(n);
  h.update(`|${hmacKey === undefined ? '-' : createHash('sha256').update(hmacKey).digest('hex')}`);
  return `${file}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}\0${h.digest('hex')}`;
}

/**
 * The file's size, SHA-256, whether it holds a private key block or one of `secrets`' values, and
 * (with FLEETPLAN_CONTENT_HMAC_KEY set) its HMAC-SHA-256: all read in one pass of 1 MiB chunks.
 */
export function streamedSource(file: string, secrets?: SecretRegistry): StreamedSource {
  const fd = openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    const needles = needlesOf(secrets);
    const hmacKey = process.env[HMAC_KEY_ENV] || undefined;
    const key = cacheKey(file, st, needles, hmacKey);
    const known = hashed.get(key);
    if (known) return known;
    const hash = createHash('sha256');
    const hmac = hmacKey === undefined ? undefined : createHmac('sha256', hmacKey);
    const buf = Buffer.alloc(CHUNK);
    // A needle split across two chunks: found in the last chunk's tail joined to this one's head.
    const overlap = Math.max(OVERLAP, needles[0]?.length ?? 0);
    // Bytes, not strings: a string kept from each chunk (a slice of it) would keep every chunk alive.
    let tail = Buffer.alloc(0);
    let privateKey = false;
    let secretValue = false;
    let size = 0;
    for (let n = readSync(fd, buf, 0, CHUNK, null); n > 0; n = readSync(fd, buf, 0, CHUNK, null)) {
      const chunk = buf.subarray(0, n);
      hash.update(chunk);
      hmac?.update(chunk);
      size += n;
      const seam = Buffer.concat([tail, chunk.subarray(0, overlap)]);
      if (!privateKey && (chunk.includes(BEGIN) || seam.includes(BEGIN))) {
        privateKey = PRIVATE_KEY.test(Buffer.concat([tail, chunk]).toString('latin1'));
      }
      if (!secretValue) secretValue = needles.some((v) => chunk.includes(v) || seam.includes(v));
      tail = Buffer.from(chunk.subarray(Math.max(0, n - overlap)));
    }
    const source: StreamedSource = {
      file,
      size,
      sha256: hash.digest('hex'),
      privateKey,
      ...(secretValue ? { secretValue } : {}),
      ...(hmac ? { hmac_sha256: hmac.digest('hex') } : {}),
    };
    hashed.set(key, source);
    return source;
  } finally {
    closeSync(fd);
  }
}
