// Reading ansible-vault's format (1.1, and 1.2 which only adds a vault id label), so encrypted
// group_vars/, vars files, inventories and `!vault |` values brought over from Ansible load as they are:
//
//   $ANSIBLE_VAULT;1.1;AES256            (or $ANSIBLE_VAULT;1.2;AES256;<vault id>)
//   <hex, 80 columns, of: hex(salt) "\n" hex(hmac) "\n" hex(ciphertext)>
//
// key material = PBKDF2-HMAC-SHA256(passphrase, salt, 10000 iterations, 80 bytes): the first 32 bytes
// are the AES-256 key, the next 32 the HMAC-SHA256 key, the last 16 the CTR counter block; the HMAC
// covers the ciphertext and is checked (in constant time) before decrypting; the plaintext carries
// PKCS#7 padding. Everything cryptographic is Node's own (pbkdf2, hmac, aes-256-ctr). Read only:
// fleetplan writes its own format (crypto.ts), which uses a memory-hard KDF and an AEAD.
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { VaultError } from './crypto.js';

export const ANSIBLE_VAULT_MAGIC = '$ANSIBLE_VAULT';
const ITERATIONS = 10_000;

export const ANSIBLE_WRONG_PASSPHRASE = 'wrong passphrase or file modified (the ansible-vault HMAC did not match)';

/** Does this text start like an ansible-vault file or value? */
export function isAnsibleVaultText(text: string): boolean {
  return text.trimStart().startsWith(`${ANSIBLE_VAULT_MAGIC};`);
}

/** Check the header line; throws VaultError for a version or cipher this reader does not know. */
export function parseAnsibleVaultHeader(text: string): { version: string; label?: string } {
  const line = text.trimStart().split(/\r?\n/, 1)[0]!.trim();
  const [magic, version, cipher, label] = line.split(';');
  if (magic !== ANSIBLE_VAULT_MAGIC) throw new VaultError(`not an ansible-vault text (it does not start with ${ANSIBLE_VAULT_MAGIC};)`);
  if (version !== '1.1' && version !== '1.2') {
    throw new VaultError(`unsupported ansible-vault format version '${version ?? ''}' (fleetplan reads 1.1 and 1.2; re-key it with a current ansible-vault: ansible-vault rekey)`);
  }
  if (cipher !== 'AES256') throw new VaultError(`unsupported ansible-vault cipher '${cipher ?? ''}' (only AES256 exists in format ${version})`);
  return { version, label: version === '1.2' ? label : undefined };
}

/** The plaintext of an ansible-vault text. A wrong passphrase, a modified or a malformed body throws VaultError. */
export function decryptAnsibleVault(text: string, passphrase: string): Buffer {
  parseAnsibleVaultHeader(text);
  const [salt, hmac, ciphertext] = body(text);
  const material = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, ITERATIONS, 80, 'sha256');
  const [key, hmacKey, counter] = [material.subarray(0, 32), material.subarray(32, 64), material.subarray(64, 80)];
  const expected = createHmac('sha256', hmacKey).update(ciphertext).digest();
  if (hmac.length !== expected.length || !timingSafeEqual(hmac, expected)) throw new VaultError(ANSIBLE_WRONG_PASSPHRASE);
  const decipher = createDecipheriv('aes-256-ctr', key, counter);
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  const pad = padded.length ? padded[padded.length - 1]! : 0;
  if (pad < 1 || pad > 16 || pad > padded.length || !padded.subarray(padded.length - pad).every((b) => b === pad)) {
    throw new VaultError('malformed ansible-vault text: the decrypted data has no valid PKCS#7 padding');
  }
  return padded.subarray(0, padded.length - pad);
}

/** salt, HMAC and ciphertext from the hex body (hex of three hex lines). */
function body(text: string): [Buffer, Buffer, Buffer] {
  const hex = text.trimStart().split(/\r?\n/).slice(1).join('').replace(/\s+/g, '');
  const malformed = (why: string) => new VaultError(`malformed ansible-vault text: ${why}`);
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw malformed('the body is not hexadecimal');
  const parts = Buffer.from(hex, 'hex').toString('latin1').split('\n');
  if (parts.length !== 3 || !parts.every((p) => /^([0-9a-fA-F]{2})+$/.test(p))) throw malformed('the body is not salt, HMAC and ciphertext');
  const [salt, hmac, ciphertext] = parts.map((p) => Buffer.from(p, 'hex')) as [Buffer, Buffer, Buffer];
  if (ciphertext.length % 16 !== 0) throw malformed('the ciphertext is not whole AES blocks');
  return [salt, hmac, ciphertext];
}
