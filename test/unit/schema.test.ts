// The editor JSON Schemas (src/schema → docs/schemas) against real files, checked as a YAML language
// server checks them: the YAML parsed with fleetplan's tags read as plain scalars (the yaml.customTags
// setting of docs/editor.md), then validated with ajv against the schema of the file's kind.
//  - Every plan, role task file, inventory and group/host vars file of the repository validates, and
//    the plans and role files carry a `# yaml-language-server: $schema=` header naming their schema.
//  - Every bad-input case (test/bad-input) whose problem is structural fails, at the place the loader
//    blames, while the other files of the case validate. The cases a schema cannot express are listed
//    with the reason (their files must validate); a case in neither list fails the test.
//  - Snippets the loader accepts, the schema accepts; snippets it refuses for their structure, the
//    schema refuses.
//  - Completion is complete: every operation, argument and keyword is offered, each with a description.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node, type ScalarTag } from 'yaml';
import type { z } from 'zod';
import { InputError, InputErrors } from '../../src/core/errors.js';
import { HANDLER_KEYS, TASK_KEYS } from '../../src/load/keywords/task.js';
import { loadPlan } from '../../src/load/plan.js';
import { operations } from '../../src/ops/registry.js';
import { encryptVault } from '../../src/vault/crypto.js';
import { fileSchema, operationRef, SCHEMA_KINDS, type SchemaKindName } from '../../src/schema/file-schemas.js';
import type { JsonSchema } from '../../src/schema/operation-schema.js';
import { SecretRegistry } from '../../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const here = path.dirname(fileURLToPath(import.meta.url));
// Compiled to dist/test/unit: the files checked are those of the source tree.
const ROOT = path.resolve(here, '../../..');
const CASES = path.join(ROOT, 'test/bad-input');
const KINDS = Object.keys(SCHEMA_KINDS) as SchemaKindName[];

// ---------------------------------------------------------------------------------------------------
// Checking a file as an editor does

/** fleetplan's tags as the language server sees them with yaml.customTags: "!secret scalar" etc. */
const EDITOR_TAGS: ScalarTag[] = ['!secret', '!env', '!secret_env', '!vault'].map((tag) => ({
  tag,
  identify: () => false,
  resolve: (s: string) => s,
}));

// The schemas are draft-07 with only standard keywords (strictSchema); "exactly one operation" is
// oneOf of `required` alternatives and values may have several types, which is standard JSON Schema.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const validators = new Map<SchemaKindName, ValidateFunction>(KINDS.map((k) => [k, ajv.compile(fileSchema(k))]));

interface Problem {
  message: string;
  /** A YAML-level problem (syntax, duplicate key, unresolved tag): shown by any YAML editor. */
  yaml: boolean;
  /** "line:col" of the places the problem names: a key and/or its value. */
  at: string[];
  /** For a mapping that must hold exactly one of several keys: the range it spans. */
  span?: { from: string; to: string };
}

function parse(text: string) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { customTags: EDITOR_TAGS, uniqueKeys: true, merge: true, prettyErrors: false, lineCounter });
  const where = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return `${p.line}:${p.col}`;
  };
  return { doc, where };
}

/** The node at an ajv instancePath, and the key node it is the value of. */
function nodeAt(doc: Document, pointer: string): { node?: Node; key?: Node } {
  let node = doc.contents as Node | null;
  let key: Node | undefined;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === seg);
      key = pair?.key as Node | undefined;
      node = (pair?.value as Node | null) ?? null;
    } else if (node && isSeq(node)) {
      key = undefined;
      node = (node.items[Number(seg)] as Node | undefined) ?? null;
    } else return {};
  }
  return { node: node ?? undefined, key };
}

