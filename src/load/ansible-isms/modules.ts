// Ansible module names → fleetplan operations, as a table. A task written with an Ansible module
// (`ansible.builtin.copy:`, `lineinfile:`) becomes the operation that does the same, its arguments
// renamed where only the name differs; an argument with no clean equivalent is refused with a hint
// naming what fleetplan has instead, never dropped. Names are data: nothing here is evaluated.
//
// FQCN stripping is generic: `ansible.builtin.X` (and the other collections below) is X when X is an
// operation, so operations added under Ansible's own names (stat, cron, sysctl, …) work as FQCNs too.
// A short name that is a fleetplan operation (copy, file, service, …) keeps fleetplan's meaning; only
// the FQCN says "Ansible's module", so only the FQCN is translated (the short name gets a hint when
// its arguments are Ansible's: see arguments.ts).
import type { Operation } from '../../ops/operation.js';
import { yamlBoolean } from './booleans.js';

/** Collections whose modules fleetplan may know by their short name. */
export const COLLECTIONS = ['ansible.builtin', 'ansible.legacy', 'ansible.posix', 'community.general'];

type Args = Record<string, unknown>;

export interface ModuleAlias {
  /** Ansible's short module names this entry translates. */
  modules: string[];
  /** The operation, or how the (renamed) arguments choose it; a string result starting with '!' is a refusal hint. */
  op: string | ((args: Args, registry: ReadonlyMap<string, Operation>) => string);
  /** Ansible argument → fleetplan argument; arguments not listed keep their name. */
  rename?: Record<string, string>;
  /** Ansible's spellings of a value → fleetplan's, per fleetplan argument (undefined: drop the argument). */
  values?: Record<string, Record<string, unknown>>;
  /** Ansible arguments without a clean equivalent → what to write instead. */
  refuse?: Record<string, string>;
  /** Arguments accepted and dropped when their value is what fleetplan always does. */
  implied?: Record<string, (v: unknown) => boolean>;
  /** Fill in what Ansible defaults to where fleetplan's default differs; a string: [argument, hint] refused. */
  defaults?: (args: Args) => [string, string] | void;
  /** A bare string sets this argument (Ansible's free form). */
  freeForm?: string;
  /** Free-form options Ansible reads from trailing `key=value` words (command: `chdir=/x creates=/y`). */
  freeFormOptions?: string[];
}

const isTrue = (v: unknown) => v === true || yamlBoolean(v) === true;
const FILE_ATTRS = { dest: 'path', name: 'path', destfile: 'path' };
const PRESENT = { installed: 'present', removed: 'absent' };
const NOT_A_FILE_OP = 'fleetplan writes files atomically as root';

/** Why `file` with a state fleetplan's file does not have is refused, or which operation it is. */
function fileOp(args: Args, registry: ReadonlyMap<string, Operation>): string {
  const state = args.state;
  if (state === 'directory') {
    delete args.state;
    return 'directory';
  }
  // touch: fleetplan's file without content creates an empty file when missing and keeps its times.
  if (state === undefined || state === 'file' || state === 'touch') {
    delete args.state;
    return 'file';
  }
  if (state === 'absent') return 'file';
  // fleetplan's file takes Ansible's link states itself (with src and force), as the link operation.
  if (state === 'link' || state === 'hard') return registry.has('link') ? 'file' : '!links are not an operation yet: command: {cmd: "ln -s …", creates: <path>}';
  return `!state: '${String(state)}' decides which operation this is: write it literally (directory, file, absent, touch)`;
}

