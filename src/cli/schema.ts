// `fleetplan schema <kind>`: print the JSON Schema editors use to check and complete a kind of file
// (the same text as docs/schemas/<kind>.schema.json; see docs/editor.md).
import { Argument, type Command } from 'commander';
import { SCHEMA_KINDS, type SchemaKindName } from '../schema/file-schemas.js';
import { schemaText } from '../schema/generated-docs.js';

export function registerSchema(program: Command): void {
  const kinds = Object.entries(SCHEMA_KINDS).map(([k, v]) => `  ${k.padEnd(16)}${v.appliesTo}`).join('\n');
  program
    .command('schema')
    .description('print the JSON Schema of plans, role task files, inventories... (for editors, see docs/editor.md)')
    .addArgument(new Argument('<kind>', 'which files').choices(Object.keys(SCHEMA_KINDS)))
    .addHelpText('after', `\nKinds:\n${kinds}`)
    .action((kind: SchemaKindName) => {
      process.stdout.write(schemaText(kind));
    });
}
