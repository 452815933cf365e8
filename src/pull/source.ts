// From the pull's source to a directory holding the bundle, with its digest: a tarball over HTTPS
// (fetched, its SHA-256 checked, scanned, unpacked into <dir>/bundles/<sha256>) or a git repository
// (fetched and checked out into <dir>/git; the commit id is its digest). `unchanged` is asked before
// anything is unpacked, so --only-if-changed costs a download (or a fetch) and nothing more.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { checkDigest, digestUrl, expectedDigest, sha256Hex, type DigestSource } from './digest.js';
import { checkSignature } from './signature.js';
import { localFailure, refused } from './errors.js';
import { fetchHttps, httpsUrl, type FetchOptions } from './fetch.js';
import { gitCheckout, gitRemote, type GitOptions } from './git.js';
import { scanBundle, unpackBundle } from './tarball.js';
import { pruneBundles } from './workdir.js';

export interface SourceOptions extends Omit<GitOptions, 'caFile'> {
  url: string;
  sha256?: string;
  sha256Url?: string;
  signatureUrl?: string;
  caFile?: string;
}

export interface Bundle {
  root: string;
  digest: string;
  /** How the digest was checked, for the first line a pull prints. */
  checked: string;
}

/** The most a bundle may weigh (compressed). */
export const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 120_000;

/** The bundle in a directory, or undefined when `unchanged(digest)` says it was applied already. */
export async function obtainBundle(o: SourceOptions, dir: string, unchanged: (digest: string) => boolean): Promise<Bundle | { unchanged: string }> {
  const remote = gitRemote(o.url);
  if (remote !== undefined) {
    const root = path.join(dir, 'git');
    const digest = await gitCheckout(remote, root, o);
    if (unchanged(digest)) return { unchanged: digest };
    return { root, digest, checked: o.verifyCommit ? 'commit signature verified' : 'commit (signature not checked)' };
  }
  const url = httpsUrl(o.url, '-U');
  let ca: Buffer | undefined;
  try {
    ca = o.caFile === undefined ? undefined : readFileSync(o.caFile);
  } catch (err) {
    throw localFailure(`--ca-file ${o.caFile}: ${(err as Error).message}`, err);
  }
  const fetchOpts: FetchOptions = { ca, maxBytes: MAX_BUNDLE_BYTES, timeoutMs: FETCH_TIMEOUT_MS };
  const { data, digest, checked } = o.signatureUrl !== undefined ? await signedTarball(o, url, fetchOpts, dir) : await digestedTarball(o, url, fetchOpts);
  if (unchanged(digest)) return { unchanged: digest };
  await scanBundle(data);
  return { root: await unpackInto(data, path.join(dir, 'bundles'), digest), digest, checked };
}

async function digestedTarball(o: SourceOptions, url: URL, fetchOpts: FetchOptions) {
  const source: DigestSource = o.sha256 !== undefined ? { pinned: o.sha256 } : { url: digestUrl(o.sha256Url!, url) };
  // The digest first: a refused digest source costs no bundle download.
  const expected = await expectedDigest(source, url, fetchOpts);
  const data = await fetchHttps(url, fetchOpts);
  return { data, digest: checkDigest(data, expected, url), checked: 'url' in source ? `SHA-256 matches ${source.url.href}` : 'SHA-256 matches --sha256' };
}

async function signedTarball(o: SourceOptions, url: URL, fetchOpts: FetchOptions, dir: string) {
  const signature = await fetchHttps(httpsUrl(o.signatureUrl!, '--signature-url'), { ...fetchOpts, maxBytes: 64 * 1024 });
  const data = await fetchHttps(url, fetchOpts);
  const signer = await checkSignature(data, signature, path.resolve(o.allowedSigners!), dir);
  return { data, digest: sha256Hex(data), checked: `SSH signature of ${signer}` };
}

/** Unpacks into a new directory, then renames it to bundles/<digest>: an interrupted unpack is never applied. */
async function unpackInto(data: Buffer, bundles: string, digest: string): Promise<string> {
  mkdirSync(bundles, { recursive: true, mode: 0o700 });
  const tmp = path.join(bundles, `.unpack-${randomBytes(6).toString('hex')}`);
  const final = path.join(bundles, digest);
  try {
    await unpackBundle(data, tmp);
    if (existsSync(final)) rmSync(final, { recursive: true, force: true }); // unpacked again: nothing in it is trusted
    renameSync(tmp, final);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (err instanceof Error && err.name === 'PullError') throw err;
    throw refused(`the bundle could not be unpacked: ${(err as Error).message}`);
  }
  pruneBundles(bundles, [digest]);
  return final;
}
