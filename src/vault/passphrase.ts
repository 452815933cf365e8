// Where the vault passphrase comes from, set once by the command line before anything loads, and
// asked for only when an encrypted file or value is actually met. In order:
//
//   1. --vault-password-file <file>    (its content, one trailing newline ignored; an executable
//                                      script or program is run, as Ansible runs one, and prints it)
//   2. FLEETPLAN_VAULT_PASSWORD        (environment)
//   3. a prompt with echo off          (only when stdin is a terminal)
//
// Otherwise a VaultError naming these options. Loading is synchronous, so the prompt is too: a tiny
// /bin/sh reads one line with `stty -echo` (and restores echo on exit or interrupt).
import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import { readInputText } from '../core/input-limits.js';
import type { SecretRegistry } from '../core/secret.js';
import { displayPath } from '../core/paths.js';
import { VaultError } from './crypto.js';

export const VAULT_PASSWORD_ENV = 'FLEETPLAN_VAULT_PASSWORD';

/** How to give a passphrase, for error messages. */
export const HOW_TO_GIVE = `give it with --vault-password-file <file> or the ${VAULT_PASSWORD_ENV} environment variable, or run from a terminal to be prompted`;

let passwordFile: string | undefined;
let cached: string | undefined;
/** FLEETPLAN_VAULT_PASSWORD, once taken out of the environment. */
let fromEnv: string | undefined;

/**
 * Move FLEETPLAN_VAULT_PASSWORD out of process.env into this module. The command line does this first
 * thing, so no process fleetplan starts (the local connection's `sh`, $EDITOR, the prompt) inherits it.
 */
export function takeVaultPasswordEnv(): void {
  const v = process.env[VAULT_PASSWORD_ENV];
  delete process.env[VAULT_PASSWORD_ENV];
  if (v) fromEnv = v;
}

/** Called by the command line (before loading): the --vault-password-file option, if any. */
export function setVaultPasswordFile(file: string | undefined): void {
  passwordFile = file;
  cached = undefined;
}

/** Use this passphrase (tests, programmatic use); `undefined` forgets it and the configured file. */
export function setVaultPassphrase(passphrase: string | undefined): void {
  cached = passphrase;
  if (passphrase === undefined) passwordFile = fromEnv = undefined;
}

/**
 * The passphrase, from the first source that has one (remembered for the rest of the run).
 * `what` names what needs it ("group_vars/all.yml"), for the prompt and the error.
 * `confirm`: a prompt asks twice (for encrypting). `format`: which vault format needs it (for the error). The passphrase is registered as a secret of
 * `secrets` (the run's registry) on every call, so whichever run uses it masks it.
 */
export function vaultPassphrase(what: string, secrets: SecretRegistry, opts: { confirm?: boolean; format?: 'fleetplan vault' | 'ansible-vault' } = {}): string {
  if (cached !== undefined) {
    secrets.register(cached);
    return cached;
  }
  takeVaultPasswordEnv();
  let p: string;
  if (passwordFile !== undefined) {
    p = readPasswordFile(passwordFile);
  } else if (fromEnv) {
    p = fromEnv;
  } else if (process.stdin.isTTY) {
    p = prompt(`Vault passphrase (${what}): `);
    if (p === '') throw new VaultError('no vault passphrase entered');
    if (opts.confirm && prompt('Confirm vault passphrase: ') !== p) throw new VaultError('the passphrases do not match');
  } else {
    throw new VaultError(`encrypted (${opts.format ?? 'fleetplan vault'}) and no vault passphrase was given: ${HOW_TO_GIVE}`);
  }
  secrets.register(p);
  cached = p;
  return p;
}

/** The passphrase in a --vault-password-file: its content, or what it prints when it is executable. */
function readPasswordFile(file: string): string {
  const name = displayPath(file);
  if (isExecutableFile(file)) {
    // As Ansible does with an executable password file (a script asking a password manager). Its
    // standard error and the terminal stay the operator's, so it may prompt.
    const r = spawnSync(file, [], { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 });
    if (r.error) throw new VaultError(`the vault password script ${name} could not run: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`);
    if (r.status !== 0) throw new VaultError(`the vault password script ${name} exited with ${r.status === null ? `signal ${r.signal}` : `status ${r.status}`}`);
    const p = r.stdout.replace(/\r?\n$/, '');
    if (p === '') throw new VaultError(`the vault password script ${name} printed nothing`);
    return p;
  }
  let text: string;
  try {
    // Bounded like every input file: `--vault-password-file /dev/zero` is refused, not read forever.
    text = readInputText(file, { file: name });
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new VaultError(`cannot read the vault password file ${name}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const p = text.replace(/\r?\n$/, '');
  if (p === '') throw new VaultError(`the vault password file ${name} is empty`);
  return p;
}

/** Executable and a program (`#!` or ELF): a passphrase file that merely has its x bit set is still read. */
function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    if (!statSync(file).isFile()) return false;
    const head = Buffer.alloc(4);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
    return head.subarray(0, 2).toString('latin1') === '#!' || head.toString('latin1') === '\x7fELF';
  } catch {
    return false;
  }
}

/** One line from the terminal with echo off; the question goes to stderr. */
export function prompt(question: string): string {
  const script = [
    'trap \'stty echo 2>/dev/null\' EXIT',
    'trap \'exit 130\' INT TERM HUP',
    // Echo off before the question shows: an answer typed as soon as it appears is not echoed.
    'stty -echo 2>/dev/null',
    'printf "%s" "$1" >&2',
    'IFS= read -r line || exit 1',
    'printf "\\n" >&2',
    'printf "%s" "$line"',
  ].join('\n');
  const r = spawnSync('/bin/sh', ['-c', script, 'sh', question], { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new VaultError('no vault passphrase entered (prompt interrupted)');
  return r.stdout;
}
