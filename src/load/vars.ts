// Variable precedence: which layer wins when several define the same variable, lowest first.
//
//   1. role defaults            roles/<r>/defaults.yml
//   2. role per-OS vars         roles/<r>/vars/<file>.yml chosen from facts (see osVarsFiles)
//   3. inventory group vars     all < parent groups < child groups (equal depth: by group name)
//   4. inventory host vars      the host's entry, then host_vars/<host>.yml
//   5. plan vars                play `vars:`, then its `vars_files:` in order
//   6. role params              `- role: x` with `vars:`
//   7. extra vars               `-e key=value`, `-e @file.yml`, in command-line order
//   reserved (always set, cannot be overridden): facts, inventory_hostname, group_names, and the
//   magic variables of magic-vars.ts (groups, hostvars, inventory_hostname_short, play_hosts, ...)
//   and facts under Ansible's names (facts/aliases.ts: ansible_facts, ansible_fqdn, ...)
//
// Layers replace at the top level, never deep-merge (Ansible's default `hash_behaviour=replace`): a
// host that sets `relay: {host: x}` replaces the whole `relay` mapping from lower layers. This keeps
// "where does this value come from" answerable by looking at one file.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYamlScalar } from 'yaml';
import { InputError, InputErrors } from '../core/errors.js';
import { ANSIBLE_FACT_VARS, ansibleVars } from '../facts/aliases.js';
import type { Facts } from '../facts/facts.js';
import { MAGIC_VARS, shortName } from './magic-vars.js';
import { groupVarLayers } from './inventory.js';
import type { Inventory, Play, RoleDef, RoleRef, Vars } from './model.js';
import { Issues } from './issues.js';
import { displayPath } from '../core/paths.js';
import { isPlainObject, type SecretRegistry } from '../core/secret.js';
import { YamlSource, isMap, nodeKind } from './yaml.js';
import { jinjaInVars } from './ansible-isms/jinja-strings.js';

export const RESERVED_VARS: readonly string[] = ['facts', 'inventory_hostname', 'group_names', ...MAGIC_VARS, ...ANSIBLE_FACT_VARS];

export interface VarLayers {
  roleDefaults?: Vars;
  /** Least specific first (as returned by osVarsFiles). */
  roleOsVars?: Vars[];
  /** Lowest precedence first: all, then parents, then children. */
  groupVars?: Vars[];
  hostVars?: Vars;
  playVars?: Vars;
  roleParams?: Vars;
  extraVars?: Vars;
  facts?: Partial<Facts> | Record<string, unknown>;
  inventoryHostname?: string;
  groupNames?: string[];
  /** Run-wide magic variables (groups, hostvars, play_hosts, ...: magic-vars.ts). */
  magic?: Vars;
}

/** Merge the layers (top-level replace) into the variables a task sees. */
export function buildHostVars(layers: VarLayers): Vars {
  const out: Vars = {};
  const ordered = [
    layers.roleDefaults, ...(layers.roleOsVars ?? []), ...(layers.groupVars ?? []), layers.hostVars,
    layers.playVars, layers.roleParams, layers.extraVars,
  ];
  for (const layer of ordered) if (layer) Object.assign(out, layer);
  if (layers.facts !== undefined) Object.assign(out, { facts: layers.facts }, ansibleVarsOf(layers.facts));
  if (layers.inventoryHostname !== undefined) {
    out.inventory_hostname = layers.inventoryHostname;
    out.inventory_hostname_short = shortName(layers.inventoryHostname);
  }
  if (layers.groupNames !== undefined) out.group_names = layers.groupNames;
  if (layers.magic) Object.assign(out, layers.magic);
  return out;
}

// A host's facts are merged into each of its scopes (the play's, every role's): their Ansible names
// are derived once per facts object.
const ansibleVarsCache = new WeakMap<object, Record<string, unknown>>();
function ansibleVarsOf(facts: NonNullable<VarLayers['facts']>): Record<string, unknown> {
  let v = ansibleVarsCache.get(facts);
  if (!v) ansibleVarsCache.set(facts, (v = ansibleVars(facts as Facts)));
  return v;
}

/** A role's per-OS files by lower-cased stem, made once per role (every host scope of the role asks). */
const lowerStems = new WeakMap<RoleDef['osVars'], Map<string, { stem: string; file: string; vars: Vars }>>();
function osVarsByLowerStem(osVars: RoleDef['osVars']): Map<string, { stem: string; file: string; vars: Vars }> {
  let byLower = lowerStems.get(osVars);
  if (!byLower) lowerStems.set(osVars, (byLower = new Map(Object.entries(osVars).map(([stem, v]) => [stem.toLowerCase(), { stem, ...v }]))));
  return byLower;
}

/**
 * The per-OS vars files of a role that apply to a host, least specific first (so the most specific
 * wins when layered): default, <os_family>, <distribution>, <distribution>-<major>. File stems match
 * case-insensitively ("CentOS-6" matches distribution "centos", major 6).
 */
export function osVarsFiles(
  role: Pick<RoleDef, 'osVars'>,
  facts: Pick<Facts, 'os_family' | 'distribution' | 'distribution_major'> | undefined,
): { stem: string; file: string; vars: Vars }[] {
  const wanted = ['default'];
  if (facts) {
    wanted.push(String(facts.os_family), String(facts.distribution));
    if (facts.distribution_major) wanted.push(`${facts.distribution}-${facts.distribution_major}`);
  }
  const byLower = osVarsByLowerStem(role.osVars);
  const out: { stem: string; file: string; vars: Vars }[] = [];
  for (const w of wanted) {
    const hit = byLower.get(w.toLowerCase());
    if (hit && !out.includes(hit)) out.push(hit);
  }
  return out;
}

