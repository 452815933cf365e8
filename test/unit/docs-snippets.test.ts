// Every plan, task list and inventory shown in the docs is real: a fenced block preceded by a marker
//
//   <!-- check: plan|tasks|inventory|file|vars|excerpt [example=NAME] [file=PATH] [of=PATH] [e="k=v k2=v2"]
//        [env="NAME=value"] [host=NAME] [role=NAME] [os=FIXTURE] -->
//
// is written to a temporary directory (blocks of one `example` in one document share it) and loaded
// exactly as `fleetplan validate` loads its inputs (src/cli/inputs.ts): plans against the example's
// inventory (or a small default one), task lists as the tasks of a role in a one-play plan,
// inventories with every host's connection variables checked. `vars` blocks state the variables a
// host ends up with (for one role of the example's plan, facts from test/unit/fixtures/facts/<os>)
// and must match what the engine computes, so the precedence examples cannot drift either.
// `of=PATH` (a repository file) makes the block a literal excerpt of that file, checked as such (the
// only check for `excerpt`, e.g. Ansible's side of a comparison); a task list `of=roles/R/tasks.yml`
// (or handlers.yml) is validated as role R with that file replaced by the excerpt.
// A YAML block that looks like a plan or a task list must carry `check:` or `<!-- not-checked: why -->`.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadInputs } from '../../src/cli/inputs.js';
import { targets } from '../../src/engine/run.js';
import { FleetplanError } from '../../src/core/errors.js';
import { parseFacts } from '../../src/facts/gather.js';
import { packageRoot } from '../../src/core/paths.js';
import { resolveVars } from '../../src/load/resolve-vars.js';
import { revealDeep, SecretRegistry } from '../../src/core/secret.js';
import { varsFor } from '../../src/load/vars.js';
import { operations } from '../../src/ops/registry.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const root = packageRoot();
const docs = [path.join(root, 'README.md'), ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => path.join(root, 'docs', f))];
const KINDS = ['plan', 'tasks', 'inventory', 'file', 'vars', 'excerpt'] as const;
type Kind = (typeof KINDS)[number];

interface Block {
  doc: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  body: string;
  kind?: Kind;
  attrs: Record<string, string>;
  /** `<!-- not-checked: reason -->`. */
  notChecked?: string;
}

