// What `fleetplan init relay` writes: an inventory with a `relays` group, the relay settings in
// group_vars/relays.yml (each one commented), a plan of the bundled relay roles, and a README with
// the next steps. Pure text from settings; checking and writing the files is write.ts's job.
import type { ImportedHosts } from './import-hosts.js';
import type { ScaffoldFile } from './write.js';
import { yamlFlowMap, yamlScalar, yamlTaggedBlock } from './yaml-text.js';

/** Where the relay password comes from. */
export type RelayPassword =
  /** `!secret_env NAME`: read from the controller's environment whenever fleetplan loads the file. */
  | { env: string }
  /** `!vault |`: a ciphertext made at init time with `fleetplan vault`'s format. */
  | { vaultText: string };

export interface RelaySettings {
  relayHost: string;
  relayPort: number;
  relayUser: string;
  mailDomain: string;
  dkimSelector: string;
  tlsLevel: 'encrypt' | 'may';
  dmarc: boolean;
  spf: boolean;
  password: RelayPassword;
  /** The relays, taken from an existing inventory; without them, example hosts to replace. */
  hosts?: ImportedHosts;
  /** Absolute path of the plan JSON schema, for the editor header of the plan. */
  planSchema: string;
  /** Absolute directory of the bundled roles, for pointers to their READMEs. */
  rolesDir: string;
}

export const RELAY_FILES = ['inventory.yml', 'group_vars/relays.yml', 'relay.yml', 'README.md'] as const;

export function relayScaffold(s: RelaySettings): ScaffoldFile[] {
  return [
    { path: 'inventory.yml', content: s.hosts ? importedInventory(s.hosts) : exampleInventory() },
    { path: 'group_vars/relays.yml', content: groupVars(s) },
    { path: 'relay.yml', content: plan(s) },
    { path: 'README.md', content: readme(s) },
  ];
}

function importedInventory(h: ImportedHosts): string {
  const lines = [
    '# The relays: the hosts of',
    `#   ${h.source}`,
    '# taken by `fleetplan init relay --hosts` with only their connection variables (relative key and',
    '# known_hosts paths made absolute). The relay settings are in group_vars/relays.yml; per-host',
    '# overrides go in host_vars/<host>.yml.',
  ];
  if (h.secretsLeftOut.length) {
    lines.push(
      '#',
      '# Left out, because a password never goes into a plain file; set them again here, e.g.',
      '# `ssh_password: !secret_env SSH_PASSWORD` or a `!vault` value (fleetplan vault encrypt-string):',
      ...h.secretsLeftOut.map((s) => `#   ${s}`),
    );
  }
  lines.push('all:', '  children:', '    relays:');
  if (Object.keys(h.shared).length) {
    lines.push('      vars:', ...Object.entries(h.shared).map(([k, v]) => `        ${yamlScalar(k)}: ${yamlScalar(v)}`));
  }
  lines.push('      hosts:', ...h.hosts.map((x) => `        ${yamlScalar(x.name)}: ${yamlFlowMap(x.vars)}`));
  return `${lines.join('\n')}\n`;
}

function exampleInventory(): string {
  return `# The relays, in Ansible's inventory layout. The relay settings are in group_vars/relays.yml;
# per-host overrides go in host_vars/<host>.yml.
#
# NOTE: relay1 and relay2 below are EXAMPLES at documentation addresses (192.0.2.0/24, RFC 5737,
# never routed): replace them with your relays before applying. To take the hosts of an inventory
# you already have instead, run: fleetplan init relay <this directory> --hosts <inventory> --force
all:
  children:
    relays:
      vars:
        # How fleetplan logs in. The plan uses sudo (become: true) when this is not root.
        ssh_user: root
        # ssh_private_key_file: ~/.ssh/id_ed25519     # default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa, the agent
        # ssh_known_hosts_file: ~/.ssh/known_hosts    # host keys are always verified
      hosts:
        relay1: { ssh_host: 192.0.2.10 }                # example: replace
        relay2: { ssh_host: 192.0.2.11, ssh_port: 2222 }  # example: replace
`;
}

function passwordLines(p: RelayPassword): string {
  if ('env' in p) {
    return `# Its password, from the controller's environment variable
#   ${p.env}
# read whenever fleetplan loads this file (unset: an error naming this line, no host contacted).
# Never printed: diffs, commands, logs and --json show [redacted]; on the hosts it goes only into
# the 0600 password map. To keep it encrypted in this file instead, replace the line with the
# output of: fleetplan vault encrypt-string --name relay_password
${yamlScalar('relay_password')}: !secret_env ${p.env}`;
  }
  return `# Its password, encrypted with fleetplan's vault (AES-256-GCM, key from scrypt): commands reading
# this file need the passphrase (--vault-password-file <file> or FLEETPLAN_VAULT_PASSWORD). Never
# printed. To change it: fleetplan vault encrypt-string --name relay_password, paste over this.
${yamlTaggedBlock('relay_password', '!vault', p.vaultText)}`;
}