/** Every problem an editor would show for `text` as a file of `kind`. */
function check(kind: SchemaKindName, text: string): Problem[] {
  const { doc, where } = parse(text);
  const yamlProblems = [...doc.errors, ...doc.warnings].map((e) => ({ message: e.message, yaml: true, at: [where(e.pos[0])] }));
  if (yamlProblems.length) return yamlProblems;
  const validate = validators.get(kind)!;
  if (validate(doc.toJS())) return [];
  return (validate.errors as ErrorObject[]).map((e) => {
    const { node, key } = nodeAt(doc, e.instancePath);
    const at: string[] = [];
    if (e.keyword === 'additionalProperties' && node && isMap(node)) {
      const extra = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === e.params.additionalProperty);
      const r = (extra?.key as Node | undefined)?.range;
      if (r) at.push(where(r[0]));
    } else {
      if (node?.range) at.push(where(node.range[0]));
      if (key?.range) at.push(where(key.range[0]));
    }
    const problem: Problem = { message: `${e.instancePath || '/'} ${e.message}`, yaml: false, at };
    if (e.keyword === 'oneOf' && node?.range) problem.span = { from: where(node.range[0]), to: where(node.range[2]) };
    return problem;
  });
}

const before = (a: string, b: string) => {
  const [al, ac] = a.split(':').map(Number) as [number, number];
  const [bl, bc] = b.split(':').map(Number) as [number, number];
  return al < bl || (al === bl && ac <= bc);
};

/** Does a problem point at `line:col`, the place the loader blames? */
function pointsAt(p: Problem, pos: string): boolean {
  return p.at.includes(pos) || (p.span !== undefined && before(p.span.from, pos) && before(pos, p.span.to));
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(path.join(dir, f)).isFile()).map((f) => f.split(path.sep).join('/'));
}

// ---------------------------------------------------------------------------------------------------
// The repository's own files

/** Which files of the repository are samples of which kind. */
const SAMPLES: Record<SchemaKindName, RegExp> = {
  plan: /^(plans\/[^/]+|test\/integration\/fixtures\/[^/]+|test\/unit\/fixtures\/load\/site\/site)\.ya?ml$/,
  tasks: /^(roles|test\/integration\/fixtures\/roles|test\/unit\/fixtures\/load\/(site\/roles|bundled|rolespath))\/[^/]+\/(tasks|handlers)\.ya?ml$/,
  inventory: /^(plans\/examples\/[^/]+|test\/unit\/fixtures\/load\/inventory\/inventory)\.ya?ml$/,
  'inventory-vars': /^test\/unit\/fixtures\/load\/inventory\/(group|host)_vars\/.+\.ya?ml$/,
  meta: /^(roles|test\/integration\/fixtures\/roles)\/[^/]+\/meta\.ya?ml$/,
};

/** The files that carry the editor header, and the schema it must name. */
const HEADERS: [RegExp, SchemaKindName][] = [
  [/^plans\/[^/]+\.ya?ml$/, 'plan'],
  [/^plans\/examples\/[^/]+\.ya?ml$/, 'inventory'],
  [/^roles\/[^/]+\/(tasks|handlers)\.ya?ml$/, 'tasks'],
];

const repoFiles = ['plans', 'roles', 'test/integration', 'test/unit/fixtures'].flatMap((d) => filesUnder(path.join(ROOT, d)).map((f) => `${d}/${f}`));

describe('the repository files validate against their schema', () => {
  for (const kind of KINDS) {
    const files = repoFiles.filter((f) => SAMPLES[kind].test(f));
    if (kind === 'plan' || kind === 'tasks' || kind === 'inventory') {
      test(`there are ${kind} samples`, () => assert.ok(files.length >= 2, `only ${files.length} ${kind} samples`));
    }
    for (const file of files) {
      test(`${file} (${kind})`, () => {
        const problems = check(kind, readFileSync(path.join(ROOT, file), 'utf8'));
        assert.deepEqual(problems, [], `${file} does not validate against ${SCHEMA_KINDS[kind].file}`);
      });
    }
  }
});

test('plans and role files name their schema in a yaml-language-server header', () => {
  let checked = 0;
  for (const file of repoFiles) {
    const kind = HEADERS.find(([re]) => re.test(file))?.[1];
    if (!kind) continue;
    checked++;
    const first = readFileSync(path.join(ROOT, file), 'utf8').split('\n')[0]!;
    const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    assert.ok(m, `${file}: first line is not the schema header: ${first}`);
    const target = path.resolve(path.dirname(path.join(ROOT, file)), m[1]!);
    assert.equal(path.relative(ROOT, target), `docs/schemas/${SCHEMA_KINDS[kind].file}`, `${file} names the wrong schema`);
    assert.ok(statSync(target).isFile(), `${file}: ${m[1]} does not exist`);
  }
  assert.ok(checked >= 10, `only ${checked} files with a header`);
});

