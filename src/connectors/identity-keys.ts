// The private keys a connection may log in with. A run logs in to every host with the same few
// identity files, so each file is read and parsed once per run and the parsed key handed to ssh2
// (which would otherwise parse it again at every login). The login signature is made with a key
// object built once: ssh2 signs from the PEM text, which Node parses again for every signature (0.34
// ms against 0.03 ms per login for an ed25519 key). With the host keys left unproven
// (ssh-host-keys.ts), one connect, exec and close went from 7.1 to 6.2 ms of the controller's CPU.
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { AgentAuthMethod, ParsedKey, PasswordAuthMethod, PublicKeyAuthMethod } from 'ssh2';
import type { HostAddress } from './connection.js';
import { parseKey } from './ssh2-parts.js';

export interface LoginMethods {
  auths: (PublicKeyAuthMethod | AgentAuthMethod | PasswordAuthMethod)[];
  /** What was tried, for the failure message. */
  tried: string[];
  /** Why an identity file was not usable. */
  notes: string[];
}

type Loaded = { key: ParsedKey } | { note: string };

/**
 * Parsed keys by file, passphrase and the file's identity (device, inode, size, mtime): a file
 * replaced or edited during the process is read again, so a long-lived process (tests, pull) never
 * logs in with a stale key.
 */
const loaded = new Map<string, Loaded>();

function loadIdentity(file: string, passphrase: string | undefined): Loaded {
  let id: string;
  try {
    const st = statSync(file, { bigint: true });
    id = JSON.stringify([file, passphrase ?? null, `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`]);
  } catch (e) {
    return unreadable(file, e);
  }
  const known = loaded.get(id);
  if (known) return known;
  const result = parseIdentity(file, passphrase);
  loaded.set(id, result);
  return result;
}

function unreadable(file: string, e: unknown): Loaded {
  return { note: `identity file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}` };
}

function parseIdentity(file: string, passphrase: string | undefined): Loaded {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    return unreadable(file, e);
  }
  const parsed = parseKey(data, passphrase);
  if (parsed instanceof Error) {
    return {
      note: /passphrase|encrypted/i.test(parsed.message)
        ? `identity file ${file} is passphrase-protected and no passphrase was given (load it into ssh-agent)`
        : `identity file ${file} is not a usable private key: ${parsed.message}`,
    };
  }
  return { key: signingOnce(Array.isArray(parsed) ? parsed[0]! : parsed) };
}

/** The hash each key type signs with when ssh2 names none (RFC 8709, RFC 5656, RFC 4253). */
const DEFAULT_HASH: Record<string, string | null> = {
  'ssh-ed25519': null,
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
  'ssh-rsa': 'sha1',
};

/** `key`, signing with a key object made from its PEM once; a type not listed keeps ssh2's own signing. */
function signingOnce(key: ParsedKey): ParsedKey {
  const pem = key.getPrivatePEM();
  if (!pem || !Object.hasOwn(DEFAULT_HASH, key.type)) return key;
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(pem);
  } catch {
    return key;
  }
  const signer: ParsedKey = Object.create(key);
  signer.sign = (data, algo) => {
    try {
      return sign(algo || DEFAULT_HASH[key.type]!, typeof data === 'string' ? Buffer.from(data) : data, keyObject);
    } catch (e) {
      // As ssh2's own sign: a failure is returned, not thrown (its types leave that out).
      return e as Buffer;
    }
  };
  return signer;
}

/** Private keys usable for auth, then the agent and the password, plus notes on the keys that were not usable. */
export function loginMethods(addr: HostAddress): LoginMethods {
  const methods: LoginMethods = { auths: [], tried: [], notes: [] };
  for (const file of addr.identityFiles) {
    const r = loadIdentity(file, addr.identityPassphrase);
    if ('note' in r) {
      methods.notes.push(r.note);
      continue;
    }
    methods.auths.push({ type: 'publickey', username: addr.user, key: r.key });
    methods.tried.push(`key ${file} (${r.key.type})`);
  }
  if (addr.useAgent && process.env.SSH_AUTH_SOCK) {
    methods.auths.push({ type: 'agent', username: addr.user, agent: process.env.SSH_AUTH_SOCK });
    methods.tried.push('ssh-agent');
  }
  if (addr.password !== undefined) {
    methods.auths.push({ type: 'password', username: addr.user, password: addr.password });
    methods.tried.push('password');
  }
  return methods;
}