/** The table. Order does not matter; each short name appears once. */
export const MODULE_ALIASES: ModuleAlias[] = [
  {
    modules: ['copy'],
    op: (a) => (a.content !== undefined ? 'file' : 'copy'),
    rename: {},
    defaults: (a) => {
      // copy with content: is fleetplan's file with content:, and file names its target `path`.
      if (a.content !== undefined && a.dest !== undefined) {
        a.path = a.dest;
        delete a.dest;
      }
    },
    refuse: {
      remote_src: 'a file already on the host is copied with command: {cmd: "cp -- <src> <dest>", creates: <dest>}',
      directory_mode: 'copy copies one file: create the directory first with directory: {path, mode}',
      local_follow: 'copy reads the controller file as it is',
      checksum: 'copy compares the content itself (sha256)',
      decrypt: 'vault-encrypted files: use !vault values or fleetplan vault',
    },
    implied: { force: isTrue, unsafe_writes: (v) => !isTrue(v) },
  },
  {
    modules: ['template'],
    op: 'template',
    refuse: {
      newline_sequence: 'templates are written as rendered',
      trim_blocks: 'Handlebars trims with ~: {{~#if x~}}',
      lstrip_blocks: 'Handlebars trims with ~: {{~#if x~}}',
      variable_start_string: 'templates are Handlebars: {{x}}',
    },
    implied: { force: isTrue },
  },
  {
    modules: ['file'],
    op: fileOp,
    rename: FILE_ATTRS,
    refuse: {
      recurse: 'directory sets the directory itself; for a whole tree: command: {cmd: "chown -R …"} with unless:',
      access_time: NOT_A_FILE_OP + ' and keeps times as they are',
      modification_time: NOT_A_FILE_OP + ' and keeps times as they are',
    },
  },
  {
    modules: ['command', 'shell'],
    op: 'command',
    freeForm: 'cmd',
    freeFormOptions: ['chdir', 'creates', 'removes'],
    rename: { _raw_params: 'cmd' },
    refuse: {
      argv: 'cmd: one command line (every word quoted as the shell needs)',
      executable: 'commands run under the host\'s sh; call another shell inside cmd: (bash -c …)',
      stdin: 'cmd: "printf %s … | <command>" (secrets reach hosts only as !secret values)',
      stdin_add_newline: 'cmd: "printf %s … | <command>"',
      strip_empty_ends: 'outputs are reported as they are',
      expand_argument_vars: 'commands run under the host\'s sh, which expands variables',
    },
    implied: { warn: () => true },
  },
  {
    modules: ['service', 'systemd', 'systemd_service', 'sysvinit'],
    op: 'service',
    refuse: {
      daemon_reload: "fleetplan reloads systemd's unit configuration itself after the enables of a play",
      daemon_reexec: "not an operation: command: systemctl daemon-reexec",
      masked: 'command: {cmd: "systemctl mask <unit>", unless: "…"}',
      scope: 'service manages system units',
      arguments: 'the init system starts the service with its own arguments (set them in its configuration)',
      args: 'the init system starts the service with its own arguments (set them in its configuration)',
      pattern: 'the service is asked through its init backend (systemctl, service, rc.d)',
      sleep: 'restarted is a stop and a start by the init backend',
      runlevels: 'enabled: true uses the default runlevels',
      no_block: 'service waits for the init backend',
      force: 'service waits for the init backend',
    },
  },
  {
    modules: ['apt', 'yum', 'dnf', 'dnf5', 'pkgng'],
    op: 'package',
    rename: { pkg: 'name', package: 'name' },
    values: { state: PRESENT },
    refuse: {
      deb: 'install the .deb with command: {cmd: "dpkg -i …", unless: "dpkg-query -W <name>"}',
      purge: 'command: {cmd: "apt-get purge -y <name>", onlyif: "dpkg-query -W <name>"}',
      autoremove: 'command: apt-get autoremove -y (with changed_when rules)',
      enablerepo: 'repositories are configured by files (file:/copy:) before package:',
      disablerepo: 'repositories are configured by files (file:/copy:) before package:',
      install_recommends: 'the backend installs with the distribution default',
      default_release: 'pin the version by name (name: "pkg=1.2")',
      force: 'package never forces',
      allow_unauthenticated: 'package installs only authenticated packages',
      allow_downgrade: 'package never downgrades',
      update_only: 'state: latest upgrades what is there',
      security: 'state: latest upgrades what is there',
      exclude: 'list the packages wanted in name:',
      upgrade: 'state: latest on the packages that matter, or command: apt-get upgrade -y',
    },
  },
  {
    modules: ['package'],
    op: 'package',
    values: { state: PRESENT },
    refuse: {},
  },
  {
    modules: ['user'],
    op: 'user',
    defaults: (a) => {
      // Ansible's append defaults to false: `groups:` is then the exact list.
      if (a.groups !== undefined && a.append === undefined) a.append = false;
      if (typeof a.groups !== 'string') return;
      // A template renders a list or a comma-separated string: which one is known only per host.
      if (a.groups.includes('{{')) return ['groups', `a template here may render a list or a string: write a list, groups: [${JSON.stringify(a.groups)}], or a variable holding a list`];
      a.groups = a.groups.split(',').map((g) => g.trim()).filter(Boolean);
    },
    refuse: {
      password: 'set it with command: {cmd: "chpasswd", …} from a !secret value, or manage /etc/shadow out of band',
      comment: 'command: {cmd: "usermod -c … <name>", unless: …}',
      create_home: 'home: is created with the account by the accounts backend',
      remove: 'state: absent keeps the home directory; remove it with directory: {path, state: absent}',
      generate_ssh_key: 'command: {cmd: "ssh-keygen …", creates: <key file>}',
      expires: 'command: usermod -e',
      password_lock: 'command: usermod -L',
      update_password: 'see password',
      non_unique: 'uid: must be unique',
      force: 'state: absent removes the account only',
      move_home: 'home: applies when creating',
    },
  },
  {
    modules: ['group'],
    op: 'group',
    refuse: { non_unique: 'gid: must be unique', force: 'state: absent removes the group only', local: 'the accounts backend of the host is used' },
  },
  {
    modules: ['lineinfile'],
    op: 'line',
    rename: { ...FILE_ATTRS, regex: 'regexp', insertafter: 'insert_after' },
    // insertafter: EOF is where a new line goes anyway.
    values: { insert_after: { EOF: undefined } },
    refuse: {
      insertbefore: 'insert_after: a regular expression; a new line goes after its last match (default: the end of the file)',
      backrefs: 'line: the whole wanted line with regexp: selecting it (no back-references), or key: + value:',
      firstmatch: 'regexp: replaces the last matching line; make the expression match only the line wanted',
      search_string: 'regexp: with the string escaped (^ and $ anchored), or key: + value:',
      others: 'one argument at a time',
      unsafe_writes: NOT_A_FILE_OP,
    },
  },
  {
    modules: ['sysrc'],
    op: 'sysrc',
    rename: { path: 'file' },
    // value_present/value_absent edit a list inside a value: fleetplan sets the whole value.
    values: { state: { value_present: '!value: the whole wanted value', value_absent: '!value: the whole wanted value' } },
    refuse: {
      jail: 'run it on the jail as a host of the inventory',
      delim: 'value: the whole wanted value',
    },
  },
];

