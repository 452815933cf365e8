// `fleetplan vault encrypt|decrypt|edit|encrypt-string`: files (or one value) encrypted with a
// passphrase — AES-256-GCM, key from scrypt (src/vault/crypto.ts). The passphrase comes from
// --vault-password-file, FLEETPLAN_VAULT_PASSWORD or a prompt (src/vault/passphrase.ts).
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { decryptAnsibleVault, isAnsibleVaultText, parseAnsibleVaultHeader } from '../vault/ansible-vault.js';
import { DEFAULT_SCRYPT, VaultError, decryptVault, encryptVault, isVaultText, parseVaultHeader, type ScryptParams } from '../vault/crypto.js';
import { prompt, setVaultPasswordFile, vaultPassphrase } from '../vault/passphrase.js';
import { writeAtomic } from '../core/write-atomic.js';
import { runSecrets } from './run-secrets.js';
import { fileCommandGuard, vaultPasswordFileOption } from './common.js';

const at = (file: string, err: unknown): never => {
  if (err instanceof VaultError && !err.pos) throw new VaultError(err.message, { pos: { file: displayPath(file) } });
  throw err;
};

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new VaultError(`cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { pos: { file: displayPath(file) } });
  }
}

function output(target: string, data: string, mode?: number): void {
  if (target === '-') process.stdout.write(data);
  else writeAtomic(target, data, mode);
}

function checkOutput(files: string[], out?: string): void {
  if (out !== undefined && files.length !== 1) throw new InputError('--output needs exactly one input file');
}

function encryptFiles(files: string[], opts: { output?: string }): void {
  checkOutput(files, opts.output);
  const texts = files.map((f) => {
    const text = readText(f);
    if (isVaultText(text)) throw new VaultError('already encrypted', { pos: { file: displayPath(f) } });
    if (isAnsibleVaultText(text)) throw new VaultError('already encrypted (ansible-vault): fleetplan reads it as it is', { pos: { file: displayPath(f) } });
    return text;
  });
  const pass = vaultPassphrase(files.map(displayPath).join(', '), runSecrets, { confirm: true });
  files.forEach((f, i) => {
    output(opts.output ?? f, encryptVault(texts[i]!, pass));
    if (opts.output !== '-') process.stderr.write(`encrypted ${displayPath(f)}${opts.output ? ` into ${displayPath(opts.output)}` : ''}\n`);
  });
}

/** Decrypted files are readable by their owner only. */
const PLAINTEXT_MODE = 0o600;

function decryptFiles(files: string[], opts: { output?: string }): void {
  checkOutput(files, opts.output);
  const texts = files.map((f) => {
    const text = readText(f);
    if (!isVaultText(text) && !isAnsibleVaultText(text)) throw new VaultError('not encrypted (no $FLEETPLAN_VAULT or $ANSIBLE_VAULT header)', { pos: { file: displayPath(f) } });
    return text;
  });
  files.forEach((f, i) => {
    let plain: string;
    try {
      // An ansible-vault file decrypts too: the way to move it to fleetplan's format (then `vault encrypt`).
      const ansible = isAnsibleVaultText(texts[i]!);
      if (ansible) parseAnsibleVaultHeader(texts[i]!);
      else parseVaultHeader(texts[i]!);
      const pass = vaultPassphrase(displayPath(f), runSecrets, ansible ? { format: 'ansible-vault' } : {});
      plain = (ansible ? decryptAnsibleVault(texts[i]!, pass) : decryptVault(texts[i]!, pass)).toString('utf8');
    } catch (err) {
      return at(f, err);
    }
    // Plaintext never inherits the mode the ciphertext had (often world-readable): it goes into a new
    // file created 0600 beside the target (exclusive create, then rename), as writeAtomic does.
    const target = opts.output ?? f;
    const before = target !== '-' && existsSync(target) ? statSync(target).mode & 0o777 : undefined;
    output(target, plain, PLAINTEXT_MODE);
    if (opts.output !== '-') {
      const was = before !== undefined && before !== PLAINTEXT_MODE ? `, was ${before.toString(8).padStart(4, '0')}` : '';
      process.stderr.write(`decrypted ${displayPath(f)}${opts.output ? ` into ${displayPath(opts.output)}` : ''} (mode 0600: readable by you only${was})\n`);
    }
  });
}

/**
 * Decrypt into a private temporary directory (0700, file 0600), run $EDITOR (default vi), encrypt
 * again when the content changed; the temporary directory is removed whatever happens. A file that
 * does not exist yet is created.
 */
async function editFile(file: string): Promise<void> {
  let plain = '';
  let params: ScryptParams = DEFAULT_SCRYPT;
  const exists = existsSync(file);
  let pass: string;
  if (exists) {
    const text = readText(file);
    if (isAnsibleVaultText(text)) {
      throw new VaultError(`encrypted with ansible-vault: fleetplan writes only its own format; 'fleetplan vault decrypt' it, then 'fleetplan vault encrypt' it (or keep editing it with ansible-vault edit)`, { pos: { file: displayPath(file) } });
    }
    if (!isVaultText(text)) throw new VaultError(`not encrypted (no $FLEETPLAN_VAULT header); encrypt it first with 'fleetplan vault encrypt'`, { pos: { file: displayPath(file) } });
    try {
      params = parseVaultHeader(text).scrypt;
      pass = vaultPassphrase(displayPath(file), runSecrets);
      plain = decryptVault(text, pass).toString('utf8');
    } catch (err) {
      return at(file, err);
    }
  } else {
    if (!existsSync(path.dirname(path.resolve(file)))) throw new VaultError('directory does not exist', { pos: { file: displayPath(file) } });
    pass = vaultPassphrase(displayPath(file), runSecrets, { confirm: true });
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-vault-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', cleanup);
  const onSignal = (sig: NodeJS.Signals) => {
    cleanup();
    process.exit(128 + (sig === 'SIGHUP' ? 1 : 15));
  };
  // Ctrl-C belongs to the editor while it runs; a hangup or termination still removes the plaintext.
  const ignoreInt = () => undefined;
  process.on('SIGINT', ignoreInt);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    chmodSync(dir, 0o700);
    const tmp = path.join(dir, path.basename(file));
    const fd = openSync(tmp, 'wx', 0o600);
    writeSync(fd, plain);
    closeSync(fd);
    const editor = process.env.EDITOR?.trim() || 'vi';
    // Through sh, so EDITOR may carry arguments ("code --wait"); the file name is passed as $1.
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'sh', tmp], { stdio: 'inherit' });
      child.on('error', reject);
      child.on('close', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
    });
    if (code !== 0) throw new VaultError(`the editor (${editor}) exited with ${code}; ${exists ? 'file left unchanged' : 'nothing written'}`, { pos: { file: displayPath(file) } });
    const edited = readFileSync(tmp, 'utf8');
    if (exists && edited === plain) {
      process.stderr.write(`${displayPath(file)}: unchanged\n`);
      return;
    }
    writeAtomic(file, encryptVault(edited, pass, params));
    process.stderr.write(`${exists ? 'encrypted' : 'created'} ${displayPath(file)}\n`);
  } finally {
    cleanup();
    process.off('exit', cleanup);
    process.off('SIGINT', ignoreInt);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}

/** One value (stdin, or a prompt on a terminal) as a `!vault |` YAML scalar. */
function encryptString(opts: { name?: string }): void {
  if (opts.name !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.name)) throw new InputError(`--name '${opts.name}' is not a variable name`);
  let value: string;
  if (process.stdin.isTTY) {
    value = prompt('Value to encrypt: ');
  } else {
    value = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  }
  if (value === '') throw new InputError('nothing to encrypt (empty value)');
  const pass = vaultPassphrase('the value', runSecrets, { confirm: true });
  const body = encryptVault(value, pass).trimEnd().split('\n').map((l) => `  ${l}`).join('\n');
  process.stdout.write(`${opts.name !== undefined ? `${opts.name}: ` : ''}!vault |\n${body}\n`);
}

export function registerVault(program: Command): void {
  const vault = program
    .command('vault')
    .description('encrypt, decrypt or edit vars files (AES-256-GCM, scrypt-derived key) and encrypt single values for !vault')
    .addHelpText(
      'after',
      `\nPassphrase: --vault-password-file <file>, else FLEETPLAN_VAULT_PASSWORD, else a prompt (echo off) when stdin is a terminal.\n` +
        `Key derivation: scrypt N=${DEFAULT_SCRYPT.N}, r=${DEFAULT_SCRYPT.r}, p=${DEFAULT_SCRYPT.p}, a random salt and nonce per encryption.`,
    );
  const sub = (name: string) => vault.command(name).option(...vaultPasswordFileOption).hook('preAction', (c) => setVaultPasswordFile(c.opts().vaultPasswordFile));

  sub('encrypt')
    .description('encrypt files in place (or into --output; "-" for stdout)')
    .argument('<files...>', 'plaintext YAML files')
    .option('-o, --output <file>', 'write here instead of in place (one input file)')
    .action((files: string[], opts: { output?: string }) => fileCommandGuard(() => encryptFiles(files, opts)));
  sub('decrypt')
    .description('decrypt files in place (or into --output; "-" for stdout)')
    .argument('<files...>', 'encrypted files')
    .option('-o, --output <file>', 'write here instead of in place (one input file)')
    .action((files: string[], opts: { output?: string }) => fileCommandGuard(() => decryptFiles(files, opts)));
  sub('edit')
    .description('decrypt into a private temporary file, open $EDITOR (default vi), encrypt again if changed (creates the file if missing)')
    .argument('<file>', 'encrypted file')
    .action((file: string) => fileCommandGuard(() => editFile(file)));
  sub('encrypt-string')
    .description('encrypt one value read from stdin (or a prompt) and print it as a `!vault |` YAML value')
    .option('-n, --name <var>', 'print it as "<var>: !vault |"')
    .action((opts: { name?: string }) => fileCommandGuard(() => encryptString(opts)));
}
