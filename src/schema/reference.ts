// docs/plan-language.md: the plan language reference, rendered from the generated JSON Schemas (so from
// the declarations the loaders use, src/load/keywords, and the operations' argument schemas) — every
// key, every operation and every argument with its type, requirement, default, allowed values and
// description. Nothing here restates a key; only the headings and the connecting sentences are prose.
import { connectionVars } from '../connectors/connection-vars.js';
import type { Operation } from '../ops/operation.js';
import { operations } from '../ops/registry.js';
import { fileSchema, operationRef, SCHEMA_KINDS } from './file-schemas.js';
import { TEMPLATE_STRING, type JsonSchema } from './operation-schema.js';
import { helpersReference } from './helpers-reference.js';

/** How a named definition reads in a type column, and where it is documented. */
const DEFINITION_NAMES: Record<string, { name: string; plural: string; anchor: string }> = {
  play: { name: 'play', plural: 'plays', anchor: 'plays' },
  task: { name: 'task', plural: 'tasks', anchor: 'tasks-and-handlers' },
  handler: { name: 'handler', plural: 'handlers', anchor: 'tasks-and-handlers' },
  block_task: { name: 'task', plural: 'tasks', anchor: 'tasks-and-handlers' },
  condition: { name: 'condition', plural: 'conditions', anchor: 'conditions-when' },
  role_entry: { name: 'role entry', plural: 'role entries', anchor: 'role-entries' },
  group: { name: 'group', plural: 'groups', anchor: 'groups' },
  inventory_vars: { name: 'variables', plural: 'variables', anchor: 'connection-variables' },
};

const isSchema = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);
const code = (s: string) => `\`${s}\``;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const sentence = (s: string | undefined) => (s ? (/[.!?]$/.test(s) ? s : `${s}.`) : '');
const joinOr = (xs: string[]) => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}` : (xs[0] ?? ''));
const isTemplateAlternative = (s: JsonSchema) => s.pattern === TEMPLATE_STRING.pattern && s.type === 'string';

class Renderer {
  /**
   * `showTemplates`: false where every value may be a template anyway (operation arguments: said once
   * for all), true where a template is one specific alternative (`loop:`).
   */
  constructor(readonly definitions: Record<string, JsonSchema>, readonly showTemplates = true) {}

  /** Follow a $ref (or a lone allOf of one) to the definition's name, if it is one. */
  refName(s: JsonSchema): string | undefined {
    const ref = s.$ref ?? (s.allOf?.length === 1 && isSchema(s.allOf[0]) ? s.allOf[0].$ref : undefined);
    return ref?.replace('#/definitions/', '');
  }

  resolve(s: JsonSchema): JsonSchema {
    const name = this.refName(s);
    return name ? (this.definitions[name] ?? s) : s;
  }

  /** The alternatives of a value, without the "may be empty" null and the template string. */
  alternatives(s: JsonSchema): JsonSchema[] {
    if (!s.anyOf) return [s];
    return s.anyOf.filter(isSchema).flatMap((m) => this.alternatives(m)).filter((m) => m.type !== 'null' && (this.showTemplates || !isTemplateAlternative(m)));
  }

  /** A type in words: "non-empty list of strings", "mapping of name → string, number or boolean". */
  type(s: JsonSchema, plural = false): string {
    const name = this.refName(s);
    if (name) {
      const d = DEFINITION_NAMES[name];
      return d ? `[${plural ? d.plural : d.name}](#${d.anchor})` : name;
    }
    const alts = this.alternatives(s);
    if (alts.length > 1 || alts[0] !== s) return [...new Set(alts.map((a) => this.type(a, plural)))].join(' or ');
    if (isTemplateAlternative(s)) return plural ? 'templates ("{{…}}")' : 'template ("{{…}}")';
    if (s.const !== undefined) return code(JSON.stringify(s.const));
    const noun = (n: string) => (plural ? `${n}s` : n);
    const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
    if (types.length > 1) return joinOr(types.map((t) => (t === 'null' ? 'null' : noun(t))));
    switch (types[0]) {
      case 'string':
        return `${s.minLength ? 'non-empty ' : ''}${noun('string')}`;
      case 'integer':
      case 'number': {
        if (s.minimum !== undefined && s.maximum !== undefined) return `${noun(types[0])} ${s.minimum}–${s.maximum}`;
        const bounds: string[] = [];
        if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
        if (s.minimum !== undefined) bounds.push(`≥ ${s.minimum}`);
        if (s.maximum !== undefined) bounds.push(`≤ ${s.maximum}`);
        return [noun(types[0]), ...bounds].join(' ');
      }
      case 'boolean':
        return noun('boolean');
      case 'array': {
        const items = isSchema(s.items) && Object.keys(s.items).length ? ` of ${this.type(s.items, true)}` : '';
        return `${s.minItems ? 'non-empty ' : ''}${noun('list')}${items}`;
      }
      case 'object':
        if (isSchema(s.additionalProperties) && !s.properties) {
          const value = Object.keys(s.additionalProperties).length ? this.type(s.additionalProperties) : 'any value';
          return `${noun('mapping')} of name → ${value}`;
        }
        return noun('mapping');
      default:
        return plural ? 'any values' : 'any value';
    }
  }

  /** Enumerated values or the pattern a string must match. */
  allowed(s: JsonSchema): string {
    const alts = this.alternatives(s);
    const values = alts.flatMap((a) => (a.enum ?? (a.const !== undefined ? [a.const] : [])).map((v) => code(String(v))));
    if (values.length) return values.join(', ');
    const patterns = alts.filter((a) => a.pattern !== undefined && !isTemplateAlternative(a)).map((a) => `matches ${code(a.pattern!)}`);
    return patterns.join('; ');
  }

  /** A table of the keys of an object schema. */
  keyTable(s: JsonSchema, heading = 'key'): string {
    const required = new Set(s.required ?? []);
    const head = `| ${heading} | type | required / default | allowed values | description |\n|---|---|---|---|---|`;
    const rows = Object.entries(s.properties ?? {}).map(([key, raw]) => {
      const p = raw as JsonSchema;
      const need = required.has(key) ? 'required' : p.default !== undefined ? `default ${code(JSON.stringify(p.default))}` : 'optional';
      const description = p.description ?? this.resolve(p).description ?? '';
      const cols = [code(key), this.type(p), need, this.allowed(p), sentence(description)];
      return `| ${cols.map(cell).join(' | ')} |`;
    });
    return [head, ...rows].join('\n');
  }

  /** The object branch of a schema (a value that may also be a scalar or null). */
  objectOf(s: JsonSchema): JsonSchema {
    return this.alternatives(this.resolve(s)).map((a) => this.resolve(a)).find((a) => a.type === 'object' && a.properties) ?? {};
  }
}

