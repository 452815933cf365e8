// The shape of an inventory (Ansible's YAML layout) and of its group_vars/ and host_vars/ files,
// declared once: the loader (src/load/inventory.ts) takes its group keys from here, the editor JSON
// Schemas and the reference are generated from it (src/schema).
import { z } from 'zod';
import { VAULT_MAGIC } from '../../vault/crypto.js';
import { connectionVars } from '../../connectors/connection-vars.js';

/** Connection variables under their names and their Ansible aliases, each with its check. */
function connectionVarShape(): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, v] of Object.entries(connectionVars)) {
    shape[name] = v.schema.nullable().optional().describe(v.schema.description ?? name);
    for (const alias of v.aliases) shape[alias] = v.schema.nullable().optional().describe(`Ansible's name for ${name}: ${v.schema.description}`);
  }
  return shape;
}

/** Variables of a group or host: any names; the connection variables are checked. */
export const inventoryVars = z
  .object(connectionVarShape())
  .catchall(z.unknown())
  .meta({ id: 'inventory_vars', description: 'Variables: any names and values; the connection variables (ssh_host, ssh_port, …) are checked' });

export const group = z
  .object({
    hosts: z
      .record(z.string(), inventoryVars.nullable())
      .nullable()
      .describe('Hosts of the group by inventory name, each with its own variables (or nothing); a host in several groups is one host'),
    get children(): z.ZodType {
      return z.record(z.string(), group.nullable()).nullable().describe('Groups nested in this one: their hosts are hosts of this group too');
    },
    vars: inventoryVars.nullable().describe('Variables of every host of the group (more specific groups win); group_vars/<group>.yml adds to them'),
  })
  .partial()
  .strict()
  .meta({ id: 'group', description: 'A group: its hosts, child groups and variables' });

export const GROUP_KEYS = Object.keys(group.shape);

/** The text of a file encrypted with `fleetplan vault encrypt`, which YAML reads as one string. */
export const vaultFileText = z
  .string()
  .regex(new RegExp(`^${VAULT_MAGIC.replace('$', '\\$')};`))
  .describe('A file encrypted with fleetplan vault encrypt');

export const inventory = z
  .union([
    z.record(z.string(), group.nullable()).nullable().describe('Groups by name (usually all:); other top-level groups are children of all'),
    vaultFileText,
  ])
  .describe('An inventory: groups of hosts and their variables, as Ansible YAML inventories');

/** group_vars/<group>.yml, group_vars/<group>/*.yml, host_vars/<host>.yml. */
export const inventoryVarsFile = z
  .union([inventoryVars.nullable(), vaultFileText])
  .describe('Variables of a group (group_vars/) or host (host_vars/), overriding those in the inventory file');
