// Where the bundle's expected SHA-256 comes from (docs/pull.md "The digest"): pinned on the command
// line (--sha256), or a detached sha256sum file fetched from ANOTHER server (--sha256-url). The
// digest proves the bundle is the one meant only if whoever can replace the bundle cannot also replace
// the digest: one served next to it by the same host proves nothing, so that is refused.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { refused } from './errors.js';
import { fetchHttps, httpsUrl, type FetchOptions } from './fetch.js';

export type DigestSource = { pinned: string } | { url: URL };

export const sha256Hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The digest file's URL, refused when it names the bundle's own host. */
export function digestUrl(value: string, bundle: URL): URL {
  const url = httpsUrl(value, '--sha256-url');
  if (url.hostname.toLowerCase() === bundle.hostname.toLowerCase()) {
    throw refused(`--sha256-url names the bundle's own server (${url.hostname}): whoever can replace the bundle there can replace its digest too; serve the digest from another host, or pin it with --sha256`);
  }
  return url;
}

/**
 * The expected digest from a sha256sum(1) file: its one line, or the line naming the bundle's file
 * (`<64 hex>  <name>` or `<64 hex> *<name>`).
 */
export function digestFromFile(text: string, url: URL, bundleName: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const entries = lines.map((l) => /^([0-9a-fA-F]{64})(?:\s+\*?(.*))?$/.exec(l));
  if (!entries.length || entries.some((m) => !m)) throw refused(`${url.href} is not a sha256sum file (lines of 64 hex digits, then the file's name)`);
  if (entries.length === 1) return entries[0]![1]!.toLowerCase();
  const named = entries.filter((m) => m![2] !== undefined && path.posix.basename(m![2]) === bundleName);
  if (named.length !== 1) throw refused(`${url.href} lists ${entries.length} files and ${named.length ? 'several' : 'none'} named ${bundleName}`);
  return named[0]![1]!.toLowerCase();
}

export async function expectedDigest(source: DigestSource, bundle: URL, opts: FetchOptions): Promise<string> {
  if ('pinned' in source) return source.pinned;
  const body = await fetchHttps(source.url, { ...opts, maxBytes: 64 * 1024 });
  return digestFromFile(body.toString('utf8'), source.url, path.posix.basename(bundle.pathname));
}

/** Refuses the bundle unless its SHA-256 is the expected one. */
export function checkDigest(bundle: Buffer, expected: string, url: URL): string {
  const actual = sha256Hex(bundle);
  if (actual !== expected) throw refused(`the bundle from ${url.href} has SHA-256 ${actual}, not the expected ${expected}: refused, nothing applied`);
  return actual;
}
