// Options and input loading shared by apply, validate and facts: one place turns command-line words
// into loaded, validated inputs, and every input error into the "invalid input" exit code.
import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, FleetplanError, InputError, InputErrors } from '../core/errors.js';
import { loadInventory } from '../load/inventory.js';
import type { Inventory, Vars } from '../load/model.js';
import { splitPathList } from '../core/paths.js';
import { parseExtraVars } from '../load/vars.js';
import { runSecrets } from './run-secrets.js';
import type { SecretRegistry } from '../core/secret.js';
import { colorWanted, type OutputStream } from '../report/terminal.js';
import { visible } from '../report/visible.js';
import { setVaultPasswordFile } from '../vault/passphrase.js';
import { addConnectionFlags, commandLineConnection, type ConnectionFlagOpts } from './connection-flags.js';

export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `-i` unless given (the very array: the first `-i` replaces it rather than adding to it). */
const DEFAULT_INVENTORY: string[] = ['inventory.yml'];
const inventoryList = (value: string, previous: string[]) => (previous === DEFAULT_INVENTORY ? [value] : [...previous, value]);

/** `--vault-password-file` (else FLEETPLAN_VAULT_PASSWORD, else a prompt on a terminal). */
export const vaultPasswordFileOption = [
  '--vault-password-file <file>',
  'read the vault passphrase from this file (else FLEETPLAN_VAULT_PASSWORD, else a prompt on a terminal)',
] as const;

export function addInventoryOptions(cmd: Command): Command {
  return addConnectionFlags(cmd)
    .option('-i, --inventory <file>', 'inventory: YAML or Ansible INI file, executable inventory script, or a directory of them (repeatable: merged in order, later wins)', inventoryList, DEFAULT_INVENTORY)
    .option('-l, --limit <pattern>', 'further limit the hosts (host/group pattern)')
    .option('-f, --forks <n>', 'hosts handled in parallel', wholeNumber(1, 10_000), 50)
    .option('--accept-new-hostkeys', 'trust and record the key of a host not yet in known_hosts (never a changed key, nor a new key type for a known host)', false)
    .option('--connect-timeout <seconds>', 'give up connecting after this long', wholeNumber(1, MAX_TIMEOUT_SECONDS), 10)
    .option('--ssh-config <file>', 'OpenSSH client config to honour (default ~/.ssh/config)')
    .addOption(new Option('-c, --connection <type>', 'override how hosts are reached').choices(['ssh', 'local']))
    .option('--no-color', 'no colours (NO_COLOR is honoured too; FORCE_COLOR forces them into a pipe)')
    .option(...vaultPasswordFileOption)
    .hook('preAction', (c) => setVaultPasswordFile(c.opts().vaultPasswordFile));
}

/** What apply, validate and dns need to load a plan: extra variables and extra role directories. */
export function addPlanOptions(cmd: Command): Command {
  return cmd
    .option('-e, --extra-vars <key=value|@file>', 'extra variables, highest precedence (repeatable)', collect)
    .option('--roles-path <dirs>', 'extra role directories (colon separated, repeatable)', collect);
}

export interface PlanOpts extends CommonOpts {
  extraVars?: string[];
  rolesPath?: string[];
}

/** The longest wait a Node timer holds (2^31-1 ms): a larger timeout would fire at once. */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * The one parser of every numeric flag: a whole number in [min, max], written in decimal digits only
 * (not "1e3", "0x10" or "2.0"). Anything else is commander's usage error: one line, exit 2, no trace.
 */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^[0-9]{1,10}$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

export interface CommonOpts extends ConnectionFlagOpts {
  /** One or more sources (several `-i`). */
  inventory: string | string[];
  limit?: string;
  forks: number;
  acceptNewHostkeys: boolean;
  connectTimeout: number;
  sshConfig?: string;
  connection?: 'ssh' | 'local';
  color: boolean;
}

export function readInventory(files: string | string[], secrets: SecretRegistry): Inventory {
  const list = typeof files === 'string' ? [files] : files;
  for (const file of list) if (!existsSync(file)) throw new InputError(`inventory file not found`, { pos: { file } });
  return loadInventory(list.map((f) => path.resolve(f)), secrets);
}

export function rolesPath(cli: string[] | undefined): string[] {
  return [...(cli ?? []).flatMap((p) => splitPathList(p)), ...splitPathList(process.env.FLEETPLAN_ROLES_PATH)].map((p) =>
    path.resolve(p),
  );
}

export function extraVars(args: string[] | undefined, secrets: SecretRegistry): Vars {
  return parseExtraVars(args ?? [], secrets);
}

/** Colour for this stream: --no-color and NO_COLOR say no, FORCE_COLOR yes, else only on a terminal. */
export function useColor(opts: { color: boolean }, stream: OutputStream): boolean {
  return colorWanted(opts.color, stream);
}

export function connectOptions(o: CommonOpts) {
  return {
    acceptNewHostKeys: o.acceptNewHostkeys,
    connectTimeoutMs: o.connectTimeout * 1000,
    sshConfigFile: o.sshConfig,
    connectionOverride: o.connection,
    commandLine: commandLineConnection(o),
  };
}

/**
 * Runs a command that reads and writes files on the controller (init, vault): input errors, and a file
 * or directory that cannot be read, created or written (EACCES, ENOTDIR...), print "error: …" and exit
 * with the invalid-input code.
 */
export async function fileCommandGuard(body: () => Promise<void> | void): Promise<never> {
  let code: number = ExitCode.ok;
  try {
    await body();
  } catch (err) {
    if (err instanceof InputErrors) for (const e of err.errors) process.stderr.write(`error: ${runSecrets.redact(e.describe())}\n`);
    else if (err instanceof InputError) process.stderr.write(`error: ${runSecrets.redact(err.describe())}\n`);
    else if (typeof (err as NodeJS.ErrnoException).code === 'string') process.stderr.write(`error: ${runSecrets.redact((err as Error).message)}\n`);
    else throw err;
    code = ExitCode.invalidInput;
  }
  process.stdout.write('', () => process.exit(code));
  return new Promise<never>(() => undefined);
}

/** Runs a command body; input errors print "file:line:col: message" and exit with the invalid-input code. */
export async function guard(body: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await body();
  } catch (err) {
    if (err instanceof InputErrors) {
      for (const e of err.errors) process.stderr.write(`error: ${visible(runSecrets.redact(e.describe()))}\n`);
      process.stderr.write(`fleetplan: invalid input (${err.errors.length} error${err.errors.length > 1 ? 's' : ''}); no host was contacted\n`);
      code = ExitCode.invalidInput;
    } else if (err instanceof InputError) {
      process.stderr.write(`error: ${visible(runSecrets.redact(err.describe()))}\nfleetplan: invalid input; no host was contacted\n`);
      code = ExitCode.invalidInput;
    } else if (err instanceof FleetplanError) {
      process.stderr.write(`error: ${visible(runSecrets.redact(err.describe()))}\n`);
      code = ExitCode.hostFailed;
    } else {
      throw err;
    }
  }
  // Let stdout drain (a large --json document into a pipe) before exiting.
  process.stdout.write('', () => process.exit(code));
  return new Promise<never>(() => undefined);
}
