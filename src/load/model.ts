// What loading produces and the engine consumes: plans, roles, tasks and inventory, validated, with
// the YAML position of everything so that later errors can still point at the operator's file.
import type { SourcePos } from '../core/errors.js';
import type { Vars } from '../core/vars.js';
import type { BecomeMethod } from '../connectors/connection.js';

export type { Vars, BecomeMethod };

/** A declarative condition (no JavaScript is ever evaluated from plan files). See src/load/when.ts. */
export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  /** variable path (e.g. "facts.os_family") → expected: scalar (equal), list (one of), or a test object. */
  | { [varPath: string]: unknown };

/** Rules on a command's exit code and output (the changed_when / failed_when mapping form). */
export interface OutputRules {
  rc?: number | number[];
  stdout_contains?: string;
  stdout_not_contains?: string;
}

/**
 * How a task decides whether it changed (changed_when) or failed (failed_when): a boolean, rules on
 * a command's exit code and output, or a declarative condition over variables — the task's own
 * registered result among them (`register: out` + `failed_when: {out.rc: {gt: 1}}`).
 */
export type ChangedWhen = boolean | OutputRules | { condition: Condition };
export type FailedWhen = ChangedWhen;

export interface TaskDef {
  name: string;
  /** Operation name: file, template, copy, directory, line, command, package, service, user, group. */
  op: string;
  /** Raw arguments; strings may hold Handlebars expressions rendered per host. Validated against the op schema. */
  args: Record<string, unknown>;
  when?: Condition;
  /** Run once per item: a list, or a templated string rendering to a list. Items are `{{item}}` (or loopVar). */
  loop?: unknown;
  loopVar?: string;
  /** Template naming each item in reports (default: the item itself when scalar). */
  loopLabel?: string;
  notify: string[];
  /** Where each `notify:` name was written, to report an unknown handler at that spot. */
  notifyPos?: SourcePos[];
  /** Handlers only: further names a `notify:` may use for this handler. */
  listen?: string[];
  tags: string[];
  /** Per-task override of the host's become setting. */
  become?: boolean;
  changedWhen?: ChangedWhen;
  failedWhen?: FailedWhen;
  /** The name the task's result is stored under in the host's variables (Ansible's register). */
  register?: string;
  /** Repeat the task until this holds over its result (with register), up to `retries` more times, `delay` seconds apart. */
  until?: Condition;
  retries?: number;
  delay?: number;
  /** false: run even in a dry run (a read-only probe); true: always only report what it would do. */
  checkMode?: boolean;
  /** Mask this task's diff, commands and output in every report. */
  noLog: boolean;
  ignoreErrors: boolean;
  /** Run on one host of the play's batch; the others report its result (src/engine/run-once.ts). */
  runOnce?: boolean;
  /** At most this many hosts run this task at once. */
  throttle?: number;
  /** A failure of this task on any host stops the play on every host after it (as the play's any_errors_fatal). */
  anyErrorsFatal?: boolean;
  /** Run over this host's connection (an inventory host, or localhost for the controller), with this host's variables. */
  delegateTo?: string;
  /** delegate_facts: what the task sets (set_fact) belongs to the delegate. */
  delegateFacts?: boolean;
  /** Per-task become user and method (sudo, su, doas), over the host's and the play's. */
  becomeUser?: string;
  becomeMethod?: BecomeMethod;
  /** Role the task came from, if any, and its directory (templates/ and files/ are looked up there). */
  role?: string;
  roleDir?: string;
  /** Directory that relative `src:` paths resolve against when there is no role (the plan's directory). */
  baseDir: string;
  /** Position of the task mapping itself. */
  pos: SourcePos;
  /** Position of each argument value, keyed by argument name, for pointing at a bad value. */
  argPos: Record<string, SourcePos>;
  /**
   * `vars:` of the task, with those of its enclosing blocks and imports below them (merged at load
   * time, outermost first): above play and role variables, below role parameters and extra vars.
   */
  vars?: Vars;
  /** `environment:` of the task and its enclosing blocks, for the operation's commands (see Operation.envArg). */
  environment?: Record<string, unknown>;
  /** Structure instead of an operation (op is then 'block', 'include_tasks', 'include_role' or 'meta'). */
  structure?: TaskStructure;
}

/**
 * A task that is structure, not an operation (src/load/task-tree.ts): a block (also what
 * `import_tasks` and `import_role` become at load time: `roleRef` then gives its tasks the role's
 * variables), a dynamic include (`include_tasks`, `include_role`) expanded per host when the play is
 * prepared — `tasks` read at load time, or `file` when its name is a template — or `meta: flush_handlers`.
 */
export type TaskStructure =
  | { kind: 'block'; block: TaskDef[]; rescue: TaskDef[]; always: TaskDef[]; roleRef?: RoleRef }
  | { kind: 'include'; tasks?: TaskDef[]; file?: IncludedFile }
  | { kind: 'meta'; action: 'flush_handlers' };

/** An `include_tasks:` file whose name is a template, found per host when the play is prepared. */
export interface IncludedFile {
  name: string;
  pos: SourcePos;
  /** Where a relative name is looked for, in order. */
  searchDirs: string[];
  /** The task files being read around it (an include of one of them is a cycle). */
  chain: string[];
}

