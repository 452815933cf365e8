// A controller file too large to travel in a change script (copy of the single-file executable):
// hashed here in chunks — never read whole into memory — and later streamed to the host over the
// stdin of an exec of its own (engine/streamed-write.ts). The hash is what the state read compares
// with the host's file, so a no-change run sends nothing.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { StreamedSource } from './operation.js';
import { PRIVATE_KEY } from './file-content.js';

/** Files above this size are streamed; smaller ones travel in the change script as before (batched with others). */
export const STREAM_ABOVE = 1024 * 1024;

const CHUNK = 1024 * 1024;
/** A private key's BEGIN line split across two chunks is still found: each scan overlaps the last chunk's tail. */
const OVERLAP = 64;
/** Where a private key block starts (PRIVATE_KEY then decides): looked for in the bytes, cheaply. */
const BEGIN = Buffer.from('-----BEGIN ');

/** One hash per file version for the whole run, however many hosts copy it. */
const hashed = new Map<string, StreamedSource>();

/** The file's size, SHA-256 and whether it holds a private key block, read in 1 MiB chunks. */
export function streamedSource(file: string): StreamedSource {
  const fd = openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    const key = `${file}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const known = hashed.get(key);
    if (known) return known;
    const hash = createHash('sha256');
    const buf = Buffer.alloc(CHUNK);
    // Bytes, not strings: a string kept from each chunk (a slice of it) would keep every chunk alive.
    let tail = Buffer.alloc(0);
    let privateKey = false;
    let size = 0;
    for (let n = readSync(fd, buf, 0, CHUNK, null); n > 0; n = readSync(fd, buf, 0, CHUNK, null)) {
      const chunk = buf.subarray(0, n);
      hash.update(chunk);
      size += n;
      if (!privateKey && (chunk.includes(BEGIN) || Buffer.concat([tail, chunk.subarray(0, OVERLAP)]).includes(BEGIN))) {
        privateKey = PRIVATE_KEY.test(Buffer.concat([tail, chunk]).toString('latin1'));
      }
      tail = Buffer.from(chunk.subarray(Math.max(0, n - OVERLAP)));
    }
    const source: StreamedSource = { file, size, sha256: hash.digest('hex'), privateKey };
    hashed.set(key, source);
    return source;
  } finally {
    closeSync(fd);
  }
}
