// The content hash a dry run promises for each file it would write (`--json` `files`). A plain
// SHA-256 is given only for content the diff may show anyway: the hash of a secret-bearing file
// (a one-line password map) could be brute-forced offline from a CI log. For those, a keyed hash
// is given instead, and only when whoever checks the run supplies the key
// (FLEETPLAN_CONTENT_HMAC_KEY); the key never leaves the controller and is not written anywhere.
import { createHash, createHmac } from 'node:crypto';

export const HMAC_KEY_ENV = 'FLEETPLAN_CONTENT_HMAC_KEY';

export function contentDigest(content: Buffer, secret: boolean): { sha256?: string; hmac_sha256?: string } {
  if (!secret) return { sha256: createHash('sha256').update(content).digest('hex') };
  const key = process.env[HMAC_KEY_ENV];
  return key ? { hmac_sha256: createHmac('sha256', key).update(content).digest('hex') } : {};
}
