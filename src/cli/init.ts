// `fleetplan init <kind> [dir]`: a starter directory a new operator can validate and dry-run at once.
// The only kind is `relay` (inventory + group_vars/relays.yml + relay.yml + README.md, src/scaffold/).
import { isIP } from 'node:net';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { InputError, InputErrors } from '../core/errors.js';
import { bundledRolesDir, packageRoot } from '../core/paths.js';
import { runSecrets } from './run-secrets.js';
import { shQuote } from '../core/quote.js';
import { importHosts } from '../scaffold/import-hosts.js';
import { RELAY_FILES, relayScaffold, type RelayPassword } from '../scaffold/relay.js';
import { checkScaffoldTargets, writeScaffold } from '../scaffold/write.js';
import { encryptVault } from '../vault/crypto.js';
import { prompt, setVaultPasswordFile, VAULT_PASSWORD_ENV, vaultPassphrase } from '../vault/passphrase.js';
import { fileCommandGuard, vaultPasswordFileOption, wholeNumber } from './common.js';

export const DEFAULT_PASSWORD_ENV = 'FLEETPLAN_RELAY_PASSWORD';

interface InitOpts {
  hosts?: string;
  limit?: string;
  relayHost: string;
  relayPort: number;
  relayUser?: string;
  mailDomain: string;
  dkimSelector?: string;
  tls: 'encrypt' | 'may';
  dmarc: boolean;
  spf: boolean;
  passwordEnv: string;
  vault: boolean;
  vaultPasswordFile?: string;
  force: boolean;
}

const KINDS: Record<string, (dir: string, opts: InitOpts) => void> = { relay: initRelay };

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** Values end up in main.cf and DNS names: refuse what could never work there, before writing. */
function checkSettings(o: InitOpts): void {
  const errors: InputError[] = [];
  // IPv4 only: the role writes relayhost as [host]:port, which Postfix reads as IPv6 only with an ipv6: prefix.
  if (!HOSTNAME.test(o.relayHost) && isIP(o.relayHost) !== 4) {
    errors.push(new InputError(`--relay-host '${o.relayHost}' is not a host name or IPv4 address${isIP(o.relayHost) === 6 ? ' (for an IPv6 smarthost, give its host name)' : ''}`));
  }
  if (!HOSTNAME.test(o.mailDomain) || !o.mailDomain.includes('.')) errors.push(new InputError(`--mail-domain '${o.mailDomain}' is not a domain name`));
  if (o.relayUser !== undefined && !/^\S+$/.test(o.relayUser)) errors.push(new InputError(`--relay-user '${o.relayUser}' must be one word`));
  if (o.dkimSelector !== undefined && !/^[A-Za-z0-9{}_.-]+$/.test(o.dkimSelector)) {
    errors.push(new InputError(`--dkim-selector '${o.dkimSelector}' may hold letters, digits, '.', '-', '_' and {{inventory_hostname}}`));
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.passwordEnv)) errors.push(new InputError(`--password-env '${o.passwordEnv}' is not an environment variable name`));
  if (o.limit !== undefined && o.hosts === undefined) errors.push(new InputError('--limit selects among the hosts of --hosts <inventory>; give that too'));
  if (errors.length === 1) throw errors[0];
  if (errors.length) throw new InputErrors(errors);
}

/** The relay password as `!vault` text, from the environment variable or (on a terminal) a prompt. */
function vaultedPassword(o: InitOpts, file: string): RelayPassword {
  let value = process.env[o.passwordEnv];
  if (!value) {
    if (!process.stdin.isTTY) {
      throw new InputError(`--vault encrypts the relay password now: set ${o.passwordEnv} or run from a terminal to be prompted`);
    }
    value = prompt(`Relay password (SASL, for ${file}): `);
    if (value === '') throw new InputError('no relay password entered');
    if (prompt('Confirm relay password: ') !== value) throw new InputError('the relay passwords do not match');
  }
  runSecrets.register(value);
  return { vaultText: encryptVault(value, vaultPassphrase(file, runSecrets, { confirm: true })) };
}

/** Today as YYYYMMDD: DKIM selectors conventionally carry the key's date. */
function today(): string {
  return new Date().toISOString().slice(0, 10).replace(/-/g, '');
}

