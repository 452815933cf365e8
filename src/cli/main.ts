#!/usr/bin/env node
// fleetplan's command line. Each command lives in its own file; this one wires them to commander.
import { Command } from 'commander';
import { runSecrets } from './run-secrets.js';
import { registerApply } from './apply.js';
import { registerCompletion } from './completion.js';
import { registerDns } from './dns.js';
import { registerFacts } from './facts.js';
import { registerInit } from './init.js';
import { registerSchema } from './schema.js';
import { registerValidate } from './validate.js';
import { registerVault } from './vault.js';
import { registerVerify } from './verify.js';
import { takeVaultPasswordEnv } from '../vault/passphrase.js';
import { version } from './version.js';

// Before anything can start a process: the vault passphrase is not passed on to children.
takeVaultPasswordEnv();

const program = new Command('fleetplan')
  .description('Provision a fleet over SSH from YAML plans of idempotent roles, with exact dry-run diffs.')
  .version(version(), '-V, --version')
  // A wrong command line (unknown option, bad number, missing argument) is one line and exit 2;
  // help and --version still exit 0. Subcommands inherit both settings.
  .showHelpAfterError('(add --help for usage)')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .configureHelp({ sortSubcommands: true });

registerApply(program);
registerValidate(program);
registerFacts(program);
registerDns(program);
registerVault(program);
registerInit(program);
registerSchema(program);
registerCompletion(program);
registerVerify(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`fleetplan: internal error: ${runSecrets.redact(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
  process.exit(70);
});
