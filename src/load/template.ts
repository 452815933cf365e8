// Handlebars rendering of template files and of templated argument strings. Strict: a missing
// variable is an error naming the file, line and variable, never an empty string in a config file.
// No HTML escaping (these are config files). Compiled templates are cached by path + mtime.
import { statSync } from 'node:fs';
import Handlebars from 'handlebars';
import { InputError, type SourcePos } from '../core/errors.js';
import type { TaskDef, Vars } from './model.js';
import { checkRendered, limitLoopOutput, readInputText } from '../core/input-limits.js';
import { displayPath } from '../core/paths.js';
import { Secret, isPlainObject, markSecrets, revealDeep, type SecretRegistry } from '../core/secret.js';
import { registerHelpers } from './helpers/index.js';
import { JINJA_FILTER_HELPERS, jinjaHint } from './jinja-hint.js';
import { didYouMean } from './issues.js';
import { renderSecretsOf } from './helpers/helper.js';
import { registerValueCapture, valueOfCall } from './helper-value.js';
import { allPaths, templateRefs, type TemplateRef } from './template-refs.js';
import { lookupPath } from './when.js';
import { Deferred, findUnknown } from '../core/unknown.js';
import { guardUnknownArgs } from './unknown-helpers.js';
import { compileTemplate } from './hbs-template.js';
import { cacheableTemplate, cachedRender } from './render-cache.js';
import { lineColumn, parseErrorPosition, unclosedBlock } from './template-positions.js';

/** A private Handlebars environment: our helpers, nothing global. */
export const hbs = Handlebars.create();
limitLoopOutput(hbs);

type HelperOptions = { hash?: Record<string, unknown>; data?: RenderData };
/** Handlebars' `data` of one render: the run's secret registry, for helpers (options.data.secrets). */
interface RenderData {
  secrets: SecretRegistry;
}

// The helpers (src/load/helpers/, one file per group); their last argument is Handlebars' options.
registerHelpers(hbs);

/**
 * Taint through helpers, for every helper at once (ours and Handlebars' own, and any registered
 * later through this function): a helper that read a secret's value while computing its output
 * returns a Secret, which registers the output (so redaction masks it: upper-cased, quoted, joined,
 * indented...) and taints the enclosing helper or render in turn. A block helper's output is made of
 * its body, whose parts are tracked themselves, so it is returned as is (`{{#if pw}}yes{{/if}}` does
 * not make every "yes" secret). Idempotent per helper, so another wrapper (e.g. on `each`) combines.
 */
const WRAPPED = Symbol('secret-taint');
export function taintHelpers(env: typeof hbs): void {
  for (const [name, fn] of Object.entries(env.helpers) as [string, ((...args: unknown[]) => unknown) & { [WRAPPED]?: true }][]) {
    if (fn[WRAPPED]) continue;
    const wrapped = Object.assign(
      function (this: unknown, ...args: unknown[]) {
        const options = args.at(-1) as { fn?: unknown; data?: { secrets?: unknown } } | undefined;
        // Handlebars' own `unless` calls `if` with options of its making, without the render's data:
        // the `unless` around it tracks that call already.
        if (name === 'if' && options?.data === undefined) return fn.apply(this, args);
        const secrets = renderSecretsOf(options);
        const { value, tainted } = secrets.track(() => fn.apply(this, args));
        if (!tainted || options?.fn !== undefined || value instanceof Secret) return value;
        if ((typeof value === 'string' && value !== '') || typeof value === 'number') return new Secret(String(value), secrets);
        // A list or mapping computed from a secret (sort, combine, from_json...): every string in it
        // that holds a secret value becomes a Secret again.
        return markSecrets(value, secrets);
      },
      { [WRAPPED]: true as const },
    );
    env.registerHelper(name, wrapped);
  }
}

/** `{{log ...}}`: a debugging aid that never prints a secret (or anything computed from one). */
const hbsLog = hbs.helpers.log as (...args: unknown[]) => unknown;
hbs.registerHelper('log', function (this: unknown, ...args: unknown[]) {
  const secrets = renderSecretsOf(args.at(-1) as HelperOptions);
  const shown = args.slice(0, -1).map((a) => {
    const { value, tainted } = secrets.track(() => (typeof a === 'string' ? a : String(a)));
    return tainted ? '[redacted]' : secrets.redact(value);
  });
  return hbsLog.call(this, ...shown, args.at(-1));
});

