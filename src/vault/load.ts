// The vault as the loader sees it: a whole encrypted YAML file (vars_files, group_vars/, host_vars/,
// -e @file, role vars) is decrypted in memory when read, and every leaf string in it becomes a Secret;
// an inline `!vault |` scalar is decrypted into a Secret. Plaintext never touches the disk here.
import { visit, type Document, type ScalarTag } from 'yaml';
import { Secret, type SecretRegistry } from '../core/secret.js';
import { VaultError, decryptVault, parseVaultHeader } from './crypto.js';
import { vaultPassphrase } from './passphrase.js';

export { isVaultText } from './crypto.js';

/** The plaintext of an encrypted file (`file` is its display name). Throws VaultError at the file. */
export function openVaultFile(text: string, file: string, secrets: SecretRegistry): string {
  try {
    parseVaultHeader(text); // a malformed or newer file fails before anyone is asked for a passphrase
    return decryptVault(text, vaultPassphrase(file, secrets)).toString('utf8');
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
 * `password: !vault |` followed by the indented output of `fleetplan vault encrypt-string`: decrypted
 * when the file loads into a Secret. A failure (no passphrase, wrong passphrase, tampering) is an
 * error at the value's position.
 */
export const vaultTag = (secrets: SecretRegistry): ScalarTag => ({
  tag: '!vault',
  identify: () => false,
  resolve(text: string, onError: (message: string) => void) {
    try {
      parseVaultHeader(text);
      return new Secret(decryptVault(text, vaultPassphrase('a !vault value', secrets)).toString('utf8'), secrets);
    } catch (err) {
      if (!(err instanceof VaultError)) throw err;
      onError(`!vault: ${err.message}`);
      return '';
    }
  },
});
