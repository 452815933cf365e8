// Executable dynamic inventories speaking Ansible's script protocol: `<script> --list` prints one JSON
// object of groups,
//
//   {"relays": {"hosts": ["relay1"], "vars": {...}, "children": ["eu"]},
//    "eu": ["relay2"],                                  a list: the group's hosts
//    "_meta": {"hostvars": {"relay1": {"ansible_host": "192.0.2.10"}}}}
//
// and, only when `_meta.hostvars` is absent, `<script> --host <name>` prints each host's variables.
// The script runs with the working directory and environment of fleetplan (less its vault password),
// no stdin, and a time limit (INVENTORY_SCRIPT_TIMEOUT_MS, FLEETPLAN_INVENTORY_TIMEOUT seconds to
// change it); a failure shows its exit status and standard error, a bad answer names the script.
import { spawnSync } from 'node:child_process';
import type { SourcePos } from '../core/errors.js';
import { MAX_INPUT_BYTES } from '../core/input-limits.js';
import { isPlainObject } from '../core/secret.js';
import type { InventoryDraft } from './inventory-draft.js';
import type { Issues } from './issues.js';
import type { Vars } from './model.js';

export const INVENTORY_SCRIPT_TIMEOUT_MS = 60_000;
export const INVENTORY_TIMEOUT_ENV = 'FLEETPLAN_INVENTORY_TIMEOUT';
const GROUP_KEYS = ['hosts', 'vars', 'children'];

function timeoutMs(): number {
  const s = process.env[INVENTORY_TIMEOUT_ENV];
  return s && /^[1-9]\d{0,5}$/.test(s) ? Number(s) * 1000 : INVENTORY_SCRIPT_TIMEOUT_MS;
}

/** Run `abs --list` (and `--host` per host without `_meta`), into `draft`; problems go to `issues` at `file`. */
export function readScriptInventory(abs: string, file: string, draft: InventoryDraft, issues: Issues): void {
  const pos: SourcePos = { file };
  const list = runScript(abs, ['--list'], pos, issues);
  if (list === undefined) return;
  if (!isPlainObject(list)) {
    issues.add(pos, `inventory script: '--list' must print a JSON object of groups, got ${kindOf(list)}`);
    return;
  }
  readListed(list, draft, pos, issues, 'inventory script');
  hostVarsOf(list._meta, Object.keys(list).flatMap((g) => hostNames(list[g])), draft, pos, issues, (name) => runScript(abs, ['--host', name], pos, issues));
}

/**
 * A file holding what `ansible-inventory --list` (or a script's `--list`) printed — the way to bring
 * over an inventory plugin's hosts: `ansible-inventory -i aws_ec2.yml --list > inventory.json`.
 * Hosts without `_meta.hostvars` have no variables of their own (there is no script to ask).
 */
export function readListedInventory(list: Record<string, unknown>, pos: SourcePos, draft: InventoryDraft, issues: Issues): void {
  readListed(list, draft, pos, issues, 'inventory (ansible-inventory --list format)');
  hostVarsOf(list._meta, Object.keys(list).flatMap((g) => hostNames(list[g])), draft, pos, issues, () => ({}));
}

/** The groups of a `--list` answer, into `draft`. */
function readListed(list: Record<string, unknown>, draft: InventoryDraft, pos: SourcePos, issues: Issues, what: string): void {
  const all = draft.group('all', pos);
  for (const [name, data] of Object.entries(list)) {
    if (name === '_meta') continue;
    const g = name === 'all' ? all : draft.group(name, pos);
    const shape = isPlainObject(data) ? data : { hosts: data };
    const unknown = Object.keys(shape).filter((k) => !GROUP_KEYS.includes(k));
    if (unknown.length) issues.add(pos, `${what}: group '${name}' has unknown key(s) ${unknown.map((k) => `'${k}'`).join(', ')} (expected hosts, vars, children)`);
    const hosts = shape.hosts ?? [];
    if (!Array.isArray(hosts) || !hosts.every((h) => typeof h === 'string')) issues.add(pos, `${what}: the hosts of group '${name}' must be a list of names, got ${kindOf(hosts)}`);
    else for (const h of hosts) draft.host(h, g, pos);
    if (shape.vars !== undefined && !isPlainObject(shape.vars)) issues.add(pos, `${what}: the vars of group '${name}' must be an object, got ${kindOf(shape.vars)}`);
    else Object.assign(g.vars, shape.vars);
    const children = shape.children ?? [];
    if (!Array.isArray(children) || !children.every((c) => typeof c === 'string')) issues.add(pos, `${what}: the children of group '${name}' must be a list of group names, got ${kindOf(children)}`);
    else for (const c of children) draft.child(g, c, pos);
  }
}

function hostNames(data: unknown): string[] {
  const hosts = isPlainObject(data) ? data.hosts : data;
  return Array.isArray(hosts) ? hosts.filter((h): h is string => typeof h === 'string') : [];
}

/** `_meta.hostvars` when given (no per-host call), else `ask(name)` per host (the script's `--host <name>`). */
function hostVarsOf(meta: unknown, names: string[], draft: InventoryDraft, pos: SourcePos, issues: Issues, ask: (name: string) => unknown): void {
  const fromMeta = isPlainObject(meta) ? meta.hostvars : undefined;
  const metaVars = isPlainObject(fromMeta) ? fromMeta : undefined;
  if (meta !== undefined && (!isPlainObject(meta) || (fromMeta !== undefined && !isPlainObject(fromMeta)))) {
    issues.add(pos, `inventory script: '_meta' must be an object with 'hostvars' an object of host names`);
    return;
  }
  for (const name of new Set(names)) {
    const vars = metaVars ? (metaVars[name] ?? {}) : ask(name);
    if (vars === undefined) continue;
    if (!isPlainObject(vars)) {
      issues.add(pos, `inventory script: the variables of host '${name}' must be a JSON object, got ${kindOf(vars)}`);
      continue;
    }
    const host = draft.hosts.get(name);
    if (host) Object.assign(host.vars, vars as Vars);
  }
}

/** The JSON the script prints, or undefined after adding the problem to `issues`. */
function runScript(abs: string, args: string[], pos: SourcePos, issues: Issues): unknown {
  const what = `inventory script '${args.join(' ')}'`;
  const limit = timeoutMs();
  const r = spawnSync(abs, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: limit, killSignal: 'SIGKILL', maxBuffer: MAX_INPUT_BYTES, encoding: 'utf8' });
  const stderr = (r.stderr ?? '').trim();
  const tail = stderr ? `; its standard error:\n${stderr.split('\n').slice(-20).join('\n')}` : ' (nothing on standard error)';
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ETIMEDOUT') return void issues.add(pos, `${what}: did not finish within ${limit / 1000} s and was stopped (${INVENTORY_TIMEOUT_ENV}=<seconds> allows longer)${tail}`);
  if (code === 'ENOBUFS') return void issues.add(pos, `${what}: printed more than ${MAX_INPUT_BYTES} bytes, the most fleetplan reads from an input`);
  if (r.error) return void issues.add(pos, `${what}: cannot run it: ${code ?? r.error.message}`);
  if (r.status !== 0) return void issues.add(pos, `${what}: exited with ${r.status === null ? `signal ${r.signal}` : `status ${r.status}`}${tail}`);
  try {
    return JSON.parse(r.stdout);
  } catch (err) {
    return void issues.add(pos, `${what}: its output is not JSON (${(err as Error).message.replace(/\s+/g, " ")})${r.stdout.trim() ? `; it begins: ${r.stdout.trim().slice(0, 80)}` : ': it printed nothing'}`);
  }
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
