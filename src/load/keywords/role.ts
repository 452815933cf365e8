// Naming a role (a play's `roles:` entry, a `dependencies:` entry of meta.yml) and a role's meta.yml,
// declared once (keyword.ts): the loader reads role entries and meta.yml with these tables (src/load/role.ts
// finds and loads the roles), the editor JSON Schemas and the plan language reference are generated
// from them (src/schema).
import { z } from 'zod';
import type { SourcePos } from '../../core/errors.js';
import { didYouMean, type Issues } from '../issues.js';
import type { Condition, DnsRecordField, DnsRecordVars, Vars } from '../model.js';
import { parseCondition } from '../when.js';
import { isMap, isScalar, nodeKind, type Node, type YamlSource } from '../yaml.js';
import { when } from './condition.js';
import { keywordObject, keywordsFor, listItems, missingKeyword, readKeywords } from './keyword.js';
import { nameList } from './task.js';
import { ansibleKeyHint } from '../ansible-isms/keywords.js';

/** A role named somewhere (play `roles:` or a `dependencies:` entry), not yet resolved. */
export interface RoleRequest {
  name: string;
  params: Vars;
  when?: Condition;
  tags: string[];
  pos: SourcePos;
}

/** A mapping of variable names to values of any type. */
export const varsMapping = z.record(z.string(), z.unknown());

export const roleName = z
  .string()
  .min(1)
  .describe('A role directory: looked up in roles/ beside the plan, then --roles-path / FLEETPLAN_ROLES_PATH, then the roles shipped with fleetplan; a name with / is a path relative to the plan');

const entryKw = keywordsFor<RoleRequest>();
const ROLE_ENTRY = {
  role: entryKw.plain(roleName, 'a role name', (req, v, at) => {
    req.name = v;
    req.pos = at.pos;
  }, { required: 'the role name' }),
  vars: entryKw.plain(
    varsMapping.nullable().describe('Role parameters: variables above plan vars in precedence, for this role only'),
    'a mapping of variables',
    (req, v) => { if (v) req.params = v; },
    { label: 'vars of a role' },
  ),
  when: entryKw.structured(when.describe('Run the role (its tasks) only where this condition holds'), (req, { src, node, issues }) => {
    req.when = parseCondition(src, node, issues);
  }),
  tags: entryKw.plain(nameList.describe('Tag(s) added to every task of the role'), 'a name or a list of names', (req, v) => {
    req.tags = (Array.isArray(v) ? v : [v]).map(String);
  }),
};

export const ROLE_ENTRY_KEYS = Object.keys(ROLE_ENTRY);

export const roleEntry = z
  .union([roleName, keywordObject(ROLE_ENTRY)])
  .meta({ id: 'role_entry', description: 'A role: its name, or a mapping with role: and its parameters, condition and tags' });

/** One `roles:` / `dependencies:` entry: a name, or {role, vars, when, tags}. */
export function parseRoleRequest(src: YamlSource, node: Node | null, issues: Issues): RoleRequest | undefined {
  node = src.deref(node);
  const pos = src.pos(node);
  if (node && isScalar(node) && roleName.safeParse(node.value).success) {
    return { name: node.value as string, params: {}, tags: [], pos };
  }
  if (!node || !isMap(node)) {
    issues.add(pos, `role entry: expected a role name or a mapping with 'role:', got ${nodeKind(node)}`);
    return undefined;
  }
  const before = issues.list.length;
  const req: RoleRequest = { name: '', params: {}, tags: [], pos };
  const entries = src.entries(node);
  for (const e of entries) {
    if (!Object.hasOwn(ROLE_ENTRY, e.key)) {
      issues.add(src.pos(e.keyNode), `unknown key '${e.key}' in role entry (expected ${ROLE_ENTRY_KEYS.join(', ')}; role parameters go under 'vars:')${didYouMean(e.key, ROLE_ENTRY_KEYS)}`);
    }
  }
  readKeywords(ROLE_ENTRY, req, src, node, entries, issues, undefined, { what: 'role entry', missing: 'caller' });
  // A missing name is only worth saying when nothing else is wrong (`rol:` is reported as a typo).
  if (!req.name && issues.list.length === before) issues.add(pos, missingKeyword('role entry', 'role', ROLE_ENTRY.role));
  return issues.list.length === before ? req : undefined;
}

/** A variable name in meta.yml (`secret_vars:`, `dns_records:`). */
export const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/);
export const secretVarName = variableName;

/** What a role's meta.yml declares. */
export interface RoleMeta {
  dependencies: RoleRequest[];
  secretVars: string[];
  dnsRecords: DnsRecordVars;
}

