// Naming a role (a play's `roles:` entry, a `dependencies:` entry of meta.yml) and a role's meta.yml,
// declared once: the loader (src/load/role.ts) takes its key lists and value checks from here, the
// editor JSON Schemas and the plan language reference are generated from it (src/schema).
import { z } from 'zod';
import { when } from './condition.js';
import { nameList } from './task.js';

/** A mapping of variable names to values of any type. */
export const varsMapping = z.record(z.string(), z.unknown());

export const roleName = z
  .string()
  .min(1)
  .describe('A role directory: looked up in roles/ beside the plan, then --roles-path / FLEETPLAN_ROLES_PATH, then the roles shipped with fleetplan; a name with / is a path relative to the plan');

export const roleParams = z
  .object({
    role: roleName,
    vars: varsMapping.nullable().describe('Role parameters: variables above plan vars in precedence, for this role only'),
    when: when.describe('Run the role (its tasks) only where this condition holds'),
    tags: nameList.describe("Tag(s) added to every task of the role"),
  })
  .partial({ vars: true, when: true, tags: true })
  .strict();

export const roleEntry = z
  .union([roleName, roleParams])
  .meta({ id: 'role_entry', description: 'A role: its name, or a mapping with role: and its parameters, condition and tags' });

export const ROLE_ENTRY_KEYS = Object.keys(roleParams.shape);

/** A variable name in meta.yml `secret_vars:`. */
export const secretVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/);

/** meta.yml of a role. */
export const roleMeta = z
  .object({
    dependencies: z
      .array(roleEntry)
      .nullable()
      .describe('Roles that run before this one (each once per play unless given parameters); a cycle is an error'),
    secret_vars: z
      .array(secretVarName)
      .nullable()
      .describe("Variables of this role whose values are secrets however they are given (plain -e, -e @file, inventory, plan vars): redacted in every report, as a !secret value, for every play using the role"),
  })
  .partial()
  .strict()
  .nullable()
  .describe("A role's meta.yml");

export const ROLE_META_KEYS = Object.keys(roleMeta.unwrap().shape);
