#!/usr/bin/env node
// Lines per function and per file, to hold the structure limits of issue 16 (no function over 80
// lines in src/engine and src/load, no file over 400 lines in src/). Parses with the TypeScript
// compiler, so a brace in a string or a regexp cannot miscount.
// Usage: node scripts/function-lengths.mjs [dir...] [--over N] [--files-over N]   (default: src, 80, 400)
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return Number(value);
};
const over = option('--over', 80);
const filesOver = option('--files-over', 400);
const dirs = args.length ? args : ['src'];

function* sources(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

/** A name for a function-like node: its own, or the variable, property or class member holding it. */
function nameOf(node) {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))) return parent.name.getText();
  return '(anonymous)';
}

const functions = [];
const files = [];
for (const dir of dirs) {
  for (const file of sources(dir)) {
    const text = fs.readFileSync(file, 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    files.push({ file, lines: sf.getLineAndCharacterOfPosition(sf.end).line + (text.endsWith('\n') ? 0 : 1) });
    const visit = (node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        const end = sf.getLineAndCharacterOfPosition(node.end).line;
        functions.push({ file, line: start + 1, name: nameOf(node), lines: end - start + 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
}

const longFunctions = functions.filter((f) => f.lines > over).sort((a, b) => b.lines - a.lines);
const longFiles = files.filter((f) => f.lines > filesOver).sort((a, b) => b.lines - a.lines);
console.log(`functions over ${over} lines: ${longFunctions.length}`);
for (const f of longFunctions) console.log(`  ${String(f.lines).padStart(4)}  ${f.file}:${f.line}  ${f.name}`);
console.log(`files over ${filesOver} lines: ${longFiles.length}`);
for (const f of longFiles) console.log(`  ${String(f.lines).padStart(4)}  ${f.file}`);
const longest = [...functions].sort((a, b) => b.lines - a.lines).slice(0, 5);
console.log(`longest functions: ${longest.map((f) => `${f.name} ${f.lines} (${path.basename(f.file)})`).join(', ')}`);
process.exitCode = longFunctions.length + longFiles.length > 0 ? 1 : 0;
