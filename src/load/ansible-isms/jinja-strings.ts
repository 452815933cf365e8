// Jinja2 in a task: in its argument strings and loop (Handlebars would fail on `{{ x | f }}` with a
// bare syntax error, and keep `{% if %}` as text), and in a `.j2` template it renders. Each is an
// input error at the value (or at the template's line:col) with the Handlebars to write instead.
import { existsSync } from 'node:fs';
import { visit } from 'yaml';
import { InputError, type SourcePos } from '../../core/errors.js';
import { readInputText } from '../../core/input-limits.js';
import { controllerPath, displayPath } from '../../core/paths.js';
import { isTemplated } from '../../core/templated.js';
import type { Issues } from '../issues.js';
import { jinjaHint } from '../jinja-hint.js';
import type { TaskDef } from '../model.js';
import { isScalar, type Scalar, type YamlSource } from '../yaml.js';
import { posInScalar } from './arguments.js';

/** The strings of a value (lists and mappings too), depth-first. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

/** 1-based line and column of an offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, col: offset - before.lastIndexOf('\n') };
}

/** A `.j2` template holding Jinja-only syntax: where, and what to write. */
function jinjaTemplate(def: TaskDef, issues: Issues): void {
  const src = def.args.src;
  if (def.op !== 'template' || typeof src !== 'string' || !src.endsWith('.j2') || isTemplated(src)) return;
  const file = controllerPath(def, 'templates', src);
  if (!existsSync(file)) return; // reported as a missing source
  const text = readInputText(file, { file: displayPath(file) });
  const found = jinjaHint(text);
  if (!found) return;
  issues.add(
    { file: displayPath(file), ...lineCol(text, found.offset) },
    `${found.message}; fleetplan templates are Handlebars: convert ${src} and name it ${src.replace(/\.j2$/, '.hbs')}`,
  );
}

/** Jinja2 in the task's argument strings, loop and `.j2` template. */
export function checkJinja(def: TaskDef, issues: Issues): void {
  const values: Array<[string, unknown, SourcePos]> = Object.entries(def.args).map(([k, v]) => [`argument '${k}'`, v, def.argPos[k] ?? def.pos]);
  if (typeof def.loop === 'string') values.push(['loop', def.loop, def.argPos.loop ?? def.pos]);
  for (const [what, value, pos] of values) {
    for (const s of strings(value)) {
      if (!s.includes('{')) continue;
      const found = jinjaHint(s);
      if (found) {
        issues.add(pos, `${what}: ${found.message}`);
        break;
      }
    }
  }
  jinjaTemplate(def, issues);
}

/** Jinja2 in the strings of a vars file (role defaults and vars, vars_files): one error per string. */
export function jinjaInVars(src: YamlSource): InputError[] {
  const out: InputError[] = [];
  visit(src.doc, {
    Scalar(_key, node) {
      if (!isScalar(node) || typeof node.value !== 'string' || !node.value.includes('{')) return;
      const found = jinjaHint(node.value);
      if (found) out.push(new InputError(found.message, { pos: posInScalar(src, node as Scalar, found.offset) }));
    },
  });
  return out;
}