const BY_MODULE = new Map(MODULE_ALIASES.flatMap((a) => a.modules.map((m) => [m, a] as const)));

/** What an operation key of a task names. */
export interface ModuleName {
  /** The key as written (`ansible.builtin.copy`). */
  written: string;
  /** The alias entry translating its arguments, or none: the operation `op` as it is. */
  alias?: ModuleAlias;
  /** The operation the key names directly (when there is no alias, or as the alias's default). */
  op?: string;
}

/** The short name of an FQCN of a known collection, or undefined. */
export function shortName(key: string): string | undefined {
  const dot = key.lastIndexOf('.');
  if (dot < 0) return undefined;
  return COLLECTIONS.includes(key.slice(0, dot)) ? key.slice(dot + 1) : undefined;
}

/**
 * What a task key names: an FQCN of a known collection (translated by its alias, else the operation
 * of the same short name), or an Ansible short name that is not a fleetplan operation (`lineinfile`,
 * `shell`, `apt`). A fleetplan operation's own name is not an Ansible-ism: undefined.
 */
export function moduleName(key: string, registry: ReadonlyMap<string, Operation>): ModuleName | undefined {
  const short = shortName(key);
  if (short !== undefined) {
    const alias = BY_MODULE.get(short);
    if (alias) return { written: key, alias };
    return registry.has(short) ? { written: key, op: short } : undefined;
  }
  if (registry.has(key)) return undefined;
  const alias = BY_MODULE.get(key);
  return alias ? { written: key, alias } : undefined;
}

/** The alias a fleetplan operation's short name has as an Ansible module (for hints), if any. */
export const aliasOf = (opName: string): ModuleAlias | undefined => BY_MODULE.get(opName);
