// Where `fleetplan dns --publish` sends a domain's records: the `dns_update` variable, a mapping with
// the parameters of Ansible's community.general.nsupdate module (server, port, zone, key_name,
// key_algorithm, key_secret, ttl). Checked here before anything is read or sent: names are DNS names,
// the key secret is a tracked Secret (`!secret`, `!vault`, `!secret_env`) in base64.
import { isIP } from 'node:net';
import { InputError } from '../core/errors.js';
import { isPlainObject, Secret } from '../core/secret.js';

export interface UpdateTarget {
  /** An IP address or a host name (looked up once before the first query). */
  server: string;
  port: number;
  zone: string;
  keyName: string;
  keyAlgorithm: TsigAlgorithm;
  keySecret: Secret;
  ttl: number;
}

export const TSIG_ALGORITHMS = ['hmac-sha1', 'hmac-sha224', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const;
export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number];

const KEYS = ['server', 'port', 'zone', 'key_name', 'key_algorithm', 'key_secret', 'ttl'];
const LABEL = '[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?';
const DNS_NAME = new RegExp(`^(?=.{1,253}$)(${LABEL}\\.)*${LABEL}\\.?$`, 'i');

/** A DNS name fleetplan may write into an update: letters, digits, `_`, `-`, dots; no other byte. */
export function isDnsName(name: string): boolean {
  return DNS_NAME.test(name);
}

/** `name` is `zone` or under it. */
export function inZone(name: string, zone: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const z = zone.toLowerCase().replace(/\.$/, '');
  return n === z || n.endsWith(`.${z}`);
}

function whole(value: unknown, min: number, max: number, what: string, fail: (m: string) => never): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]{1,10}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) fail(`${what} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return n;
}

/** The checked `dns_update` of `host` for `domain`. */
export function updateTarget(value: unknown, domain: string, host: string): UpdateTarget {
  const fail = (m: string): never => {
    throw new InputError(`dns_update (for ${domain}): ${m}`, { host });
  };
  if (!isDnsName(domain)) fail(`the mail domain ${JSON.stringify(domain)} is not a DNS name`);
  if (!isPlainObject(value)) fail(`must be a mapping of ${KEYS.join(', ')}`);
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (!KEYS.includes(k)) fail(`unknown key '${k}' (known: ${KEYS.join(', ')})`);
  const text = (k: string, dflt?: string): string => {
    const x = v[k] ?? dflt;
    if (x instanceof Secret) fail(`${k} is not a secret: write it plainly`);
    if (typeof x !== 'string' || x === '') fail(`${k} is required (a string)`);
    return x as string;
  };
  const server = text('server');
  if (!isIP(server) && !isDnsName(server)) fail(`server must be an IP address or a host name, not ${JSON.stringify(server)}`);
  const zone = text('zone', domain).replace(/\.$/, '');
  if (!isDnsName(zone)) fail(`zone ${JSON.stringify(zone)} is not a DNS name`);
  if (!inZone(domain, zone)) fail(`the domain is not in zone ${zone}`);
  const keyName = text('key_name');
  if (!isDnsName(keyName)) fail(`key_name ${JSON.stringify(keyName)} is not a DNS name`);
  const keyAlgorithm = text('key_algorithm', 'hmac-sha256').toLowerCase() as TsigAlgorithm;
  if (!TSIG_ALGORITHMS.includes(keyAlgorithm)) fail(`key_algorithm must be one of ${TSIG_ALGORITHMS.join(', ')}`);
  const keySecret = v.key_secret;
  if (keySecret === undefined) fail('key_secret is required');
  // A plain string would sit in the inventory in clear, and nothing would mask it in the output.
  if (!(keySecret instanceof Secret)) fail('key_secret must be a secret: !secret, !vault or !secret_env (docs/secrets.md)');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(String(keySecret))) fail('key_secret is not base64 (the secret of a TSIG key, as tsig-keygen prints it)');
  const port = whole(v.port ?? 53, 1, 65535, 'port', fail);
  const ttl = whole(v.ttl ?? 3600, 0, 2147483647, 'ttl', fail);
  return { server, port, zone, keyName, keyAlgorithm, keySecret: keySecret as Secret, ttl };
}

/** Two hosts giving one domain different targets is an error: the records would go to one at random. */
export function sameTarget(a: UpdateTarget, b: UpdateTarget): boolean {
  return a.server === b.server && a.port === b.port && a.zone === b.zone && a.keyName === b.keyName &&
    a.keyAlgorithm === b.keyAlgorithm && String(a.keySecret) === String(b.keySecret) && a.ttl === b.ttl;
}

export function describeTarget(t: UpdateTarget): string {
  return `zone ${t.zone} on ${t.server}#${t.port} (key ${t.keyName}, ${t.keyAlgorithm})`;
}