function initRelay(dir: string, o: InitOpts): void {
  checkSettings(o);
  // Refuse before importing hosts or asking for any password: a refusal costs the operator nothing.
  checkScaffoldTargets(dir, RELAY_FILES, o);
  const hosts = o.hosts !== undefined ? importHosts(o.hosts, runSecrets, o.limit) : undefined;
  const groupVarsFile = path.join(dir, 'group_vars', 'relays.yml');
  const password: RelayPassword = o.vault ? vaultedPassword(o, groupVarsFile) : { env: o.passwordEnv };
  const files = relayScaffold({
    relayHost: o.relayHost,
    relayPort: o.relayPort,
    relayUser: o.relayUser ?? `relay@${o.mailDomain}`,
    mailDomain: o.mailDomain,
    dkimSelector: o.dkimSelector ?? `{{inventory_hostname}}-${today()}`,
    tlsLevel: o.tls,
    dmarc: o.dmarc,
    spf: o.spf,
    password,
    ...(hosts ? { hosts } : {}),
    planSchema: path.join(packageRoot(), 'docs', 'schemas', 'plan.schema.json'),
    rolesDir: bundledRolesDir(),
  });
  const written = writeScaffold(dir, files, o);

  const out: string[] = written.map((f) => `wrote ${f}`);
  if (hosts) out.push(`${hosts.hosts.length} relay(s) from ${o.hosts}: ${hosts.hosts.map((h) => h.name).join(', ')}`);
  for (const s of hosts?.secretsLeftOut ?? []) out.push(`note: ${s} is a secret and was not copied; set it in ${path.join(dir, 'inventory.yml')}`);
  // The next command in the form the operator used: `npm run fleetplan -- …` from a checkout.
  const prog = process.env.npm_lifecycle_event === 'fleetplan' ? 'npm run fleetplan --' : 'fleetplan';
  const vaultFlag = o.vault && o.vaultPasswordFile ? ` --vault-password-file ${shQuote(o.vaultPasswordFile)}` : '';
  const next = `${prog} apply ${shQuote(path.join(dir, 'relay.yml'))} -i ${shQuote(path.join(dir, 'inventory.yml'))} --check --diff${vaultFlag}`;
  out.push('');
  if (!hosts) out.push(`First replace the example hosts relay1 and relay2 in ${path.join(dir, 'inventory.yml')} with your relays.`);
  out.push(
    o.vault
      ? `Next, with the vault passphrase (--vault-password-file or ${VAULT_PASSWORD_ENV}), see what would change (nothing is touched):`
      : `Next, with the smarthost password in ${o.passwordEnv} (never printed), see what would change (nothing is touched):`,
    `  ${next}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a starter directory: inventory, group vars and a plan ready to validate and dry-run')
    .argument('<kind>', `what to scaffold: ${Object.keys(KINDS).join(', ')}`)
    .argument('[dir]', 'directory to write into (created if missing)', '.')
    .option('--hosts <inventory>', 'take the relays from this inventory: host names and connection variables, key paths made absolute')
    .option('-l, --limit <pattern>', 'with --hosts: only the hosts this pattern selects')
    .option('--relay-host <host>', 'the smarthost every message is relayed through', 'smtp.example.net')
    .option('--relay-port <port>', 'its submission port', wholeNumber(1, 65_535), 587)
    .option('--relay-user <user>', 'the SASL account on the smarthost (default relay@<mail domain>)')
    .option('--mail-domain <domain>', 'the domain the relays send for (DKIM signs it)', 'example.org')
    .option('--dkim-selector <selector>', 'DKIM selector; keep {{inventory_hostname}} in it so each relay has its own (default {{inventory_hostname}}-<today>)')
    .addOption(new Option('--tls <level>', 'encrypt: refuse to relay in clear; may: TLS when offered').choices(['encrypt', 'may']).default('encrypt'))
    .option('--dmarc', 'also run OpenDMARC (dmarc_enabled: true)', false)
    .option('--spf', 'also check SPF of incoming mail (spf_enabled: true)', false)
    .option('--password-env <name>', 'environment variable holding the relay password (!secret_env)', DEFAULT_PASSWORD_ENV)
    .option('--vault', 'store the relay password encrypted (!vault) instead, read now from --password-env or a prompt', false)
    .option(...vaultPasswordFileOption)
    .option('--force', 'overwrite existing files', false)
    .hook('preAction', (c) => setVaultPasswordFile(c.opts().vaultPasswordFile))
    .action((kind: string, dir: string, opts: InitOpts) =>
      fileCommandGuard(() => {
        const scaffold = Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
        if (!scaffold) throw new InputError(`unknown kind '${kind}'; kinds: ${Object.keys(KINDS).join(', ')}`);
        scaffold(dir, opts);
      }),
    );
}