// ---------------------------------------------------------------------------------------------------
// The bad-input corpus

/** Cases whose problem is in a file's structure: the schemas must refuse them. */
const STRUCTURAL = new Set([
  '01-yaml-syntax-in-plan', '02-yaml-syntax-in-inventory', '03-yaml-syntax-in-role-tasks', '04-yaml-syntax-in-role-defaults',
  '05-duplicate-key-in-task', '06-tab-indentation', '07-unknown-play-key', '08-unknown-task-key', '09-unknown-operation',
  '10-two-operations', '11-no-operation', '12-mode-as-number', '13-unknown-argument', '14-missing-required-argument',
  '15-bad-enum-value', '16-when-unknown-test', '17-when-wrong-shape', '30-inventory-unknown-group-key',
  '33-inventory-duplicate-host', '34-inventory-bad-port', '37-loop-not-a-list', '38-loop-control-unknown-key',
  '39-secret-on-mapping', '43-extra-vars-file-syntax-error', '44-group-vars-syntax-error', '45-host-vars-not-a-mapping',
  '47-role-meta-unknown-key', '49-changed-when-unknown-key', '50-play-missing-hosts', '51-role-entry-unknown-key',
  '52-inventory-not-a-mapping', '54-play-when-wrong-type', '57-connection-var-bad-value',
  '63-when-var-ref-not-a-path', '64-when-var-as-test-hint',
  '80-rescue-without-block', '83-unknown-key-in-block',
  // h17-sysops
  '72-cron-file-with-a-dot', '73-debconf-unknown-vtype',
  // h17-delegate
  '90-become-method-unknown', '92-serial-list-zero', '93-throttle-zero',
  // h17-dfacts
  '99-delegate-facts-without-delegate-to',
]);