/**
 * meta.yml `dns_records:`: which of the role's variables hold what `fleetplan dns` prints, so the
 * command reads the role's declared outputs instead of knowing its variable names (src/dns/plan-records.ts).
 */
export const dnsRecordVars = z
  .object({
    dkim_keys: variableName.describe('The list of {domain, selector} DKIM keys the role makes'),
    dkim_key_dir: variableName.describe('The directory holding <domain>/<selector>.txt, the public key opendkim-genkey wrote'),
    dkim_enabled: variableName.describe('The switch that turns the DKIM keys off (false: no key records)'),
    mail_domain: variableName.describe('The domain the host sends mail for (SPF and DMARC records)'),
    relay_host: variableName.describe('The smarthost SPF must authorise'),
    spf_include: variableName.describe("The smarthost's SPF domain or SPF terms (mx, a, ip4:, ip6:, include:, redirect= pass unchanged; a bare domain becomes include:; empty: derived from the relay host)"),
    spf_all: variableName.describe('The SPF record\'s closing all term with its qualifier: -all, ~all (the default), ?all'),
    spf_hosts_group: variableName.describe('An inventory group whose hosts SPF authorises: each by its inventory address (ip4:/ip6:, a: for a host name)'),
    dmarc_policy: variableName.describe('The DMARC policy (none, quarantine, reject)'),
    dmarc_rua: variableName.describe('Where DMARC aggregate reports go (empty: mailto:postmaster@<domain>)'),
  })
  .partial()
  .strict() satisfies z.ZodType<DnsRecordVars> & { shape: Record<DnsRecordField, z.ZodType> };

const metaKw = keywordsFor<RoleMeta>();
const ROLE_META = {
  dependencies: metaKw.structured(
    z
      .array(roleEntry)
      .nullable()
      .describe('Roles that run before this one (each once per play unless given parameters); a cycle is an error'),
    (meta, at) => {
      for (const item of listItems(at, 'a list of roles')) {
        const req = parseRoleRequest(at.src, item, at.issues);
        if (req) meta.dependencies.push(req);
      }
    },
  ),
  secret_vars: metaKw.structured(
    z
      .array(secretVarName)
      .nullable()
      .describe("Variables of this role whose values are secrets however they are given (plain -e, -e @file, inventory, plan vars): redacted in every report, as a !secret value, for every play using the role"),
    (meta, at) => {
      const { src, issues } = at;
      // Checked one by one, so each bad name is reported at its line.
      for (const n of listItems(at, 'a list of variable names')) {
        const v = src.value(n);
        if (secretVarName.safeParse(v).success) meta.secretVars.push(v as string);
        else issues.add(src.pos(n), `secret_vars: expected a variable name (letters, digits, _), got ${typeof v === 'string' ? JSON.stringify(v) : nodeKind(n)}`);
      }
    },
  ),
  dns_records: metaKw.plain(
    dnsRecordVars
      .nullable()
      .describe(
        `Which variables of this role hold what \`fleetplan dns\` prints: record field (${Object.keys(dnsRecordVars.shape).join(', ')}) → variable name; a field not named is read from the variable of its own name`,
      ),
    `a mapping of ${Object.keys(dnsRecordVars.shape).join(', ')} to variable names`,
    (meta, value) => {
      meta.dnsRecords = value ?? {};
    },
  ),
  galaxy_info: metaKw.plain(
    z.record(z.string(), z.unknown()).nullable().describe("Ansible Galaxy's description of the role (author, platforms, …): accepted and ignored"),
    'a mapping',
    () => undefined,
  ),
};

export const ROLE_META_KEYS = Object.keys(ROLE_META);

/** meta.yml of a role. */
export const roleMeta = keywordObject(ROLE_META).nullable().describe("A role's meta.yml");

/** Read a role's meta.yml (nothing in it: no dependencies, no secret variables). */
export function readRoleMeta(src: YamlSource, issues: Issues): RoleMeta {
  const meta: RoleMeta = { dependencies: [], secretVars: [], dnsRecords: {} };
  const root = src.root;
  if (src.value(root) === null) return meta;
  if (!isMap(root)) issues.add(src.pos(root), `meta.yml: expected a mapping, got ${nodeKind(root)}`);
  const entries = src.entries(root);
  for (const e of entries) {
    if (!Object.hasOwn(ROLE_META, e.key)) {
      const ansible = ansibleKeyHint(e.key, 'meta', new Map());
      issues.add(src.pos(e.keyNode), `meta.yml: ${ansible ?? `unknown key '${e.key}' (expected ${ROLE_META_KEYS.join(', ')})${didYouMean(e.key, ROLE_META_KEYS)}`}`);
    }
  }
  if (root) readKeywords(ROLE_META, meta, src, root, entries, issues, undefined, { what: 'meta.yml' });
  return meta;
}
