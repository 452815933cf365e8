#!/usr/bin/env node
// fleetplan's command line. Each command lives in its own file; this one wires them to commander.
import './v8-tuning.js';
import { Command } from 'commander';
import { runSecrets } from './run-secrets.js';
import { registerApply } from './apply.js';
import { registerCompletion } from './completion.js';
import { registerConfig } from './config.js';
import { registerHistory } from './history.js';
import { registerPull } from './pull.js';
import { registerDns } from './dns.js';
import { registerFacts } from './facts.js';
import { registerInit } from './init.js';
import { registerSchema } from './schema.js';
import { registerValidate } from './validate.js';
import { registerVault } from './vault.js';
import { registerReport } from './report.js';
import { registerRun } from './run.js';
import { registerVars } from './vars.js';
import { registerVerify } from './verify.js';
import { takeVaultPasswordEnv } from '../vault/passphrase.js';
import { version } from './version.js';
import { exitCodesHelp } from './exit-codes.js';
import { ExitCode } from '../core/errors.js';

// Before anything can start a process: the vault passphrase is not passed on to children.
takeVaultPasswordEnv();

const program = new Command('fleetplan')
  .description('Provision a fleet over SSH from YAML plans of idempotent roles, with exact dry-run diffs.')
  .version(version(), '-V, --version')
  // A wrong command line (unknown option, bad number, missing argument) is one line and exit 2;
  // help and --version still exit 0. Subcommands inherit both settings.
  .showHelpAfterError('(add --help for usage)')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? ExitCode.ok : ExitCode.usage))
  .configureHelp({ sortSubcommands: true });

registerApply(program);
registerValidate(program);
registerFacts(program);
registerDns(program);
registerVault(program);
registerInit(program);
registerSchema(program);
registerCompletion(program);
registerReport(program);
registerRun(program);
registerVars(program);
registerConfig(program);
registerHistory(program);
registerPull(program);
// The exit codes where they matter: the whole program's help, and apply's.
program.addHelpText('after', exitCodesHelp());
program.commands.find((c) => c.name() === 'apply')?.addHelpText('after', exitCodesHelp());
// A wrong command line points at the help of the command it was for, without printing all of it.
const pointAtHelp = (cmd: Command, words: string): void => {
  cmd.showHelpAfterError(`(see '${words} --help')`);
  for (const sub of cmd.commands) pointAtHelp(sub, `${words} ${sub.name()}`);
};
pointAtHelp(program, 'fleetplan');
registerVerify(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`fleetplan: internal error: ${runSecrets.redact(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
  process.exit(ExitCode.internal);
});