function groupVars(s: RelaySettings): string {
  return `# Settings of every host in the \`relays\` group, read by the bundled roles. Each role's README
# lists all its variables: ${s.rolesDir}/<role>/README.md (postfix_relay,
# opendkim, opendmarc, spf_policy, mta_switch). host_vars/<host>.yml overrides one host.

# --- The smarthost every message is relayed through (SASL authentication over TLS) ---
# Its name or address.
relay_host: ${yamlScalar(s.relayHost)}
# Its submission port (main.cf: relayhost = [relay_host]:relay_port, no MX lookup).
relay_port: ${s.relayPort}
# The account the relays log in with.
relay_user: ${yamlScalar(s.relayUser)}
${passwordLines(s.password)}
# encrypt: refuse to send in clear; may: TLS when the smarthost offers it.
smtp_tls_security_level: ${s.tlsLevel}
# Domains relayed elsewhere (each gets a transport map entry):
# relay_transports:
#   - { domain: example.net, transport: "smtp:[relay2.example.net]:587" }

# --- The domain the relays send for ---
# Postfix's mydomain; myhostname becomes <host>.<mail_domain>; DKIM signs for it.
mail_domain: ${yamlScalar(s.mailDomain)}

# --- DKIM signing (role opendkim) ---
# Sign outgoing mail; each relay generates its own key once (never rotated by a re-run).
dkim_enabled: true
# The key's name in DNS, <selector>._domainkey.<mail_domain>: one per host, as each has its own key.
# After the first apply, \`fleetplan dns relay.yml -i inventory.yml\` prints the records to publish.
dkim_selector: ${yamlScalar(s.dkimSelector)}

# --- Optional ---
# OpenDMARC as a second milter (role opendmarc).
dmarc_enabled: ${s.dmarc}
# SPF checks of incoming mail through Postfix's policy service (role spf_policy).
spf_enabled: ${s.spf}
`;
}

function plan(s: RelaySettings): string {
  return `# yaml-language-server: $schema=${s.planSchema}
# Mail relays: Postfix relaying all mail through an authenticated smarthost (SASL + TLS), the old
# MTA retired, OpenDKIM signing; OpenDMARC and the SPF policy service when group_vars/relays.yml
# enables them. The roles ship with fleetplan and are found by name (a roles/<name>/ directory
# beside this file would take precedence); they handle Debian, CentOS and FreeBSD hosts alike.
#
#   fleetplan apply relay.yml -i inventory.yml --check --diff    # what would change, nothing touched
#   fleetplan apply relay.yml -i inventory.yml                   # make it so
name: mail relay
hosts: relays
become: true
roles:
  - mta_switch
  - postfix_relay
  - role: opendkim
    when: { dkim_enabled: true }
  - role: opendmarc
    when: { dmarc_enabled: true }
  - role: spf_policy
    when: { spf_enabled: true }
`;
}

function readme(s: RelaySettings): string {
  const vault = !('env' in s.password);
  const env = 'env' in s.password ? s.password.env : '';
  const hostsStep = s.hosts
    ? `The relays are the hosts of \`${s.hosts.source}\` (connection variables only).`
    : '**First replace the example hosts in `inventory.yml`** (relay1, relay2 at documentation addresses) with your relays.';
  const secret = vault
    ? 'Commands need the vault passphrase: `--vault-password-file <file>` or `FLEETPLAN_VAULT_PASSWORD`.'
    : `Commands read the smarthost password from \`${env}\`: \`export ${env}='…'\` first (it is never printed).`;
  const flag = vault ? ' --vault-password-file <file>' : '';
  return `# Mail relays

Written by \`fleetplan init relay\`:

| file | what |
|---|---|
| \`inventory.yml\` | the \`relays\` group: hosts and how to reach them |
| \`group_vars/relays.yml\` | the relay settings: smarthost, account, password, mail domain, DKIM selector |
| \`relay.yml\` | the plan: the bundled roles mta_switch, postfix_relay, opendkim, opendmarc, spf_policy |

${hostsStep} Review \`group_vars/relays.yml\`. ${secret}

\`\`\`sh
fleetplan validate relay.yml -i inventory.yml${flag}                 # check everything, contact no host
fleetplan apply relay.yml -i inventory.yml --check --diff${flag}     # what would change, with diffs
fleetplan apply relay.yml -i inventory.yml${flag}                    # make it so
fleetplan dns relay.yml -i inventory.yml${flag}                      # DNS records to publish
\`\`\`

(From a fleetplan checkout: \`npm run fleetplan -- …\` with absolute paths.) The roles' variables are
documented in \`${s.rolesDir}/<role>/README.md\`.
`;
}