/** Cases no JSON Schema of one file can express, and why. */
const NOT_EXPRESSIBLE: Record<string, string> = {
  '91-wait-for-port-and-path': 'exactly one of two arguments: the editor schema lists both as optional',
  '94-delegate-to-unknown-host': 'whether a host name is in the inventory is a question for another file',
  '18-notify-undefined-handler': 'notify names a handler defined elsewhere (a cross-reference, possibly into a role)',
  '19-duplicate-handler-names': 'names must be unique across the items of a list (a relation between items)',
  '20-missing-role': 'whether a role directory exists is a question for the file system',
  '21-role-dependency-cycle': 'a cycle runs through several meta.yml files',
  '22-missing-template-file': 'whether a template file exists is a question for the file system',
  '23-template-unclosed-if': 'the problem is Handlebars syntax inside a .hbs template',
  '24-template-undefined-variable': 'which variables a host has depends on its inventory, facts and precedence',
  '25-task-argument-undefined-variable': 'which variables a host has depends on its inventory, facts and precedence',
  '102-verify-plan-undefined-variable': 'which variables a host has depends on its inventory, facts and precedence',
  '26-variable-reference-cycle': 'a cycle between the values of variables (template references)',
  '27-missing-vars-file': 'whether a vars file exists is a question for the file system',
  '28-extra-vars-missing-file': 'a command-line argument (-e @file)',
  '29-extra-vars-bad-syntax': 'a command-line argument (-e)',
  '31-inventory-group-cycle': 'a cycle in the group graph (a relation between entries)',
  '32-inventory-host-and-group-same-name': 'a host name equal to a group name elsewhere in the file (a relation between entries)',
  '35-pattern-matches-nothing': 'what a host pattern matches depends on the inventory',
  '36-bad-pattern-syntax': 'the regular expression is embedded in a host pattern string (~regex)',
  '100-pattern-glob-matches-nothing': 'what a host pattern matches depends on the inventory',
  '101-pattern-subscript-out-of-range': 'what a host pattern matches depends on the inventory',
  '40-secret-env-unset': "the controller's environment when the file loads",
  '41-when-undefined-variable': 'which variables a host has depends on its inventory, facts and precedence',
  '42-variable-references-undefined-variable': 'which variables a host has depends on its inventory, facts and precedence',
  '46-template-unknown-helper': 'the problem is inside a .hbs template',
  '48-copy-missing-source': 'whether a controller file exists is a question for the file system',
  '53-undefined-variable-in-loop': 'which variables a host has depends on its inventory, facts and precedence',
  '55-template-syntax-error-column': 'the problem is Handlebars syntax inside a .hbs template',
  '56-limit-matches-nothing': 'a command-line argument (--limit)',
  '58-tags-on-no-task': 'a command-line argument (--tags) against the tags of every task, roles included',
  '59-skip-tags-on-no-task': 'a command-line argument (--skip-tags) against the tags of every task, roles included',
  '60-tags-and-skip-tags-select-nothing': 'command-line arguments (--tags with --skip-tags)',
  '61-limit-selects-no-plan-host': 'a command-line argument (--limit) against the hosts the plan targets',
  '62-yaml-recursive-alias-in-vars-file': 'an alias inside the node it names: a relation between nodes, below any schema',
  '65-optional-variable-guarded-by-defined-false': 'which variables a host has depends on its inventory, facts and precedence',
  '66-gather-facts-false-reads-fqdn': 'which facts a host has depends on every play that targets it (gather_facts)',
  '81-import-tasks-file-missing': 'whether an imported file exists is a question for the file system',
  '82-import-tasks-cycle': 'a cycle runs through several task files',
  '84-loop-on-block': 'which keywords a task takes depends on whether it is an operation or a block (one task schema for both)',
  '85-undefined-variable-in-block': 'which variables a host has depends on its inventory, facts and precedence',
  '86-include-role-missing': 'whether a role directory exists is a question for the file system',
  '87-handler-block': 'handlers and tasks share one schema; only the loader knows a block is not a handler',
  '70-sysctl-name-is-an-option': 'a name refused by a grammar with its own explanations (a leading -, spaces) beyond one pattern',
  '71-cron-special-time-with-minute': 'special_time excludes the time fields: a relation between arguments',
  '74-apt-repository-not-a-source-line': 'a refinement of the line (deb or deb-src first) beyond the schema',
  '75-package-without-name-or-cache': 'name is required unless update_cache: a relation between arguments',
  '95-template-jinja-filter': 'the problem is Jinja syntax inside a .hbs template',
  '96-argument-jinja-statement': 'Jinja syntax inside a string argument (any string is a valid argument value)',
  '97-typed-argument-not-a-boolean': 'the value of a variable (a template string is valid where a boolean is expected)',
  '98-template-jinja-filter-name': 'the problem is inside a .hbs template',
  // h20-install
  '67-config-unknown-setting': 'fleetplan.yml (the configuration) has no editor schema: the loader checks it',
  '68-config-bad-value': 'fleetplan.yml (the configuration) has no editor schema: the loader checks it',
  // h20-inventory
  'i20-ini-host-word-without-equals': 'an INI inventory: the editor schemas are for YAML files',
  'i20-ini-undeclared-child': 'an INI inventory: the editor schemas are for YAML files',
  'i20-inventory-script-fails': "an inventory script's exit status: known only by running it",
  'i20-ansible-vault-wrong-passphrase': 'whether a passphrase decrypts a !vault value is a question for the vault, not the file',
  'i20-ssh-common-args-proxycommand': 'an INI inventory, and ssh(1) options inside one string value',
};

interface Expect {
  plan?: string;
  inventory?: string;
  file?: string;
  line?: number;
  col?: number;
}

/** The schema a file of a bad-input case is checked against (undefined: YAML only, e.g. a vars file). */
function caseKind(rel: string, expect: Expect): SchemaKindName | undefined {
  if (rel === (expect.plan ?? 'plan.yml')) return 'plan';
  if (rel === (expect.inventory ?? 'inventory.yml')) return 'inventory';
  if (/^roles\/[^/]+\/(tasks|handlers)\.ya?ml$/.test(rel)) return 'tasks';
  if (/^roles\/[^/]+\/meta\.ya?ml$/.test(rel)) return 'meta';
  if (/^(group|host)_vars\/.+\.ya?ml$/.test(rel)) return 'inventory-vars';
  return undefined;
}

/** Problems of a file as the editor shows them; for a file without a schema, YAML problems only. */
function caseProblems(kind: SchemaKindName | undefined, text: string): Problem[] {
  if (kind) return check(kind, text);
  const { doc, where } = parse(text);
  return [...doc.errors, ...doc.warnings].map((e) => ({ message: e.message, yaml: true, at: [where(e.pos[0])] }));
}

