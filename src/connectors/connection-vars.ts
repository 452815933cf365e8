// The inventory variables that say how a host is reached, declared once: building a host's address
// (src/connectors/address.ts) checks each against its schema here, under its name or an Ansible alias;
// the inventory JSON Schemas and the reference are generated from the same declarations (src/schema).
import { z } from 'zod';

export interface ConnectionVar {
  schema: z.ZodType;
  /** What a valid value is, in words: "host web1: ssh_port must be <expects>, got …". */
  expects: string;
  /** Ansible's names for the same variable, accepted for inventories brought over. */
  aliases: string[];
  /** Never echo the value in a message. */
  secret?: boolean;
}

const nonEmpty = z.string().min(1);
/** 1-65535, leading zeros allowed ("0022" is 22) — as a string, since inventories often quote ports. */
const PORT_STRING = /^0*([1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$/;
const BOOLEAN_WORD = /^(true|True|TRUE|yes|Yes|YES|false|False|FALSE|no|No|NO)$/;

export const connectionVars = {
  ssh_host: {
    schema: nonEmpty.describe('Address or name to connect to (default: the inventory name; ~/.ssh/config HostName applies)'),
    expects: 'a non-empty string',
    aliases: ['ansible_host', 'ansible_ssh_host'],
  },
  ssh_port: {
    schema: z.union([z.int().min(1).max(65535), z.string().regex(PORT_STRING)]).describe('SSH port (default: ~/.ssh/config Port, else 22)'),
    expects: 'a port number (1-65535)',
    aliases: ['ansible_port', 'ansible_ssh_port'],
  },
  ssh_user: {
    schema: nonEmpty.describe('User to log in as (default: ~/.ssh/config User, else the local user)'),
    expects: 'a non-empty string',
    aliases: ['ansible_user', 'ansible_ssh_user'],
  },
  ssh_private_key_file: {
    schema: z
      .union([nonEmpty, z.array(nonEmpty).min(1)])
      .describe('Private key file(s), tried in order; ~ expands, relative paths are relative to the inventory (default: ~/.ssh/config IdentityFile, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa; the ssh-agent too)'),
    expects: 'a path or a list of paths',
    aliases: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
  },
  ssh_known_hosts_file: {
    schema: nonEmpty.describe('A known_hosts file checked besides ~/.ssh/known_hosts (relative to the inventory)'),
    expects: 'a non-empty string',
    aliases: [],
  },
  ssh_proxy_jump: {
    schema: nonEmpty.describe('Jump host(s), as ssh -J: [user@]host[:port], comma separated (default: ~/.ssh/config ProxyJump)'),
    expects: 'a non-empty string',
    aliases: [],
  },
  ssh_password: {
    schema: z.union([z.string(), z.number()]).describe('Password login (prefer keys; tag it !secret or keep it in a vault file)'),
    expects: 'a string',
    aliases: ['ansible_password', 'ansible_ssh_pass'],
    secret: true,
  },
  connection: {
    schema: z.enum(['ssh', 'local']).describe('ssh (default), or local: run on this machine without SSH'),
    expects: '"ssh" or "local"',
    aliases: ['ansible_connection'],
  },
  become: {
    schema: z.union([z.boolean(), z.string().regex(BOOLEAN_WORD)]).describe('Run tasks with sudo on this host unless the play or task says otherwise'),
    expects: 'true or false',
    aliases: ['ansible_become'],
  },
  become_user: {
    schema: nonEmpty.describe('User become runs commands as (default: root)'),
    expects: 'a non-empty string',
    aliases: ['ansible_become_user'],
  },
  become_password: {
    schema: z.union([z.string(), z.number()]).describe('become password, written only after sudo (or su) prompts for it (without one: sudo -n); for su from a non-root login, the target user\'s password; doas takes none (it needs a nopass rule)'),
    expects: 'a string',
    aliases: ['ansible_become_password', 'ansible_become_pass'],
    secret: true,
  },
  become_method: {
    schema: z.enum(['sudo', 'su', 'doas']).describe('How to become another user: sudo (default), su (from root, or with the target user\'s become_password) or doas (a nopass rule; FreeBSD has no sudo in base)'),
    expects: 'sudo, su or doas',
    aliases: ['ansible_become_method'],
  },
} satisfies Record<string, ConnectionVar>;

export type ConnectionVarName = keyof typeof connectionVars;
