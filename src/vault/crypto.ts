// The vault format: a passphrase-encrypted text that diffs and merges as text.
//
//   $FLEETPLAN_VAULT;1;AES256-GCM;scrypt;N=131072,r=8,p=1
//   <base64 of salt (16 bytes) | nonce (12 bytes) | ciphertext | GCM tag (16 bytes)>, 64 columns
//
// The key is scrypt(passphrase, salt, N, r, p) → 32 bytes; the cipher is AES-256-GCM with the whole
// header line as additional authenticated data, so the version, algorithms and KDF parameters cannot
// be altered without the tag failing. Every encryption draws a fresh random salt and nonce. The
// parameters are read back from the header, so files written with other costs still decrypt.
// Everything here is Node's own crypto; no dependency.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { InputError } from '../core/errors.js';

export const VAULT_MAGIC = '$FLEETPLAN_VAULT';
export const VAULT_VERSION = 1;
const CIPHER = 'AES256-GCM';
const KDF = 'scrypt';
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const LINE = 64;

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

/**
 * OWASP's recommended minimum for scrypt: N=2^17, r=8, p=1 — 128 MiB of memory and a few hundred
 * milliseconds per derivation, which is what makes guessing a passphrase offline expensive.
 */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = { N: 2 ** 17, r: 8, p: 1 };

/**
 * The most work a header may ask for: what fleetplan itself writes (N·r·p of the default, 128 MiB of
 * scrypt memory). The parameters are authenticated only by the key they derive, so a crafted header
 * is checked against this before any derivation — N=2^30 would otherwise cost gigabytes and seconds.
 */
const MAX_COST = DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r * DEFAULT_SCRYPT.p;

/** Anything wrong with a vault: an input error (exit code 4). */
export class VaultError extends InputError {}

/** Does this text start like a vault (the first line, ignoring leading blank space)? */
export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(`${VAULT_MAGIC};`);
}

function checkParams(k: ScryptParams): void {
  const pow2 = Number.isInteger(k.N) && k.N >= 2 && k.N <= 2 ** 30 && (k.N & (k.N - 1)) === 0;
  if (!pow2 || !Number.isInteger(k.r) || k.r < 1 || !Number.isInteger(k.p) || k.p < 1) {
    throw new VaultError(`unsupported scrypt parameters N=${k.N}, r=${k.r}, p=${k.p} (N a power of two)`);
  }
  if (k.N * k.r * k.p > MAX_COST) {
    const d = DEFAULT_SCRYPT;
    throw new VaultError(
      `unsupported scrypt parameters N=${k.N}, r=${k.r}, p=${k.p}: more work than fleetplan ever writes (N·r·p at most ${MAX_COST}, as N=${d.N}, r=${d.r}, p=${d.p}); refused before deriving a key`,
    );
  }
}

function deriveKey(passphrase: string, salt: Buffer, k: ScryptParams): Buffer {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { N: k.N, r: k.r, p: k.p, maxmem: 128 * k.N * k.r * (k.p + 1) + 1024 * 1024 });
}

function headerLine(k: ScryptParams): string {
  return `${VAULT_MAGIC};${VAULT_VERSION};${CIPHER};${KDF};N=${k.N},r=${k.r},p=${k.p}`;
}

/** Encrypt `plaintext` into vault text (header + base64 lines, ending with a newline). */
export function encryptVault(plaintext: string | Buffer, passphrase: string, params: ScryptParams = DEFAULT_SCRYPT): string {
  if (passphrase === '') throw new VaultError('the vault passphrase is empty');
  checkParams(params);
  const header = headerLine(params);
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(passphrase, salt, params), nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(header, 'utf8'));
  const body = Buffer.concat([salt, nonce, cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final(), cipher.getAuthTag()]);
  const b64 = body.toString('base64');
  const lines: string[] = [header];
  for (let i = 0; i < b64.length; i += LINE) lines.push(b64.slice(i, i + LINE));
  return `${lines.join('\n')}\n`;
}

export interface VaultHeader {
  version: number;
  cipher: string;
  kdf: string;
  scrypt: ScryptParams;
  /** The header line exactly as authenticated. */
  line: string;
}

/** Parse and check the header line; throws VaultError for anything this version cannot read. */
export function parseVaultHeader(text: string): VaultHeader {
  const line = text.trimStart().split(/\r?\n/, 1)[0]!.trim();
  const fields = line.split(';');
  if (fields[0] !== VAULT_MAGIC) throw new VaultError(`not a fleetplan vault (it does not start with ${VAULT_MAGIC};)`);
  const version = Number(fields[1]);
  if (fields[1] !== String(VAULT_VERSION)) {
    throw new VaultError(`unsupported vault format version '${fields[1] ?? ''}' (this fleetplan reads version ${VAULT_VERSION}; a newer fleetplan wrote it?)`);
  }
  if (fields.length !== 5 || fields[2] !== CIPHER || fields[3] !== KDF) {
    throw new VaultError(`unsupported vault header '${line}' (expected ${VAULT_MAGIC};${VAULT_VERSION};${CIPHER};${KDF};N=…,r=…,p=…)`);
  }
  const m = /^N=(\d{1,10}),r=(\d{1,4}),p=(\d{1,4})$/.exec(fields[4]!);
  if (!m) throw new VaultError(`malformed scrypt parameters '${fields[4]}' in the vault header (expected N=…,r=…,p=…)`);
  const scrypt = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  checkParams(scrypt);
  return { version, cipher: CIPHER, kdf: KDF, scrypt, line };
}

export const WRONG_PASSPHRASE = 'wrong passphrase or file modified (the vault did not authenticate)';

/** Decrypt vault text. Any tampering (header, salt, nonce, ciphertext, tag) or a wrong passphrase throws. */
export function decryptVault(text: string, passphrase: string): Buffer {
  const header = parseVaultHeader(text);
  const rest = text.trimStart().split(/\r?\n/).slice(1).join('').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(rest) || rest.length % 4 !== 0) throw new VaultError(`${WRONG_PASSPHRASE}: the body is not base64`);
  const body = Buffer.from(rest, 'base64');
  if (body.length < SALT_BYTES + NONCE_BYTES + TAG_BYTES) throw new VaultError(`${WRONG_PASSPHRASE}: the body is truncated`);
  const salt = body.subarray(0, SALT_BYTES);
  const nonce = body.subarray(SALT_BYTES, SALT_BYTES + NONCE_BYTES);
  const tag = body.subarray(body.length - TAG_BYTES);
  const data = body.subarray(SALT_BYTES + NONCE_BYTES, body.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(passphrase, salt, header.scrypt), nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(header.line, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new VaultError(WRONG_PASSPHRASE);
  }
}
