// Helpers that encode, decode and hash: JSON and YAML text, base64, digests and crypt(3) password
// hashes (Ansible's to_json, to_yaml, from_json, b64encode, b64decode, hash, password_hash). A value
// computed from a secret is a secret (taintHelpers), so `{{b64encode pw}}` is masked in reports too.
import { createHash, randomBytes } from 'node:crypto';
import { encrypt as cryptHash } from 'unixcrypt';
import { stringify as yamlStringify } from 'yaml';
import { revealDeep } from '../../core/secret.js';
import { fail, text, type HelperDef } from './helper.js';

const DIGESTS = ['md5', 'sha1', 'sha256', 'sha512'];
/** crypt(3) schemes of `password_hash` (Ansible's names), as glibc, shadow and FreeBSD read them. */
const CRYPT_SCHEMES: Record<string, string> = { sha512: '$6$', sha256: '$5$' };
const SALT_CHARS = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function randomSalt(): string {
  return [...randomBytes(16)].map((b) => SALT_CHARS[b % 64]).join('');
}

export const encodingHelpers: HelperDef[] = [
  {
    name: 'to_json',
    args: 'value [indent=2]',
    ansible: ['x | to_json', 'x | to_nice_json'],
    does: 'The value as JSON text; `indent=n` spreads it over lines.',
    example: '{{to_json settings indent=2}}',
    fn: ([v], options) => {
      const indent = options.hash?.indent;
      return JSON.stringify(revealDeep(v) ?? null, null, typeof indent === 'number' ? indent : undefined);
    },
  },
  {
    name: 'to_yaml',
    args: 'value',
    ansible: ['x | to_yaml', 'x | to_nice_yaml'],
    does: 'The value as YAML text (block style, ending in a newline).',
    example: '{{to_yaml settings}}',
    fn: ([v]) => yamlStringify(revealDeep(v) ?? null),
  },
  {
    name: 'from_json',
    args: 'string',
    ansible: ['x | from_json'],
    does: 'The value JSON text stands for (a mapping, list, string, number...); invalid JSON is an error.',
    example: '{{#each (from_json ports_json)}}…{{/each}}',
    fn: ([s]) => {
      try {
        return JSON.parse(text('from_json', s)) as unknown;
      } catch (err) {
        return fail('from_json', `not JSON: ${(err as Error).message}`);
      }
    },
  },
  {
    name: 'b64encode',
    args: 'string',
    ansible: ['x | b64encode'],
    does: 'The UTF-8 bytes of the string in base64.',
    example: '{{b64encode (concat user ":" password)}}',
    fn: ([s]) => Buffer.from(text('b64encode', s), 'utf8').toString('base64'),
  },
  {
    name: 'b64decode',
    args: 'string',
    ansible: ['x | b64decode'],
    does: 'The base64 text decoded as UTF-8; text that is not base64 is an error.',
    example: '{{b64decode encoded_banner}}',
    fn: ([s]) => {
      const str = text('b64decode', s).replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(str) || str.length % 4 === 1) fail('b64decode', 'not base64 text');
      return Buffer.from(str, 'base64').toString('utf8');
    },
  },
  {
    name: 'hash',
    args: 'string [algorithm]',
    ansible: ["x | hash('sha256')"],
    does: `The hex digest of the string's UTF-8 bytes; algorithm one of ${DIGESTS.join(', ')} (default sha1, as Ansible).`,
    example: '{{hash mailname "sha256"}}',
    fn: ([s, algo]) => {
      const a = algo === undefined ? 'sha1' : text('hash', algo, 'algorithm');
      if (!DIGESTS.includes(a)) fail('hash', `unknown algorithm '${a}' (expected ${DIGESTS.join(', ')})`);
      return createHash(a).update(text('hash', s), 'utf8').digest('hex');
    },
  },
  {
    name: 'password_hash',
    args: 'password [scheme] [salt] [rounds=n]',
    ansible: ["pw | password_hash('sha512', 'salt')"],
    does: 'A crypt(3) hash for /etc/shadow-style files: scheme sha512 ($6$, default) or sha256 ($5$). Give a salt (up to 16 of [./0-9A-Za-z]) for the same hash on every run; without one a random salt makes every run a change, as in Ansible.',
    example: '{{password_hash relay_password "sha512" password_salt}}',
    fn: ([pw, scheme, salt], options) => {
      const s = scheme === undefined ? 'sha512' : text('password_hash', scheme, 'scheme');
      const prefix = CRYPT_SCHEMES[s] ?? fail('password_hash', `unknown scheme '${s}' (expected sha512 or sha256)`);
      const saltText = salt === undefined ? randomSalt() : text('password_hash', salt, 'salt');
      if (!/^[./0-9A-Za-z]{1,16}$/.test(saltText)) fail('password_hash', 'salt must be 1 to 16 of the characters ./0-9A-Za-z');
      const rounds = options.hash?.rounds;
      if (rounds !== undefined && !(Number.isInteger(rounds) && (rounds as number) >= 1000 && (rounds as number) <= 999_999_999)) fail('password_hash', 'rounds must be a whole number from 1000 to 999999999');
      return cryptHash(text('password_hash', pw, 'password'), `${prefix}${rounds !== undefined ? `rounds=${String(rounds)}$` : ''}${saltText}`);
    },
  },
];