// Handlebars' logger prints `{{log}}` on stdout, where it would corrupt `--json`: a template's log is a
// diagnostic, so it goes to stderr, at or above Handlebars' configured level as before.
const hbsLogger = Handlebars.logger as typeof Handlebars.logger & { lookupLevel(level: unknown): number };
hbs.log = (level: unknown, ...message: unknown[]) => {
  if (hbsLogger.lookupLevel(hbsLogger.level) <= hbsLogger.lookupLevel(level)) console.error(...message);
};

taintHelpers(hbs);
registerValueCapture(hbs);
guardUnknownArgs(hbs);

const BUILTIN_HELPERS = ['if', 'unless', 'each', 'with', 'lookup', 'log', 'blockHelperMissing', 'helperMissing'];

let helpers: ReadonlySet<string> | undefined;

/** Names usable as helpers (for telling a variable from a helper call when validating). All are registered above, at load. */
export function helperNames(): ReadonlySet<string> {
  return (helpers ??= new Set([...BUILTIN_HELPERS, ...Object.keys(hbs.helpers)]));
}

/** "unknown helper 'joinn' (did you mean 'join'?)", or the helper a Jinja filter name stands for. */
export function unknownHelperMessage(name: string): string {
  const mapped = JINJA_FILTER_HELPERS[name];
  const usable = [...helperNames()].filter((n) => !n.endsWith('Missing'));
  const hint = mapped !== undefined && mapped !== name ? ` (Jinja's '${name}' filter is the '${mapped}' helper here)` : didYouMean(name, usable);
  return `unknown helper '${name}'${hint}`;
}

const compileOptions = { noEscape: true, strict: true } as const;

export interface Compiled {
  source: string;
  ast: unknown;
  render: (vars: Vars, secrets: SecretRegistry) => string;
  /** One helper call's list or mapping value (helper-value.ts); undefined: render the text. */
  value?: (vars: Vars, secrets: SecretRegistry) => unknown;
}

/** Where a template came from, for messages: a file, or an argument at a plan position. */
interface Origin {
  /** Template file (messages point into it), or undefined for an argument string. */
  file?: string;
  /** Position of the argument in the plan/role file. */
  pos?: SourcePos;
  /** "argument 'content'" */
  what?: string;
}

function compile(source: string, origin: Origin): Compiled {
  let ast: unknown;
  // Jinja (an Ansible template) is answered with its Handlebars form; `{% if %}` would otherwise
  // pass as text into the file, `{{ x | f }}` fail as a bare syntax error.
  const jinja = source.includes('{') ? jinjaHint(source) : undefined;
  if (jinja) {
    const at = lineColumn(source, jinja.offset);
    throw located(origin, at.line, jinja.message, at.column);
  }
  try {
    ast = hbs.parse(source);
  } catch (err) {
    throw toInputError(err, source, undefined, origin);
  }
  const fn = compileTemplate(hbs, ast, compileOptions);
  const call = valueOfCall(hbs, ast, compileOptions);
  const value = call && ((vars: Vars, secrets: SecretRegistry) => call(vars, { secrets } satisfies RenderData));
  const compiled: Compiled = { source, ast, render: () => '', ...(value && { value }) };
  compiled.render = cachedRender<Vars>(
    (vars, secrets) => fn(vars, { data: { secrets } satisfies RenderData }),
    () => refsOfCompiled(compiled),
    () => cacheableTemplate(ast, helperNames()),
  );
  return compiled;
}

const fileCache = new Map<string, { mtimeMs: number; size: number; compiled: Compiled }>();
const stringCache = new Map<string, Compiled>();

/** Parse (and cache) a template file; syntax errors are InputErrors at the file's line. */
export function compileTemplateFile(file: string): Compiled {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new InputError('template not found', { pos: { file: displayPath(file) } });
  }
  const hit = fileCache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.compiled;
  const compiled = compile(readInputText(file, { file: displayPath(file) }), { file });
  fileCache.set(file, { mtimeMs: st.mtimeMs, size: st.size, compiled });
  return compiled;
}

export function renderTemplateFile(file: string, vars: Vars, secrets: SecretRegistry): string {
  const c = compileTemplateFile(file);
  try {
    return checkRendered(c.render(vars, secrets), () => 'template', { file: displayPath(file) });
  } catch (err) {
    throw toInputError(err, c.source, c.ast, { file });
  }
}

function compileString(text: string, origin: Origin): Compiled {
  let c = stringCache.get(text);
  if (!c) {
    c = compile(text, origin);
    if (stringCache.size > 10_000) stringCache.clear();
    stringCache.set(text, c);
  }
  return c;
}

/** A string that is exactly one variable reference keeps that variable's type (list, number, ...). */
const SINGLE_REF = /^\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}$/;

