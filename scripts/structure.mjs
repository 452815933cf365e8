#!/usr/bin/env node
// Measures the shape of src/ against the targets of the groundwork issue (docs/development.md):
//   - import cycles (dependency-cruiser, rules in .dependency-cruiser.cjs)          target 0
//   - imports pointing up a layer (layers defined in .dependency-cruiser.cjs)       target ≤ 2, each justified there
//   - repeated blocks of 6+ lines (jscpd, its default 50-token minimum)              target 0
//   - functions over 80 lines in src/engine and src/load                            target 0
//   - files over 400 lines in src/ (generated text aside)                           target 0
// Prints every finding and the figures (--json: the figures alone, as JSON, for test/unit/structure.test.ts);
// exits 1 only with --strict and a target missed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const strict = process.argv.includes('--strict');
const json = process.argv.includes('--json');

const MAX_FUNCTION_LINES = 80;
const FUNCTION_DIRS = ['src/engine', 'src/load'];
const MAX_FILE_LINES = 400;
/** Files holding generated text rather than code: their length is the text's. */
const GENERATED = new Set(['src/schema/generated-docs.ts']);
const MAX_UPWARD = 2;

function tsFiles(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

function imports() {
  // The JSON goes to stdout whatever the violations (all rules are warnings or infos).
  const out = execFileSync(bin('depcruise'), ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
    cwd: root, encoding: 'utf8', maxBuffer: 64 << 20,
  });
  const { violations } = JSON.parse(out).summary;
  const cycles = violations.filter((v) => v.rule.name === 'no-circular');
  const upward = violations.filter((v) => v.rule.name.startsWith('upward-'));
  const justified = violations.filter((v) => v.rule.name.startsWith('justified-'));
  return { cycles, upward, justified };
}

function clones() {
  const out = mkdtempSync(join(tmpdir(), 'fleetplan-jscpd-'));
  try {
    execFileSync(bin('jscpd'), ['src', '--min-lines', '6', '--format', 'typescript', '--reporters', 'json', '--output', out, '--silent'], {
      cwd: root, stdio: ['ignore', 'ignore', 'inherit'],
    });
    return JSON.parse(readFileSync(join(out, 'jscpd-report.json'), 'utf8')).duplicates;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function nameOf(node, sf) {
  if (node.name) return node.name.getText(sf);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText(sf);
  if (ts.isCallExpression(parent)) return `(callback of ${parent.expression.getText(sf).slice(0, 40)})`;
  return '(anonymous)';
}

/** Every function, method, arrow function and accessor longer than the limit; a nested one counts on its own too. */
function longFunctions() {
  const found = [];
  for (const file of FUNCTION_DIRS.flatMap(tsFiles)) {
    const sf = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
        if (end - start + 1 > MAX_FUNCTION_LINES) found.push({ file, line: start, name: nameOf(node, sf), lines: end - start + 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found.sort((a, b) => b.lines - a.lines);
}

function longFiles() {
  return tsFiles('src')
    .filter((f) => !GENERATED.has(f))
    .map((file) => ({ file, lines: readFileSync(join(root, file), 'utf8').split('\n').length - 1 }))
    .filter((f) => f.lines > MAX_FILE_LINES)
    .sort((a, b) => b.lines - a.lines);
}

const { cycles, upward, justified } = imports();
const dupes = clones();
const functions = longFunctions();
const files = longFiles();

const figures = {
  cycles: cycles.length, upward: upward.length, justifiedUpward: justified.length, repeatedBlocks: dupes.length,
  longFunctions: functions.length, longFiles: files.length,
};
const missed = figures.cycles > 0 || figures.upward > 0 || figures.justifiedUpward > MAX_UPWARD || figures.repeatedBlocks > 0 ||
  figures.longFunctions > 0 || figures.longFiles > 0;

if (json) {
  console.log(JSON.stringify(figures));
} else {
  const section = (title, items, show) => {
    console.log(`\n${title}: ${items.length}`);
    for (const item of items) console.log(`  ${show(item)}`);
  };
  section('Import cycles in src/ (target 0)', cycles, (v) => [v.from, ...v.cycle.map((c) => c.name ?? c)].join(' → '));
  section(`Imports up a layer, not justified (target 0; at most ${MAX_UPWARD} justified)`, upward, (v) => `${v.from} → ${v.to}  (${v.rule.name})`);
  section('Justified imports up a layer', justified, (v) => `${v.from} → ${v.to}  (${v.rule.name})`);
  section('Repeated blocks of 6+ lines in src/ (target 0)', dupes, (d) =>
    `${d.lines} lines: src/${d.firstFile.name}:${d.firstFile.start}-${d.firstFile.end} = src/${d.secondFile.name}:${d.secondFile.start}-${d.secondFile.end}`);
  section(`Functions over ${MAX_FUNCTION_LINES} lines in ${FUNCTION_DIRS.join(', ')} (target 0)`, functions, (f) => `${f.lines} lines: ${f.file}:${f.line} ${f.name}`);
  section(`Files over ${MAX_FILE_LINES} lines in src/ (target 0)`, files, (f) => `${f.lines} lines: ${f.file}`);
  console.log(`\nsummary: cycles ${figures.cycles}, upward ${figures.upward} (+${figures.justifiedUpward} justified), ` +
    `repeated blocks ${figures.repeatedBlocks}, long functions ${figures.longFunctions}, long files ${figures.longFiles}`);
}
if (strict && missed) process.exit(1);