/** Everything the engine knows when it needs a task's variables for one host. */
export interface VarsContext {
  inventory: Inventory;
  host: string;
  play: Pick<Play, 'vars'>;
  /** The role the task belongs to (absent for play tasks and play handlers). */
  roleRef?: Pick<RoleRef, 'role' | 'params'>;
  extraVars?: Vars;
  facts?: Facts;
  /** Run-wide magic variables (magic-vars.ts). */
  magic?: Vars;
}

/** The variables of one task on one host: every layer of the precedence order, merged. */
export function varsFor(ctx: VarsContext): Vars {
  const host = ctx.inventory.hosts.get(ctx.host);
  return buildHostVars({
    roleDefaults: ctx.roleRef?.role.defaults,
    roleOsVars: ctx.roleRef ? osVarsFiles(ctx.roleRef.role, ctx.facts).map((f) => f.vars) : undefined,
    groupVars: groupVarLayers(ctx.inventory, ctx.host),
    hostVars: host?.vars,
    playVars: ctx.play.vars,
    roleParams: ctx.roleRef?.params,
    extraVars: ctx.extraVars,
    facts: ctx.facts,
    inventoryHostname: ctx.host,
    groupNames: host?.groups.filter((g) => g !== 'all'),
    magic: ctx.magic,
  });
}

/** The variables the play's roles declare secret (meta.yml `secret_vars:`), for resolveVars. */
export function secretVarNames(play: { roles?: readonly { role: Pick<RoleDef, 'secretVars'> }[]; taskRoles?: readonly { role: Pick<RoleDef, 'secretVars'> }[] }): Set<string> {
  return new Set([...(play.roles ?? []), ...(play.taskRoles ?? [])].flatMap((r) => r.role.secretVars ?? []));
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `-e` arguments, in order (later wins): `key=value` (value read as a YAML scalar: `port=25` is a
 * number, `on=true` a boolean; a leading-zero number such as `mode=0644` stays a string), `@file.yml`
 * (a mapping), or an inline mapping `{"a": 1}`.
 */
export function parseExtraVars(args: readonly string[], secrets: SecretRegistry, cwd = process.cwd()): Vars {
  const issues = new Issues();
  const out: Vars = {};
  for (const arg of args) {
    const fail = (why: string) => issues.add(undefined, `-e '${arg}': ${why}`);
    if (arg.startsWith('@')) {
      const file = path.resolve(cwd, arg.slice(1));
      if (!existsSync(file)) {
        issues.add({ file: displayPath(file) }, `cannot read file: not found (-e '${arg}')`);
        continue;
      }
      const src = issues.try(() => YamlSource.read(file, secrets));
      if (!src) continue;
      if (src.value(src.root) === null) continue;
      if (!isMap(src.root)) {
        issues.add(src.pos(src.root), `-e '${arg}': expected a mapping of variables, got ${nodeKind(src.root)}`);
        continue;
      }
      Object.assign(out, src.value(src.root));
    } else if (arg.trim().startsWith('{')) {
      let v: unknown;
      try {
        // The loader's own parse, so an inline mapping has the same alias, depth and size limits as a file.
        const src = YamlSource.parse(arg, path.join(cwd, '-e'), secrets);
        v = src.value(src.root);
      } catch (err) {
        const first = err instanceof InputErrors ? err.errors[0]! : err;
        if (!(first instanceof InputError)) throw err;
        fail(`invalid inline mapping: ${first.message}${first.pos?.col !== undefined ? ` (column ${first.pos.col})` : ''}`);
        continue;
      }
      if (!isPlainObject(v)) fail('expected a mapping');
      else Object.assign(out, v);
    } else {
      const eq = arg.indexOf('=');
      if (eq < 0) {
        fail('expected key=value, @file.yml or {mapping}');
        continue;
      }
      const key = arg.slice(0, eq).trim();
      if (!NAME_RE.test(key)) {
        fail(`'${key}' is not a variable name (letters, digits and _, not starting with a digit)`);
        continue;
      }
      out[key] = scalar(arg.slice(eq + 1));
    }
  }
  issues.throwIfAny();
  return out;
}

function scalar(text: string): unknown {
  if (text === '' || /^0\d+$/.test(text.trim())) return text;
  try {
    const v = parseYamlScalar(text);
    // Only scalars: "a: b" or "[x" stay the string the operator typed.
    return v === null || typeof v === 'object' ? (v === null && /^(null|~)$/i.test(text.trim()) ? null : text) : v;
  } catch {
    return text;
  }
}

/** Read a vars file (vars_files, role defaults, per-OS vars): a mapping or empty. */
export function readVarsFile(file: string, what: string, secrets: SecretRegistry): Vars {
  const src = YamlSource.read(file, secrets);
  if (src.value(src.root) === null) return {};
  if (!isMap(src.root)) throw new InputError(`${what}: expected a mapping of variables, got ${nodeKind(src.root)}`, { pos: src.pos(src.root) });
  // Ansible's roles write Jinja2 here: the Handlebars to write instead, at the string.
  const jinja = jinjaInVars(src);
  if (jinja.length) throw jinja.length === 1 ? jinja[0] : new InputErrors(jinja);
  return src.value(src.root) as Vars;
}