function operationSection(op: Operation, definitions: Record<string, JsonSchema>): string {
  const r = new Renderer(definitions, false);
  const value = r.definitions[operationRef(op.name)]!;
  const args = r.objectOf(value);
  const lines = [`### ${op.name}`, '', sentence(op.summary), ''];
  // The schema's own description says what a dry run does with this operation.
  if (op.schema.description) lines.push(sentence(op.schema.description), '');
  if (op.shorthand) lines.push(`Shorthand: ${code(`${op.name}: <value>`)} is ${code(`${op.name}: {${op.shorthand}: <value>}`)}.`, '');
  lines.push(r.keyTable(args, 'argument'), '');
  return lines.join('\n');
}

function connectionVariables(): string {
  const rows = Object.entries(connectionVars).map(([name, v]) => {
    const aliases = v.aliases.length ? v.aliases.map(code).join(', ') : '';
    return `| ${[code(name), aliases, v.expects, sentence(v.schema.description)].map(cell).join(' | ')} |`;
  });
  return ['| variable | Ansible names | value | description |', '|---|---|---|---|', ...rows].join('\n');
}

/** The whole reference, as Markdown. */
export function planLanguageReference(registry: ReadonlyMap<string, Operation> = operations): string {
  const plan = fileSchema('plan', registry);
  const inventory = fileSchema('inventory', registry);
  const meta = fileSchema('meta', registry);
  const r = new Renderer({ ...(inventory.definitions as Record<string, JsonSchema>), ...(plan.definitions as Record<string, JsonSchema>) });
  const d = r.definitions;
  const condition = d.condition!;
  const conditionValue = r.alternatives(condition.additionalProperties as JsonSchema);
  const tests = conditionValue.find((a) => a.type === 'object')!;
  const task = d.task!;
  const handler = d.handler!;
  const ops = [...registry.values()];
  const keywordsOnly = (s: JsonSchema): JsonSchema => ({
    ...s,
    properties: Object.fromEntries(Object.entries(s.properties ?? {}).filter(([k]) => !registry.has(k))),
  });
  const changedWhen = r.objectOf(task.properties!.changed_when as JsonSchema);
  const loopControl = r.objectOf(task.properties!.loop_control as JsonSchema);
  const roleEntry = r.objectOf(d.role_entry!);
  const schemaList = Object.values(SCHEMA_KINDS).map((k) => `[${k.file}](schemas/${k.file}) (${k.appliesTo})`);

  return `<!-- Generated by \`npm run docs\` from src/load/keywords and src/ops: edit those, not this file. -->
# Plan language reference

Every key fleetplan reads from plans, role files and inventories: its type, whether it is required,
its default and what it does. The same definitions validate the files when they load and generate
the JSON Schemas editors use to check and complete them: ${joinOr(schemaList)}; see
[editor.md](editor.md).

- [Plays](#plays)
- [Tasks and handlers](#tasks-and-handlers)
- [Conditions (when)](#conditions-when)
- [Template helpers](#template-helpers)
- [Role entries](#role-entries) and [meta.yml](#metayml)
- [Operations](#operations): ${ops.map((op) => `[${op.name}](#${op.name})`).join(', ')}
- [Inventories](#inventories): [groups](#groups), [connection variables](#connection-variables)

## Plays

${sentence(plan.description)} ${sentence(d.play!.description)} A play needs ${code('hosts')} and ${code('tasks')} or ${code('roles')} (or both).

${r.keyTable(d.play!)}

## Tasks and handlers

${sentence(task.description)} Tasks run in order; handlers run once at the end of the play, in the order
they are defined, when a task that notified them changed something (and also right after ${code('pre_tasks')},
after the roles and ${code('tasks')} before ${code('post_tasks')}, and at ${code('meta: flush_handlers')}, as Ansible).
A role's ${code('tasks.yml')} and ${code('handlers.yml')} are lists of them. A task may instead be structure:
${code('block')} (with ${code('rescue')} and ${code('always')}), ${code('import_tasks')} / ${code('import_role')} (read when
the plan loads), ${code('include_tasks')} / ${code('include_role')} (expanded per host when the play starts on it)
or ${code('meta')}; each takes the keywords Ansible gives it, and a dry run walks the same structure.

Operation keys: ${ops.map((op) => `[${code(op.name)}](#${op.name})`).join(', ')}. Keywords:

${r.keyTable(keywordsOnly(handler))}

${code('listen')} is for handlers only. A task without ${code('name')} is named after its operation and main argument.

### changed_when

${sentence((task.properties!.changed_when as JsonSchema).description)} As a mapping:

${r.keyTable(changedWhen)}

### loop_control

${sentence((task.properties!.loop_control as JsonSchema).description)}

${r.keyTable(loopControl)}

## Conditions (when)

${sentence(condition.description)}

A variable path is names joined by dots (list elements by index), matching ${code(String((condition.propertyNames as JsonSchema).pattern))}. It maps to one of:

${conditionValue.map((a) => `- ${a.type === 'object' ? 'a mapping of tests' : `a ${r.type(a)}`}: ${sentence(a.description)}`).join('\n')}

| combinator | type | description |
|---|---|---|
${Object.entries(condition.properties ?? {}).map(([k, v]) => `| ${[code(k), r.type(v as JsonSchema), sentence((v as JsonSchema).description)].map(cell).join(' | ')} |`).join('\n')}

| test | type | description |
|---|---|---|
${Object.entries(tests.properties ?? {}).map(([k, v]) => `| ${[code(k), r.type(v as JsonSchema), sentence((v as JsonSchema).description)].map(cell).join(' | ')} |`).join('\n')}

Examples: ${code('when: {facts.os_family: Debian}')}, ${code('when: {facts.init: [systemd, sysv]}')},
${code('when: {relay_port: {gte: 465}}')}, ${code('when: {any: [{spf_enabled: true}, {not: {dmarc_enabled: false}}]}')},
${code('when: {relay_port: {ne: {var: default_port}}}')} (another variable's value: ${code('{var: path}')} as the value of a test).

A task whose condition proves a variable defined (${code('{x: {defined: true}}')}, any other test of x, inside
${code('all')} or in every branch of ${code('any')}, or its play's or role entry's condition) may use that variable:
${code('fleetplan validate')} does not report it where it is undefined (the task is skipped there). Dry run: conditions are evaluated as in a run.

${helpersReference()}
## Role entries

${sentence(d.role_entry!.description)}

${r.keyTable(roleEntry)}

### meta.yml

${sentence(meta.description)}

${r.keyTable(r.objectOf(meta))}

## Operations

Each operation is idempotent: it reads the host's state, changes only what differs, and shows in a dry
run (${code('--check --diff')}) exactly what it would do. Any argument may be a template string
(${code('"{{relay_port}}"')}), rendered per host and checked after rendering; the types below are what
the rendered value must be.

${ops.map((op) => operationSection(op, d)).join('\n')}
## Inventories

${sentence(inventory.description)} ${sentence((inventory.anyOf?.[0] as JsonSchema | undefined)?.description)} The files
${code('group_vars/<group>.yml')} (or ${code('group_vars/<group>/*.yml')}) and ${code('host_vars/<host>.yml')} beside the
inventory hold more variables.

### Groups

${sentence(d.group!.description)}

${r.keyTable(d.group!)}

### Connection variables

${sentence(d.inventory_vars!.description)} A host's connection variables come from its groups, its own
entry, group_vars/ and host_vars/, and ${code('-e')}; the Ansible names are accepted too.

${connectionVariables()}
`;
}