const caseNames = readdirSync(CASES).filter((n) => statSync(path.join(CASES, n)).isDirectory()).sort();

describe('bad input: the schemas refuse what is structural, and say what they cannot express', () => {
  test('every case is classified once', () => {
    assert.ok(caseNames.length >= 57);
    for (const name of caseNames) {
      const inStructural = STRUCTURAL.has(name);
      const inNot = Object.hasOwn(NOT_EXPRESSIBLE, name);
      assert.ok(inStructural !== inNot, `${name}: ${inStructural ? 'in both lists' : 'in neither list: is its problem structural?'}`);
    }
    for (const name of [...STRUCTURAL, ...Object.keys(NOT_EXPRESSIBLE)]) assert.ok(caseNames.includes(name), `${name}: no such case`);
  });

  for (const name of caseNames) {
    test(name, () => {
      const dir = path.join(CASES, name);
      const expect = JSON.parse(readFileSync(path.join(dir, 'expect.json'), 'utf8')) as Expect;
      // As the bad-input runner does, a port replaces the placeholder.
      const read = (rel: string) => readFileSync(path.join(dir, rel), 'utf8').replaceAll('__PORT__', '2222');
      const blamed = STRUCTURAL.has(name) ? expect.file : undefined;
      if (STRUCTURAL.has(name)) assert.ok(blamed, `${name}: a structural case names the file at fault`);

      for (const rel of filesUnder(dir).filter((f) => /\.ya?ml$/.test(f))) {
        const kind = caseKind(rel, expect);
        const problems = caseProblems(kind, read(rel));
        const shown = problems.map((p) => `  ${p.at.join(',')} ${p.message}`).join('\n');
        if (rel !== blamed) {
          assert.deepEqual(problems.map((p) => p.message), [], `${name}: ${rel} (${kind ?? 'YAML only'}) should validate:\n${shown}`);
          continue;
        }
        assert.ok(problems.length > 0, `${name}: ${rel} (${kind ?? 'YAML only'}) passes the schema, the loader refuses it`);
        // YAML problems are placed by the YAML parser (the loader re-places some, e.g. duplicate keys);
        // schema problems must point where the loader does.
        if (!problems.some((p) => p.yaml)) {
          const pos = `${expect.line}:${expect.col}`;
          assert.ok(problems.some((p) => pointsAt(p, pos)), `${name}: no problem at ${rel}:${pos}, the loader's position:\n${shown}`);
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// Loader and schema agree on snippets

/** Tasks under a play; `ok` is what both the loader and the plan schema must say. */
const SNIPPETS: { yaml: string; ok: boolean; why: string }[] = [
  { ok: true, why: 'templates where a boolean, a mapping and a pattern are expected', yaml: '- settings: { path: /etc/x, values: "{{params}}", create: "{{c}}", mode: "{{m}}" }' },
  { ok: true, why: 'a template for an integer and an enum', yaml: '- user: { name: bob, uid: "{{uid}}", state: "{{st}}" }' },
  { ok: true, why: 'shorthands', yaml: '- command: "true"\n- service: { name: x, enabled: true }\n- directory: /srv/x' },
  { ok: true, why: 'a templated loop with loop_control', yaml: '- user: "{{u}}"\n  loop: "{{users}}"\n  loop_control: { loop_var: u, label: "{{u}}" }' },
  { ok: true, why: 'keywords in their other forms', yaml: '- command: "true"\n  changed_when: { rc: [0, 2] }\n  notify:\n  tags: [1, x]\n  when: [{ a: 1 }, { not: { b: { in: [1] } } }]' },
  { ok: true, why: 'a scalar shorthand', yaml: '- package: postfix' },
  { ok: false, why: 'a list is no shorthand, even where the argument may be a list', yaml: '- package: [a, b]' },
  { ok: true, why: 'a secret tag on an argument', yaml: '- file: { path: /etc/x, content: !secret "pw" }' },
  { ok: false, why: 'a number where a string is expected', yaml: '- user: { name: bob, home: 5 }' },
  { ok: false, why: 'a list for a boolean, not templated', yaml: '- file: { path: /x, backup: [true] }' },
  { ok: false, why: 'an unknown argument in a nested mapping', yaml: '- command: { cmd: x, env: { A: [1] } }' },
  { ok: false, why: 'loop_control without loop', yaml: '- command: x\n  loop_control: { label: y }' },
  { ok: false, why: 'a sysrc name that is not a variable name', yaml: '- sysrc: { name: "a-b", value: 1 }' },
  { ok: false, why: 'an operation with no arguments', yaml: '- file:' },
  { ok: false, why: 'an operation without shorthand given a scalar', yaml: '- copy: motd' },
  { ok: false, why: 'an empty condition', yaml: '- command: x\n  when: {}' },
];

describe('the loader and the plan schema agree', () => {
  for (const s of SNIPPETS) {
    test(`${s.ok ? 'accepted' : 'refused'}: ${s.why}`, () => {
      const text = `hosts: all\ntasks:\n${s.yaml.replace(/^/gm, '  ')}\n`;
      const dir = mkdtempSync(path.join(tmpdir(), 'fleetplan-schema-'));
      try {
        writeFileSync(path.join(dir, 'plan.yml'), text);
        let loaderError = '';
        try {
          loadPlan(path.join(dir, 'plan.yml'), { rolesPath: [], secrets: testSecrets });
        } catch (err) {
          if (!(err instanceof InputError || err instanceof InputErrors)) throw err;
          loaderError = err.message;
        }
        const problems = check('plan', text);
        assert.equal(loaderError === '', s.ok, `loader: ${loaderError || 'accepted'}\n${text}`);
        assert.equal(problems.length === 0, s.ok, `schema: ${problems.map((p) => p.message).join('; ') || 'accepted'}\n${text}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

test('a file encrypted with fleetplan vault is accepted where the loader decrypts it', () => {
  const encrypted = encryptVault('ssh_user: root\nrelay_password: hunter2\n', 'passphrase', { N: 1024, r: 8, p: 1 });
  for (const kind of ['inventory', 'inventory-vars'] as const) assert.deepEqual(check(kind, encrypted), [], kind);
  assert.notDeepEqual(check('inventory-vars', 'not a vault file\n'), [], 'any other string is refused');
});

// ---------------------------------------------------------------------------------------------------
// Completion

/** Every `properties` entry anywhere in a schema, with where it is. */
function* allProperties(s: unknown, where: string): Generator<[string, JsonSchema]> {
  if (typeof s !== 'object' || s === null) return;
  const o = s as Record<string, unknown>;
  if (o.properties && typeof o.properties === 'object') {
    for (const [k, v] of Object.entries(o.properties)) yield [`${where}.${k}`, v as JsonSchema];
  }
  for (const [k, v] of Object.entries(o)) if (k !== 'enum' && k !== 'default' && k !== 'const') yield* allProperties(v, `${where}/${k}`);
}

describe('completion offers everything, described', () => {
  const ops = [...operations.values()];

  for (const kind of ['plan', 'tasks'] as const) {
    test(`${kind}: every operation and keyword is a key of a task`, () => {
      const defs = fileSchema(kind).definitions as Record<string, JsonSchema>;
      const tasks: [string, string[]][] = kind === 'plan' ? [['task', TASK_KEYS], ['handler', HANDLER_KEYS]] : [['handler', HANDLER_KEYS]];
      for (const [def, keywords] of tasks) {
        assert.deepEqual(Object.keys(defs[def]!.properties ?? {}).sort(), [...keywords, ...ops.map((op) => op.name)].sort(), def);
      }
    });

    test(`${kind}: every argument of every operation is offered`, () => {
      const defs = fileSchema(kind).definitions as Record<string, JsonSchema>;
      for (const op of ops) {
        const value = defs[operationRef(op.name)]!;
        const args = [value, ...(value.anyOf ?? [])].find((s) => (s as JsonSchema).type === 'object') as JsonSchema | undefined;
        const shape = (op.schema as unknown as z.ZodObject).shape;
        assert.ok(args, `${op.name}: no mapping of arguments`);
        assert.deepEqual(Object.keys(args.properties ?? {}), Object.keys(shape), `${op.name}: arguments offered`);
        assert.ok(value.description, `${op.name}: no description`);
      }
    });
  }

  test('every key of every schema has a description', () => {
    for (const kind of KINDS) {
      for (const [where, prop] of allProperties(fileSchema(kind), kind)) {
        assert.ok(typeof prop.description === 'string' && prop.description.length > 5, `${where}: no description`);
      }
    }
  });
});
