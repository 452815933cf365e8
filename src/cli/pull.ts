// `fleetplan pull`: for hosts no controller should hold (as ansible-pull, Puppet and Chef agents do).
// Fetches a plan bundle — a tarball over HTTPS whose SHA-256 is checked, or a git repository — and
// applies it to this host with the local connection, exactly as `fleetplan apply` would (run lock,
// run history, exit codes). docs/pull.md; roles/fleetplan_pull installs it with a timer.
import { randomInt } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { ExitCode } from '../core/errors.js';
import { PullError } from '../pull/errors.js';
import { choosePlan, insideBundle, localHostName, writeLocalInventory } from '../pull/local-host.js';
import type { SourceOptions } from '../pull/source.js';
import { DEFAULT_PULL_DIR, lastApplied, privateDirectory, recordApplied, takeLock } from '../pull/workdir.js';
import { setVaultPasswordFile } from '../vault/passphrase.js';
import { applyRun, registerApply, type ApplyOpts } from './apply.js';
import { addPlanOptions, guard, MAX_TIMEOUT_SECONDS, vaultPasswordFileOption, wholeNumber } from './common.js';
import { VERBOSE_OPTION } from './verbosity.js';

interface PullOpts extends SourceOptions {
  directory: string;
  inventory?: string;
  onlyIfChanged: boolean;
  sleep?: number;
  check: boolean;
  diff: boolean;
  json: boolean;
  tags?: string;
  skipTags?: string;
  extraVars?: string[];
  rolesPath?: string[];
  verbose: number;
  timeout?: number;
  color: boolean;
  vaultPasswordFile?: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

const sha256Option = (value: string): string => {
  if (!SHA256_HEX.test(value.toLowerCase())) throw new InvalidArgumentError('Expected 64 hexadecimal digits (sha256sum of the bundle).');
  return value.toLowerCase();
};

/** apply's options as its command line would default them, so that pull runs apply as `apply` does. */
function applyDefaults(): ApplyOpts {
  const scratch = new Command();
  registerApply(scratch);
  return scratch.commands[0]!.opts<ApplyOpts>();
}

export function registerPull(program: Command): void {
  const pull = addPlanOptions(
    program
      .command('pull')
      .description('fetch a plan bundle (an HTTPS tarball with its digest, or a git repository) and apply it to this host with the local connection, as ansible-pull')
      .argument('[plan]', 'the plan in the bundle, relative to its top (default: <hostname>.yml, <short hostname>.yml, then local.yml)')
      .requiredOption('-U, --url <url>', 'the bundle: https://…/bundle.tar.gz (a tarball, with --sha256 or --sha256-url), or git+https://, git+ssh://, git+file:// (a git repository)')
      .option('--sha256 <hex>', 'the tarball\'s SHA-256, pinned', sha256Option)
      .option('--sha256-url <url>', 'an https: URL of the tarball\'s sha256sum file, on another host than the bundle\'s')
      .option('--signature-url <url>', 'an https: URL of the tarball\'s SSH signature (ssh-keygen -Y sign -n fleetplan-bundle), checked against --allowed-signers')
      .option('--ca-file <file>', 'trust only the CA certificates in this PEM file for https: (default: Node\'s built-in list of public CAs)')
      .option('--checkout <ref>', 'git: the branch, tag or commit to apply (default: the remote\'s HEAD)')
      .option('--full', 'git: fetch the whole history (default: the one commit, shallow)', false)
      .option('--verify-commit', 'git: refuse a commit whose signature `git verify-commit` does not accept', false)
      .option('--allowed-signers <file>', 'the SSH allowed-signers file that --signature-url (or git\'s --verify-commit) checks signatures with')
      .option('-d, --directory <dir>', 'the pull\'s private working directory (bundles, lock, last applied digest)', DEFAULT_PULL_DIR)
      .option('-i, --inventory <file>', 'an inventory in the bundle, limited to this host\'s name (default: this host alone, in group localhost)')
      .option('-o, --only-if-changed', 'do nothing when the bundle\'s digest is the one last applied with success', false)
      .option('-s, --sleep <seconds>', 'first sleep a random 0 to N seconds (a splay for timers and cron)', wholeNumber(0, 86_400))
      .option('--check', 'dry run: plan every task, change nothing', false)
      .option('-D, --diff', 'show the unified diff of every file and the exact commands', false)
      .option('--json', 'print one JSON document with the run on stdout', false)
      .option('-t, --tags <tags>', 'only run tasks with one of these tags (comma separated)')
      .option('--skip-tags <tags>', 'skip tasks with one of these tags')
      .option('--timeout <seconds>', 'fail a command that runs longer than this', wholeNumber(1, MAX_TIMEOUT_SECONDS))
      .option(...VERBOSE_OPTION)
      .option('--no-color', 'no colours')
      .option(...vaultPasswordFileOption),
  );
  pull.action((plan: string | undefined, opts: PullOpts) => {
    const git = opts.url.startsWith('git+');
    const checks = [opts.sha256, opts.sha256Url, opts.signatureUrl].filter((c) => c !== undefined).length;
    if (git && checks) pull.error('error: --sha256, --sha256-url and --signature-url are for tarballs; a git source is pinned by --checkout <commit> or checked with --verify-commit');
    if (!git && (opts.checkout !== undefined || opts.full || opts.verifyCommit)) pull.error('error: --checkout, --full and --verify-commit are for git sources (-U git+https://…)');
    if (!git && checks !== 1) pull.error('error: a tarball needs exactly one of --sha256 <hex>, --sha256-url <url> or --signature-url <url>');
    if (!git && (opts.signatureUrl !== undefined) !== (opts.allowedSigners !== undefined)) pull.error('error: --signature-url and --allowed-signers go together (the signature, and the keys it may be made with)');
    setVaultPasswordFile(opts.vaultPasswordFile);
    return guard(() => pullAndApply(plan, opts));
  });
}

async function pullAndApply(planArg: string | undefined, opts: PullOpts): Promise<number> {
  const human = opts.json ? process.stderr : process.stdout;
  if (opts.sleep) await new Promise((r) => setTimeout(r, randomInt(0, opts.sleep! + 1) * 1000));
  let release: (() => void) | undefined;
  try {
    const dir = privateDirectory(opts.directory);
    release = takeLock(dir);
    const last = lastApplied(dir);
    // Loaded here, not with the command line: fetching and unpacking (https, tls, tar) is this
    // command's alone, and every other command's start would load it for nothing.
    const { obtainBundle } = await import('../pull/source.js');
    const bundle = await obtainBundle(opts, dir, (digest) => opts.onlyIfChanged && last?.digest === digest && last.exitCode === ExitCode.ok);
    if ('unchanged' in bundle) {
      human.write(`pull: ${opts.url}: ${bundle.unchanged} applied already (${last!.at}, exit 0); --only-if-changed: nothing to do\n`);
      return ExitCode.ok;
    }
    human.write(`pull: ${opts.url}: ${bundle.digest} (${bundle.checked}) in ${bundle.root}\n`);
    const planFile = choosePlan(bundle.root, planArg);
    const inventory = opts.inventory !== undefined ? insideBundle(bundle.root, opts.inventory, '--inventory') : writeLocalInventory(dir);
    const applyOpts: ApplyOpts = {
      ...applyDefaults(),
      check: opts.check,
      diff: opts.diff,
      json: opts.json,
      tags: opts.tags,
      skipTags: opts.skipTags,
      extraVars: opts.extraVars,
      rolesPath: opts.rolesPath,
      verbose: opts.verbose,
      timeout: opts.timeout,
      color: opts.color,
      inventory: [inventory],
      limit: opts.inventory !== undefined ? localHostName() : undefined,
      connection: 'local',
    };
    const code = await applyRun(planFile, applyOpts)();
    if (!opts.check) recordApplied(dir, { source: opts.url, digest: bundle.digest, exitCode: code, at: new Date().toISOString() });
    return code;
  } catch (err) {
    if (!(err instanceof PullError)) throw err;
    process.stderr.write(`error: pull: ${err.message}\n`);
    return err.exitCode;
  } finally {
    release?.();
  }
}
