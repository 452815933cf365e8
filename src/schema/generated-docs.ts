// The documentation files generated from the definitions (docs/schemas/*.schema.json and
// docs/plan-language.md): written by `npm run docs`, and compared with the committed files by a unit
// test, so they cannot drift from the code.
import { fileSchema, SCHEMA_KINDS, type SchemaKindName } from './file-schemas.js';
import { planLanguageReference } from './reference.js';

export interface GeneratedDoc {
  /** Relative to the package root. */
  path: string;
  content: string;
}

/** A schema as printed by `fleetplan schema <kind>` and committed under docs/schemas/. */
export function schemaText(kind: SchemaKindName): string {
  return `${JSON.stringify(fileSchema(kind), null, 2)}\n`;
}

export function generatedDocs(): GeneratedDoc[] {
  const kinds = Object.keys(SCHEMA_KINDS) as SchemaKindName[];
  return [
    ...kinds.map((kind) => ({ path: `docs/schemas/${SCHEMA_KINDS[kind].file}`, content: schemaText(kind) })),
    { path: 'docs/plan-language.md', content: planLanguageReference() },
  ];
}