export interface RoleDef {
  name: string;
  dir: string;
  defaults: Vars;
  /** Per-OS vars files under vars/, keyed by file stem ("Debian", "RedHat", "FreeBSD", "CentOS-6"...). */
  osVars: Record<string, { vars: Vars; file: string }>;
  tasks: TaskDef[];
  handlers: TaskDef[];
  /** meta.yml `secret_vars:`: variable names whose values are secrets however they are supplied. */
  secretVars?: string[];
  /** meta.yml `dns_records:`: which of its variables hold the DNS records `fleetplan dns` prints. */
  dnsRecords?: DnsRecordVars;
}

/** What `fleetplan dns` prints, each field named by a role in meta.yml `dns_records:` (load/keywords/role.ts). */
export type DnsRecordField = 'dkim_keys' | 'dkim_key_dir' | 'dkim_enabled' | 'mail_domain' | 'relay_host' | 'spf_include' | 'spf_all' | 'spf_hosts_group' | 'dmarc_policy' | 'dmarc_rua';
/** Record field → the name of the role variable holding it. */
export type DnsRecordVars = Partial<Record<DnsRecordField, string>>;

/** One entry of a play's `roles:` list. */
export interface RoleRef {
  role: RoleDef;
  /** Role parameters (`- role: x` with `vars:`), precedence above plan vars. */
  params: Vars;
  when?: Condition;
  tags: string[];
  pos: SourcePos;
}

export interface Play {
  name: string;
  /** Host pattern as Ansible: "all", "relays:&centos", "web*", "!db1", comma/colon separated. */
  hosts: string;
  /** Where `hosts:` was written (pattern errors point there). */
  hostsPos?: SourcePos;
  /** Per host, after facts: a host where this is false skips the whole play (e.g. only FreeBSD hosts). */
  when?: Condition;
  vars: Vars;
  roles: RoleRef[];
  /** Run before the roles, their notified handlers flushed after them (as Ansible). */
  preTasks?: TaskDef[];
  tasks: TaskDef[];
  /** Run after the tasks' notified handlers, then their own handlers. */
  postTasks?: TaskDef[];
  /** Tags every task of the play carries (roles' included), for --tags / --skip-tags. */
  tags?: string[];
  /** `environment:` for the commands of every task of the play (a task's own wins). */
  environment?: Record<string, unknown>;
  /** Roles a task list imports or includes (import_role, include_role): their handlers are the play's too. */
  taskRoles?: RoleRef[];
  /** Every handler visible in this play (roles' first, in role order, then the play's), in definition order. */
  handlers: TaskDef[];
  become?: boolean;
  /** Run the play on hosts in batches of this many (or this percentage of the play's hosts); a list: batch sizes, the last repeating. */
  serial?: number | string | Array<number | string>;
  /** A failed task on any host stops the play on every host after that task. */
  anyErrorsFatal?: boolean;
  becomeUser?: string;
  becomeMethod?: BecomeMethod;
  /** Stop the run when more than this percentage of a batch's hosts failed. */
  maxFailPercentage?: number;
  /** Run notified handlers on a host even after a later task failed there. */
  forceHandlers?: boolean;
  /** false: this play needs no facts beyond the OS identity backends use (`gather_facts: false`). */
  gatherFacts?: boolean;
  /** Plan file this play came from and its position there. */
  pos: SourcePos;
}

export interface Plan {
  file: string;
  plays: Play[];
}

export interface InventoryHost {
  name: string;
  /** Groups this host belongs to, ancestors first ("all" first), each once. Drives var precedence. */
  groups: string[];
  /** The host's own vars: its inventory entries, then host_vars/ files (beside the sources, then the plan). */
  vars: Vars;
  /** Its inventory entries' vars alone (without host_vars/ files), for telling where a value came from. */
  inlineVars?: Vars;
  pos: SourcePos;
}

export interface InventoryGroup {
  name: string;
  hosts: string[];
  children: string[];
  /** The group's vars written in the inventory sources (group_vars/ files are layered apart: Inventory.varsDirs). */
  vars: Vars;
  /** Depth from "all" (0), so that more specific groups override less specific ones. */
  depth: number;
  pos: SourcePos;
}

/** The variables one directory's group_vars/ and host_vars/ give, by group and host name. */
export interface VarsDir {
  dir: string;
  /** Beside an inventory source, or beside the plan (Ansible's "playbook group_vars"). */
  beside: 'inventory' | 'plan';
  groups: Map<string, Vars>;
  hosts: Map<string, Vars>;
  /** Every file read, for finding where a variable is defined. */
  files: string[];
}

export interface Inventory {
  /** The first source (relative key paths and messages name it). */
  file: string;
  /** Every source, in the order given (several `-i`). */
  files: string[];
  /** group_vars/ and host_vars/ read beside the sources, then beside the plan (src/load/inventory.ts groupVarLayers). */
  varsDirs: VarsDir[];
  /** Insertion order = order of first appearance in the file. */
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
}