/**
 * Render one templated string. `"{{ ports }}"` alone yields the variable's own value (a list stays a
 * list, so schemas can check it); anything else renders to a string. Strings without `{{` are
 * returned unchanged. `secrets`: the run's registry (helpers create and track Secrets in it).
 */
export function renderString(text: string, vars: Vars, secrets: SecretRegistry, origin: Origin = {}): unknown {
  // `{%` alone: Jinja, which compiling answers with the Handlebars form (jinja-hint.ts).
  if (!text.includes('{{') && !text.includes('{%')) return text;
  const single = SINGLE_REF.exec(text);
  if (single) {
    const { found, value } = lookupPath(vars, single[1]!);
    if (!found) throw located(origin, undefined, `undefined variable '${single[1]}'`);
    const unknown = findUnknown(value);
    if (unknown) throw new Deferred(unknown.dependsOn);
    if (value !== null && typeof value === 'object') return revealDeep(value);
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return value;
    // null and anything else: render as Handlebars would.
  }
  const c = compileString(text, origin);
  try {
    const value = c.value?.(vars, secrets);
    if (value !== undefined) return value;
    return checkRendered(c.render(vars, secrets), () => origin.what ?? 'value', origin.pos);
  } catch (err) {
    throw toInputError(err, c.source, c.ast, origin);
  }
}

/** Render every string (deeply) in a task's arguments; Secrets become plain strings (and are recorded). */
export function renderArgs(task: Pick<TaskDef, 'args' | 'argPos' | 'pos'>, vars: Vars, secrets: SecretRegistry): Record<string, unknown> {
  const walk = (v: unknown, origin: Origin): unknown => {
    if (v instanceof Secret) {
      secrets.register(v.toString());
      return v.toString();
    }
    if (typeof v === 'string') {
      const { value: out, tainted } = secrets.track(() => renderString(v, vars, secrets, origin));
      // Every secret a render read and every helper output computed from one is registered, so the
      // value shows "user:[redacted]". Should a render have touched a secret and none of it be
      // recognisable in the output, the whole output is the secret.
      if (tainted && typeof out === 'string' && secrets.redact(out) === out) secrets.register(out);
      return out;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, origin));
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, origin)]));
    return v;
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(task.args)) {
    out[k] = walk(v, { pos: task.argPos[k] ?? task.pos, what: `argument '${k}'` });
  }
  return out;
}

/**
 * The raw value (Secrets kept) of a string that is exactly one variable reference, for derived
 * variables and loop lists: `x: "{{pw}}"` is as secret as `pw`. Undefined when `text` is no such
 * string or the variable is not defined (renderString then reports it).
 */
export function singleRefValue(text: string, vars: Vars): { value: unknown } | undefined {
  const single = SINGLE_REF.exec(text);
  if (!single || !lookupPath(vars, single[1]!).found) return undefined;
  return { value: lookupPathRaw(vars, single[1]!) };
}

