// docs/coming-from-ansible.md's "Construct by construct" table stays in step with the plan language
// reference (docs/plan-language.md, generated from the keyword tables and the operation registry):
// every task keyword, handler keyword, play keyword and operation has a row naming it, every key the
// table's fleetplan column names (written `key:`, as in YAML) exists, and every row says what a dry run
// does; every template helper is named too. A keyword added without a row, or a row naming a key that
// was renamed or removed, fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/core/paths.js';
import { PLAY_KEYS } from '../../src/load/keywords/play.js';
import { ROLE_ENTRY_KEYS, ROLE_META_KEYS } from '../../src/load/keywords/role.js';
import { HANDLER_KEYS, TASK_KEYS } from '../../src/load/keywords/task.js';
import { operations } from '../../src/ops/registry.js';
import { helperNames } from '../../src/load/template.js';

const DOC = path.join(packageRoot(), 'docs/coming-from-ansible.md');

interface Row {
  line: number;
  ansible: string;
  fleetplan: string;
  dryRun: string;
}

/** A table row's cells: split at `|` that is not escaped (`\|` stays in its cell). */
export function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim());
}

/** The rows of the one table under "## Construct by construct", without its group rows (`| **Results** | | |`). */
export function constructRows(text: string): { rows: Row[]; tables: number; sections: number } {
  const lines = text.split('\n');
  const starts = lines.flatMap((l, i) => (l === '## Construct by construct' ? [i] : []));
  const rows: Row[] = [];
  let tables = 0;
  const start = starts[0];
  if (start === undefined) return { rows, tables, sections: 0 };
  let i = start + 1;
  while (i < lines.length && !lines[i]!.startsWith('## ')) {
    if (/^\| Ansible \| fleetplan \| dry run \|$/.test(lines[i]!) && /^\|(---\|){3}$/.test(lines[i + 1] ?? '')) {
      tables++;
      for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
        const [ansible = '', fleetplan = '', dryRun = '', ...extra] = cells(lines[i]!);
        assert.equal(extra.length, 0, `${DOC}:${i + 1}: a row of 3 cells, got ${3 + extra.length}`);
        if (/^\*\*[^*]+\*\*/.test(ansible) && fleetplan === '' && dryRun === '') continue;
        rows.push({ line: i + 1, ansible, fleetplan, dryRun });
      }
    } else {
      i++;
    }
  }
  return { rows, tables, sections: starts.length };
}

/** The keys a fleetplan cell names: code spans that start with `key:` (then a space and a value, or nothing). */
export function namedKeys(cell: string): string[] {
  return [...cell.matchAll(/`([A-Za-z_][A-Za-z0-9_]*):(?: [^`]*)?`/g)].map((m) => m[1]!);
}

const text = readFileSync(DOC, 'utf8');
const { rows, tables, sections } = constructRows(text);
const OPS = [...operations.keys()];
const KNOWN = new Set([...TASK_KEYS, ...HANDLER_KEYS, ...PLAY_KEYS, ...OPS, ...ROLE_ENTRY_KEYS, ...ROLE_META_KEYS]);

test('coming-from-ansible.md has one "Construct by construct" section holding one table', () => {
  assert.equal(sections, 1, 'sections named "## Construct by construct"');
  assert.equal(tables, 1, 'tables with the header | Ansible | fleetplan | dry run | in it');
  assert.ok(rows.length > 50, `only ${rows.length} rows`);
  assert.equal(text.split('\n').filter((l) => l === '## What does not exist').length, 1, 'sections named "## What does not exist"');
});

test('every row says what a dry run does', () => {
  const empty = rows.filter((r) => r.dryRun === '').map((r) => `line ${r.line} (${r.ansible})`);
  assert.deepEqual(empty, [], `rows without a dry-run cell: ${empty.join(', ')}`);
  const noFleetplan = rows.filter((r) => r.fleetplan === '' || r.ansible === '').map((r) => `line ${r.line}`);
  assert.deepEqual(noFleetplan, [], `rows with an empty Ansible or fleetplan cell: ${noFleetplan.join(', ')}`);
});

test('every key the fleetplan column names is a keyword or an operation of the reference', () => {
  const unknown = rows.flatMap((r) => namedKeys(r.fleetplan).filter((k) => !KNOWN.has(k)).map((k) => `'${k}:' at line ${r.line}`));
  assert.deepEqual(unknown, [], `the table names keys fleetplan does not have (a task, handler, play, role entry or meta.yml keyword, or an operation): ${unknown.join(', ')}`);
});

test('every task, handler and play keyword and every operation of the reference has a row', () => {
  const named = new Set(rows.flatMap((r) => namedKeys(r.fleetplan)));
  const missing = (kind: string, keys: readonly string[]) => keys.filter((k) => !named.has(k)).map((k) => `${kind} '${k}'`);
  const all = [...missing('task keyword', TASK_KEYS), ...missing('handler keyword', HANDLER_KEYS), ...missing('play keyword', PLAY_KEYS), ...missing('operation', OPS)];
  assert.deepEqual(all, [], `missing from the "Construct by construct" table of docs/coming-from-ansible.md (name each as \`key:\` in the fleetplan column): ${all.join(', ')}`);
});

test("every template helper (Ansible's filters) is named in the table", () => {
  const spans = rows.flatMap((r) => [...r.fleetplan.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
  const handlebars = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log', 'blockHelperMissing', 'helperMissing']);
  const ours = [...helperNames()].filter((h) => !handlebars.has(h) && !h.startsWith('__'));
  const missing = ours.filter((h) => !spans.some((s) => new RegExp(`(^|[{(\\s])${h}(\\s|}|\\)|$)`).test(s)));
  assert.deepEqual(missing, [], `helpers missing from the "Construct by construct" table: ${missing.join(', ')}`);
});

test('the parser: escaped pipes stay in their cell, group rows are skipped, keys are read from `key:` spans only', () => {
  assert.deepEqual(cells('| a \\| b | `x:` | y |'), ['a \\| b', '`x:`', 'y']);
  assert.deepEqual(namedKeys('`register: out` and `stat:`, not `path` nor `sha256:…` nor `{x: 1}`'), ['register', 'stat']);
  const doc = ['## Construct by construct', '', '| Ansible | fleetplan | dry run |', '|---|---|---|', '| **Results** | | |', '| a | `register:` | |', '', '## Next'].join('\n');
  const parsed = constructRows(doc);
  assert.equal(parsed.tables, 1);
  assert.deepEqual(parsed.rows.map((r) => [r.line, r.fleetplan, r.dryRun]), [[6, '`register:`', '']]);
});
