// The vault as the loader sees it: a whole encrypted YAML file (vars_files, group_vars/, host_vars/,
// -e @file, role vars, an inventory) is decrypted in memory when read, and every leaf string in it
// becomes a Secret; an inline `!vault |` scalar is decrypted into a Secret. Both fleetplan's format
// (crypto.ts) and ansible-vault's (ansible-vault.ts) are read, with the same passphrase. Plaintext never
// touches the disk here.
import { visit, type Document, type ScalarTag } from 'yaml';
import { Secret, type SecretRegistry } from '../core/secret.js';
import { VaultError, decryptVault, isVaultText as isFleetplanVault, parseVaultHeader } from './crypto.js';
import { decryptAnsibleVault, isAnsibleVaultText, parseAnsibleVaultHeader } from './ansible-vault.js';
import { vaultPassphrase } from './passphrase.js';

/** Encrypted in either format? */
export function isVaultText(text: string): boolean {
  return isFleetplanVault(text) || isAnsibleVaultText(text);
}

/** Decrypt either format; the header is checked before anyone is asked for a passphrase. */
function decrypt(text: string, what: string, secrets: SecretRegistry): string {
  if (isAnsibleVaultText(text)) {
    parseAnsibleVaultHeader(text);
    return decryptAnsibleVault(text, vaultPassphrase(what, secrets, { format: 'ansible-vault' })).toString('utf8');
  }
  parseVaultHeader(text);
  return decryptVault(text, vaultPassphrase(what, secrets)).toString('utf8');
}

/** The plaintext of an encrypted file (`file` is its display name). Throws VaultError at the file. */
export function openVaultFile(text: string, file: string, secrets: SecretRegistry): string {
  try {
    return decrypt(text, file, secrets);
  } catch (err) {
    if (err instanceof VaultError && !err.pos) throw new VaultError(err.message, { pos: { file } });
    throw err;
  }
}

/** Every string value (not key) of a decrypted document becomes a Secret, so it is redacted everywhere. */
export function markSecretLeaves(doc: Document.Parsed, secrets: SecretRegistry): void {
  visit(doc, {
    Scalar(key, node) {
      if (key !== 'key' && typeof node.value === 'string') node.value = new Secret(node.value, secrets);
    },
  });
}

/**
 * `password: !vault |` followed by the indented output of `fleetplan vault encrypt-string` (or of
 * `ansible-vault encrypt_string`): decrypted
 * when the file loads into a Secret. A failure (no passphrase, wrong passphrase, tampering) is an
 * error at the value's position.
 */
export const vaultTag = (secrets: SecretRegistry): ScalarTag => ({
  tag: '!vault',
  identify: () => false,
  resolve(text: string, onError: (message: string) => void) {
    try {
      return new Secret(decrypt(text, 'a !vault value', secrets), secrets);
    } catch (err) {
      if (!(err instanceof VaultError)) throw err;
      onError(`!vault: ${err.message}`);
      return '';
    }
  },
});