function lookupPathRaw(vars: Vars, p: string): unknown {
  let cur: unknown = vars;
  for (const part of p.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
  return cur;
}

/**
 * The root references of an argument string whose output is a function of the values at them alone
 * (render-cache.ts: no impure helper, `this`, `../`, partials); [] for a plain string; undefined when
 * it does not qualify, or does not compile (rendering reports that, per host).
 */
export function keyableRefs(text: string): readonly TemplateRef[] | undefined {
  if (!text.includes('{{') && !text.includes('{%')) return [];
  try {
    const c = compileString(text, {});
    return cacheableTemplate(c.ast, helperNames()) ? refsOfCompiled(c) : undefined;
  } catch {
    return undefined;
  }
}

/** Refs of each compiled template: the same for every host, while every host asks for them. */
const refsCache = new WeakMap<Compiled, TemplateRef[]>();

/** Parse a template source for validation (syntax errors → InputError at `origin`). */
export function templateRefsOf(source: string, origin: Origin): TemplateRef[] {
  return refsOfCompiled(origin.file ? compileTemplateFile(origin.file) : compileString(source, origin));
}

function refsOfCompiled(c: Compiled): TemplateRef[] {
  let refs = refsCache.get(c);
  if (!refs) refsCache.set(c, (refs = templateRefs(c.ast, helperNames())));
  return refs;
}

/** Position of a template location, in the file itself or (for an argument) at the argument. */
export function templatePos(origin: Origin, line?: number, column?: number): SourcePos | undefined {
  if (origin.file) return { file: displayPath(origin.file), line, col: column !== undefined ? column + 1 : undefined };
  return origin.pos;
}

function located(origin: Origin, line: number | undefined, message: string, column?: number): InputError {
  const pos = templatePos(origin, line, column);
  const inValue = !origin.file && line !== undefined && line > 1 ? ` (line ${line} of the value)` : '';
  return new InputError(`${origin.what ? `${origin.what}: ` : ''}${message}${inValue}`, { pos });
}

/** Turn a Handlebars exception into an InputError naming the variable and its line. */
function toInputError(err: unknown, source: string, ast: unknown, origin: Origin): InputError {
  if (err instanceof InputError) return err;
  const e = err as Error & { lineNumber?: number; column?: number; endLineNumber?: number; endColumn?: number; hash?: { loc?: { first_line: number; first_column: number } } };
  const msg = e.message ?? String(err);

  // Strict lookup failed: `"relay_host" not defined in [object Object] - 14:4`.
  const notDefined = /^"([^"]+)" not defined in/.exec(msg);
  if (notDefined && e.lineNumber !== undefined) {
    const name = notDefined[1]!;
    const at = ast ? allPaths(ast).find((p) => p.loc?.start.line === e.lineNumber && p.loc?.start.column === e.column) : undefined;
    // Report the whole path up to the missing segment: `relay.host`, not just `host`.
    const full = at ? at.parts.slice(0, at.parts.indexOf(name) + 1).join('.') || name : name;
    const helperCall = at ? isHelperPosition(ast, at.loc) : false;
    return located(origin, e.lineNumber, helperCall ? unknownHelperMessage(name) : `undefined variable '${full}'`, e.column);
  }
  // A parent segment was undefined in a helper parameter: `{{default a.b "x"}}` without `a`.
  const reading = /Cannot read properties of (?:undefined|null) \(reading '([^']+)'\)/.exec(msg) ?? /Cannot use 'in' operator to search for '([^']+)'/.exec(msg);
  if (reading && ast) {
    const seg = reading[1]!;
    const at = allPaths(ast).find((p) => p.parts.indexOf(seg) > 0) ?? allPaths(ast).find((p) => p.parts.includes(seg));
    const idx = at ? Math.max(1, at.parts.indexOf(seg)) : 0;
    const name = at ? at.parts.slice(0, idx).join('.') : seg;
    return located(origin, at?.loc?.start.line, `undefined variable '${name}'`, at?.loc?.start.column);
  }
  // Syntax errors: "Parse error on line 3:" or "... - 3:5" (mismatched blocks).
  const parseLine = /Parse error on line (\d+)/.exec(msg);
  if (parseLine) {
    const detail = msg.split('\n').slice(-1)[0]?.trim();
    // End of input inside a block: point at the block left open, not at the end of the file.
    const open = /got 'EOF'/.test(detail ?? '') ? unclosedBlock(source) : undefined;
    if (open) {
      return located(origin, open.line, `template syntax error: '{{#${open.name}}}' is never closed (expected '{{/${open.name}}}' before the end)`, open.column);
    }
    const openTag = /got 'EOF'/.test(detail ?? '') ? source.lastIndexOf('{{') : -1;
    if (openTag >= 0 && !source.includes('}}', openTag)) {
      const at = lineColumn(source, openTag);
      return located(origin, at.line, `template syntax error: '{{' is never closed (expected '}}')`, at.column);
    }
    const at = parseErrorPosition(source, msg, Number(parseLine[1]));
    return located(origin, at.line, `template syntax error: ${detail}`, at.column);
  }
  if (e.lineNumber !== undefined) {
    return located(origin, e.lineNumber, `template error: ${msg.replace(/ - \d+:\d+$/, '')}`, e.column);
  }
  // A helper refused its arguments (helpers/helper.ts): point at the (first) call of that helper.
  const helper = /^helper '([^']+)':/.exec(msg)?.[1];
  const call = helper && ast ? allPaths(ast).find((p) => p.original === helper) : undefined;
  if (call?.loc) return located(origin, call.loc.start.line, `template error: ${msg}`, call.loc.start.column);
  return located(origin, undefined, `template error: ${msg}`);
}

/** Is the path at `loc` the callee of a mustache/sub-expression with parameters? */
function isHelperPosition(ast: unknown, loc: unknown): boolean {
  let found = false;
  const visit = (v: unknown): void => {
    if (found || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(visit);
    const n = v as { type?: string; path?: { loc?: unknown }; params?: unknown[]; hash?: unknown };
    if ((n.type === 'MustacheStatement' || n.type === 'SubExpression' || n.type === 'BlockStatement') && n.path?.loc === loc && ((n.params?.length ?? 0) > 0 || n.hash)) {
      found = true;
      return;
    }
    for (const [k, x] of Object.entries(n)) if (k !== 'loc') visit(x);
  };
  visit(ast);
  return found;
}