/** Fenced blocks with the marker (if any) on the closest non-blank line above the fence. */
function blocks(doc: string): Block[] {
  const lines = readFileSync(doc, 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const indent = lines[i]!.indexOf('`');
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    const body = lines.slice(start + 1, end).map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join('\n') + '\n';
    let j = start - 1;
    while (j >= 0 && lines[j]!.trim() === '') j--;
    const above = j >= 0 ? lines[j]!.trim() : '';
    const block: Block = { doc, line: start + 1, lang: open[1]!, body, attrs: {} };
    const check = /^<!--\s*check:\s*(\w+)((?:\s+[\w-]+=(?:"[^"]*"|\S+?))*)\s*-->$/.exec(above);
    if (check) {
      assert.ok((KINDS as readonly string[]).includes(check[1]!), `${where(block)}: unknown check kind '${check[1]}' (${KINDS.join(', ')})`);
      block.kind = check[1] as Kind;
      for (const m of check[2]!.matchAll(/([\w-]+)=(?:"([^"]*)"|(\S+))/g)) block.attrs[m[1]!] = m[2] ?? m[3]!;
    }
    const skip = /^<!--\s*not-checked:\s*(.+?)\s*-->$/.exec(above);
    if (skip) block.notChecked = skip[1];
    out.push(block);
    i = end;
  }
  return out;
}

const where = (b: Block) => `${path.relative(root, b.doc)}:${b.line}`;

/** A YAML block that a reader would take for a plan or a task list. */
function looksLikePlanOrTasks(b: Block): boolean {
  if (b.lang !== 'yaml' && b.lang !== 'yml') return false;
  let v: unknown;
  try {
    v = parseYaml(b.body, { customTags: [] as never[], logLevel: 'silent' });
  } catch {
    return false;
  }
  const isMap = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (isMap(v)) return 'hosts' in v && ('tasks' in v || 'roles' in v);
  return Array.isArray(v) && v.length > 0 && v.every(isMap) && v.some((t) => 'hosts' in t || Object.keys(t).some((k) => operations.has(k)));
}

const DEFAULT_INVENTORY = `all:
  children:
    relays:
      hosts:
        relay1: { ssh_host: 192.0.2.10 }
        relay2: { ssh_host: 192.0.2.11 }
    web:
      hosts:
        web1: { ssh_host: 192.0.2.20 }
`;

const tmp = mkdtempSync(path.join(tmpdir(), 'fleetplan-docs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function write(dir: string, rel: string, text: string): string {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Runs `fn` with the block's `env="NAME=value ..."` set, restoring the environment after. */
function withEnv<T>(blocks: Block[], fn: () => T): T {
  const saved = new Map<string, string | undefined>();
  for (const b of blocks) {
    for (const pair of (b.attrs.env ?? '').split(/\s+/).filter(Boolean)) {
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (!saved.has(name)) saved.set(name, process.env[name]);
      process.env[name] = pair.slice(eq + 1);
    }
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Loads a plan the way `fleetplan validate` does; an input error fails with its file:line:col. */
function validate(b: Block, plan: string, inventory: string, extra: string[]) {
  try {
    return loadInputs(plan, { inventory, extraVars: extra, rolesPath: [] }, testSecrets);
  } catch (err) {
    const detail = err instanceof FleetplanError ? err.describe() : (err as Error).stack;
    assert.fail(`${where(b)}: the ${b.kind} shown in the docs does not validate:\n${detail}`);
  }
}

const extraOf = (b: Block) => (b.attrs.e ?? '').split(/\s+/).filter(Boolean);

/** The block's lines appear, in order and contiguous, in `of` (indented alike: an excerpt of a nested list). */
function assertExcerpt(b: Block, of: string): void {
  const lines = readFileSync(path.join(root, of), 'utf8').split('\n');
  const want = b.body.replace(/\n$/, '').split('\n');
  for (let i = 0; i + want.length <= lines.length; i++) {
    const first = lines[i]!;
    if (!first.endsWith(want[0]!)) continue;
    const pad = first.slice(0, first.length - want[0]!.length);
    if (pad.trim() !== '') continue;
    if (want.every((w, k) => (w === '' ? lines[i + k]!.trim() === '' : lines[i + k] === pad + w))) return;
  }
  assert.fail(`${where(b)}: this block is not an excerpt of ${of} (the docs must quote it literally)`);
}

const checked = docs.flatMap(blocks).filter((b) => b.kind);

test('docs: every YAML block that shows a plan or a task list is checked (or says why not)', () => {
  const unmarked = docs.flatMap(blocks).filter((b) => !b.kind && !b.notChecked && looksLikePlanOrTasks(b));
  assert.deepEqual(unmarked.map(where), [], 'add <!-- check: plan|tasks ... --> (or <!-- not-checked: reason --> for Ansible) above these blocks');
  assert.ok(checked.length > 0, 'the docs have checked snippets');
});

// One test per example (or per standalone block), named after where it is.
const groups = new Map<string, Block[]>();
for (const b of checked) {
  const key = b.attrs.example ? `${path.relative(root, b.doc)} example '${b.attrs.example}'` : where(b);
  groups.set(key, [...(groups.get(key) ?? []), b]);
}

let n = 0;
for (const [name, group] of groups) {
  test(`docs: ${name} is real`, () => {
    const dir = path.join(tmp, String(++n));
    let inventory: string | undefined;
    const plans: Array<[Block, string]> = [];
    let role = 0;
    for (const b of group) {
      if (b.attrs.of) assertExcerpt(b, b.attrs.of);
      if (b.kind === 'excerpt') assert.ok(b.attrs.of, `${where(b)}: check: excerpt needs of=PATH`);
      else if (b.kind === 'tasks' && b.attrs.of) {
        // A real role's task list (or handlers): that role, with this excerpt as the whole file.
        const m = /^roles\/([^/]+)\/(tasks|handlers)\.yml$/.exec(b.attrs.of);
        assert.ok(m, `${where(b)}: a task list's of= must be roles/<role>/tasks.yml or handlers.yml`);
        cpSync(path.join(root, 'roles', m[1]!), path.join(dir, 'roles', m[1]!), { recursive: true });
        write(dir, path.join('roles', m[1]!, `${m[2]}.yml`), b.body);
        plans.push([b, write(dir, `plan-for-${m[1]}.yml`, `hosts: all\nroles: [${m[1]}]\n`)]);
      } else if (b.kind === 'plan') plans.push([b, write(dir, b.attrs.file ?? `plan-${plans.length + 1}.yml`, b.body)]);
      else if (b.kind === 'inventory') inventory = write(dir, b.attrs.file ?? 'inventory.yml', b.body);
      else if (b.kind === 'file') {
        assert.ok(b.attrs.file, `${where(b)}: check: file needs file=PATH`);
        write(dir, b.attrs.file, b.body);
      } else if (b.kind === 'tasks') {
        // A task list runs as the tasks of a role (its own, or the role its file= names).
        const file = b.attrs.file ?? `roles/snippet-${++role}/tasks.yml`;
        const m = /^roles\/([^/]+)\/(tasks|handlers)\.yml$/.exec(file);
        assert.ok(m, `${where(b)}: a task list's file= must be roles/<role>/tasks.yml or handlers.yml`);
        write(dir, file, b.body);
        if (m[2] === 'tasks') plans.push([b, write(dir, `plan-for-${m[1]}.yml`, `hosts: all\nroles: [${m[1]}]\n`)]);
      }
    }
    const inv = inventory ?? write(dir, 'default-inventory.yml', DEFAULT_INVENTORY);
    withEnv(group, () => {
      if (inventory) {
        // Every host's connection variables, checked as connecting would check them.
        const b = group.find((x) => x.kind === 'inventory')!;
        validate(b, write(dir, 'every-host.yml', 'hosts: all\ntasks: []\n'), inv, extraOf(b));
      }
      for (const [b, plan] of plans) validate(b, plan, inv, extraOf(b));
      for (const b of group.filter((x) => x.kind === 'vars')) checkVars(b, plans, inv);
    });
  });
}

/** A `vars` block: the variables `host=` gets (in `role=` of the example's plan), as the engine merges them. */
function checkVars(b: Block, plans: Array<[Block, string]>, inventory: string): void {
  const planEntry = plans.find(([p]) => p.kind === 'plan' && (!b.attrs.plan || p.attrs.file === b.attrs.plan));
  assert.ok(planEntry, `${where(b)}: a vars block needs a plan in its example`);
  const host = b.attrs.host;
  assert.ok(host, `${where(b)}: a vars block needs host=NAME`);
  // The block's own e= (the command line it describes), else its plan's.
  const inputs = validate(planEntry[0], planEntry[1], inventory, extraOf(b.attrs.e !== undefined ? b : planEntry[0]));
  const plays = targets(inputs.plan, inputs.inventory).get(host) ?? [];
  const play = plays.find((p) => !b.attrs.role || p.roles.some((r) => r.role.name === b.attrs.role));
  assert.ok(play, `${where(b)}: no play of the example's plan targets ${host}${b.attrs.role ? ` with role ${b.attrs.role}` : ''}`);
  const roleRef = b.attrs.role ? play.roles.find((r) => r.role.name === b.attrs.role) : undefined;
  const fixture = path.join(root, 'test/unit/fixtures/facts', `${b.attrs.os ?? 'debian12'}.json`);
  const facts = parseFacts((JSON.parse(readFileSync(fixture, 'utf8')) as { output: string }).output);
  const vars = revealDeep(resolveVars(varsFor({ inventory: inputs.inventory, host, play, roleRef, extraVars: inputs.extraVars, facts }), testSecrets)) as Record<string, unknown>;
  const expected = parseYaml(b.body) as Record<string, unknown>;
  const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, vars[k]]));
  assert.deepEqual(actual, expected, `${where(b)}: the variables shown differ from what ${host} gets`);
}
