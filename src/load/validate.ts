// Pre-flight without facts: for every host a plan targets, every variable a task argument or a
// template reads from the root scope must be defined in some layer. This turns "undefined variable"
// from a failure on host 37 halfway through a run into a load-time error with file:line:col.
//
// What counts as defined for a host: its group and host vars, plan vars, extra vars, the role's
// defaults and params, `default.yml` of the role's per-OS vars, a variable defined in *every* per-OS
// vars file of the role (whichever file a host picks, it is there), `facts.<name>` for the names in
// CORE_FACT_NAMES (and EXTENDED_FACT_NAMES when a play of the host gathers facts), their ansible_*
// names, inventory_hostname, group_names and the magic variables (groups, hostvars, play_hosts, ...).
// A task guarded by a condition that proves a variable defined (`{x: {defined: true}}`, any other test
// of x, in its own `when:` or its play's or role entry's) may use it.
import { InputError, type SourcePos } from '../core/errors.js';
import { findCycles } from './cycles.js';
import { groupVarLayers, selectHosts } from './inventory.js';
import { checkDelegates } from './delegate-check.js';
import { sortErrors } from './issues.js';
import type { Condition, Inventory, Plan, Play, RoleRef, TaskDef, Vars } from './model.js';
import { controllerPath } from '../core/paths.js';
import { isPlainObject, reveal, SecretRegistry } from '../core/secret.js';
import type { TemplateRef } from './template-refs.js';
import { templatePos, templateRefsOf, unknownHelperMessage } from './template.js';
import { typedTemplateProblem } from './args.js';
import { operations } from '../ops/registry.js';
import { buildHostVars, RESERVED_VARS } from './vars.js';
import { conditionRefs, guardedPaths, isGuarded } from './when.js';
import { playHostVars } from './magic-vars.js';
import { OPAQUE, factsKnowledge, type RunKnowledge } from './validate-facts.js';
import { eachTask, type TreeVisit } from './task-tree.js';
import { registeredNames } from './registered.js';
import { definitionLocator, type Locator } from './definition-locator.js';

export { definitionLocator, type Locator };


interface Scope {
  known: Vars;
  /** Top-level names defined but with unknown content (per-OS vars): nested lookups are not checked. */
  opaque: Set<string>;
  /** Names defined in some but not all per-OS vars files, for a hint. */
  partial: Map<string, string[]>;
  /** Variable paths a condition around the task proves defined (guardedPaths). */
  guarded?: ReadonlySet<string>;
}

interface Finding {
  pos?: SourcePos;
  message: string;
  hosts: string[];
}

export function validatePlanVars(plan: Plan, inventory: Inventory, extraVars: Vars, onlyHosts?: readonly string[]): InputError[] {
  const findings = new Map<string, Finding>();
  const errors: InputError[] = [];
  const seenErrors = new Set<string>();
  const addError = (e: InputError) => {
    if (!seenErrors.has(e.describe())) {
      seenErrors.add(e.describe());
      errors.push(e);
    }
  };
  const report = (pos: SourcePos | undefined, message: string, host?: string) => {
    const key = `${pos?.file}:${pos?.line}:${pos?.col}:${message}`;
    let f = findings.get(key);
    if (!f) findings.set(key, (f = { pos, message, hosts: [] }));
    if (host && !f.hosts.includes(host)) f.hosts.push(host);
  };
  const only = onlyHosts ? new Set(onlyHosts) : undefined;
  const locate = definitionLocator(plan, inventory);
  const facts = factsKnowledge(plan, inventory);
  // register: and set_fact names exist once their task ran: defined, their content unknown here.
  const runtime = registeredNames(plan);

  for (const play of plan.plays) {
    let hosts: string[];
    try {
      hosts = selectHosts(inventory, play.hosts, undefined, { pos: play.hostsPos ?? play.pos });
    } catch (err) {
      if (err instanceof InputError) addError(err);
      else throw err;
      continue;
    }
    if (only) hosts = hosts.filter((h) => only.has(h));
    // What is defined for a host depends on its groups and on the shape of its own variables, not on
    // their plain values (addresses, names): a fleet of alike hosts is checked once, the rest named.
    const checked = new Map<string, Array<[SourcePos | undefined, string]>>();
    for (const host of hosts) {
      const entry = inventory.hosts.get(host);
      const key = JSON.stringify([entry?.groups ?? null, definitionShape(entry?.vars)]);
      const earlier = checked.get(key);
      if (earlier) {
        for (const [pos, message] of earlier) report(pos, message, host);
        continue;
      }
      const found: Array<[SourcePos | undefined, string]> = [];
      checked.set(key, found);
      const reportHost: Report = (pos, message, h) => {
        if (h !== undefined) found.push([pos, message]);
        report(pos, message, h);
      };
      const run: RunKnowledge = { extraVars, facts: facts.of(host), magic: { ...facts.magic, ...playHostVars(hosts, hosts) } };
      checkPlayOnHost({ inventory, play, host, run, runtime, report: reportHost, addError, locate });
    }
  }

  for (const e of checkDelegates(plan, inventory)) addError(e);
  for (const f of findings.values()) {
    const who = f.hosts.length === 0 ? '' : f.hosts.length === 1 ? ` for host ${f.hosts[0]}` : ` for hosts ${f.hosts.slice(0, 5).join(', ')}${f.hosts.length > 5 ? ` (+${f.hosts.length - 5} more)` : ''}`;
    errors.push(new InputError(`${f.message}${who}`, { pos: f.pos }));
  }
  return sortErrors(errors);
}

/** What one host of a play is checked with. */
interface PlayCheck {
  inventory: Inventory;
  play: Play;
  host: string;
  run: RunKnowledge;
  runtime: ReadonlySet<string>;
  report: Report;
  addError: (e: InputError) => void;
  locate: ReturnType<typeof definitionLocator>;
}

/** Every task, handler, role entry and condition of one play, for one host. */
function checkPlayOnHost({ inventory, play, host, run, runtime, report, addError, locate }: PlayCheck): void {
  const inPlay = [play.when];
  const scopes = new Map<RoleRef | undefined, Scope>();
  const scopeOf = (ref?: RoleRef): Scope => {
    let scope = scopes.get(ref);
    if (scope) return scope;
    scopes.set(ref, (scope = scopeFor(inventory, host, play, ref, run, runtime)));
    checkVars(scope, host, report, addError, locate);
    if (ref?.when) checkWhen(ref.when, { ...scope, guarded: guardedPaths(inPlay) }, host, report);
    return scope;
  };
  const around = (ref?: RoleRef) => (ref ? [play.when, ref.when] : inPlay);
  const playScope = scopeOf();
  if (play.when) checkWhen(play.when, playScope, host, report);
  for (const ref of play.roles) scopeOf(ref);
  // Every task of the tree with the role around it; what includes, rescues and its own vars bind is known to exist.
  const check = (t: TaskDef, at: TreeVisit) =>
    checkTask(t, withBound(scopeOf(at.ref), [...at.bound, ...Object.keys(t.vars ?? {})]), host, report, addError, around(at.ref));
  for (const list of [play.preTasks ?? [], play.tasks, play.postTasks ?? []]) eachTask(list, check);
  for (const ref of play.roles) eachTask(ref.role.tasks, check, { ref, bound: [] });
  for (const t of play.handlers.filter((h) => !h.role)) checkTask(t, scopeOf(), host, report, addError, inPlay);
  const done = new Set<RoleRef['role']>();
  for (const ref of [...play.roles, ...(play.taskRoles ?? [])]) {
    if (!done.has(ref.role)) for (const t of ref.role.handlers) checkTask(t, scopeOf(ref), host, report, addError, around(ref));
    done.add(ref.role);
  }
}

/**
 * What the checks below can tell apart in a host's variables: names, nesting, and templated strings
 * (their references are checked); any other value only counts as defined.
 */
function definitionShape(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('{{') ? value : 0;
  if (Array.isArray(value)) return value.map(definitionShape);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, definitionShape(v)]));
  return value === undefined ? undefined : 0;
}

function scopeFor(inventory: Inventory, host: string, play: Play, ref: RoleRef | undefined, run: RunKnowledge, runtime: ReadonlySet<string>): Scope {
  const { extraVars } = run;
  const opaque = new Set<string>();
  const partial = new Map<string, string[]>();
  const osLayers: Vars[] = [];
  if (ref) {
    const files = Object.entries(ref.role.osVars);
    const def = files.find(([stem]) => stem.toLowerCase() === 'default');
    if (def) osLayers.push(def[1].vars);
    const specific = files.filter(([stem]) => stem.toLowerCase() !== 'default');
    const counts = new Map<string, string[]>();
    for (const [stem, f] of specific) for (const k of Object.keys(f.vars)) counts.set(k, [...(counts.get(k) ?? []), stem]);
    for (const [k, stems] of counts) {
      if (def && k in def[1].vars) continue;
      if (stems.length === specific.length) opaque.add(k);
      else partial.set(k, stems);
    }
  }
  const hostEntry = inventory.hosts.get(host);
  const known = buildHostVars({
    roleDefaults: ref?.role.defaults,
    roleOsVars: osLayers,
    groupVars: groupVarLayers(inventory, host),
    hostVars: hostEntry?.vars,
    playVars: play.vars,
    roleParams: ref?.params,
    extraVars,
    facts: run.facts,
    inventoryHostname: host,
    groupNames: hostEntry?.groups.filter((g) => g !== 'all') ?? [],
    magic: run.magic,
  });
  // Per-OS names are known to exist; a layer above may still give them a concrete value.
  for (const k of opaque) if (k in known) opaque.delete(k);
  for (const k of runtime) opaque.add(k);
  return { known, opaque, partial };
}

/** `scope` with `names` known to exist, their shape unknown (an include's loop item, a task's vars). */
function withBound(scope: Scope, names: string[]): Scope {
  return names.length ? { ...scope, opaque: new Set([...scope.opaque, ...names]) } : scope;
}

/** Does `ref` resolve in `scope`? Returns the undefined prefix ("relay.host") or undefined when fine. */
function missing(ref: TemplateRef, scope: Scope): string | undefined {
  if (ref.strictParts === 0) return undefined;
  if (scope.guarded && isGuarded(ref.parts.slice(0, ref.strictParts).join('.'), scope.guarded)) return undefined;
  const [first, ...rest] = ref.parts;
  if (scope.opaque.has(first!)) return undefined;
  if (!Object.prototype.hasOwnProperty.call(scope.known, first!) || scope.known[first!] === undefined) return first;
  let cur: unknown = scope.known[first!];
  for (let i = 0; i < ref.strictParts - 1; i++) {
    cur = reveal(cur);
    if (cur === OPAQUE || !isPlainObject(cur)) return undefined; // facts, strings, lists: not checked deeper
    const seg = rest[i]!;
    if (!Object.prototype.hasOwnProperty.call(cur, seg) || cur[seg] === undefined) return ref.parts.slice(0, i + 2).join('.');
    cur = cur[seg];
  }
  return undefined;
}

function checkTask(
  task: TaskDef,
  scope: Scope,
  host: string,
  report: (pos: SourcePos | undefined, message: string, host?: string) => void,
  addError: (e: InputError) => void,
  /** The conditions around the task (play, role entry, blocks), outermost first. */
  enclosing: readonly (Condition | undefined)[] = [],
): void {
  // A loop's item variable exists only per item: known to exist, its shape not checked.
  if (task.loop !== undefined) scope = { ...scope, opaque: new Set([...scope.opaque, task.loopVar ?? 'item']) };
  // What the conditions around and on the task prove defined, the task may use.
  const guarded = guardedPaths([...enclosing, task.when]);
  if (guarded.size > 0) scope = { ...scope, guarded };
  const check = (refs: TemplateRef[], posOf: (r: TemplateRef) => SourcePos | undefined, prefix: string) => {
    for (const r of refs) {
      if (r.unknownHelper) {
        report(posOf(r), `${prefix}${unknownHelperMessage(r.original)}`);
        continue;
      }
      const name = missing(r, scope);
      if (!name) continue;
      const stems = scope.partial.get(name);
      const hint = stems ? ` (defined only in vars/${stems.join('.yml, vars/')}.yml; add it to vars/default.yml or defaults.yml)` : '';
      report(posOf(r), `${prefix}undefined variable '${name}'${hint}`, host);
    }
  };
  const safely = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof InputError) addError(err);
      else throw err;
    }
  };

  if (task.when) checkWhen(task.when, { ...scope, guarded: guardedPaths(enclosing) }, host, report);

  // Templated argument strings: errors point at the argument in the plan or role file.
  const templated: Array<[string, unknown]> = Object.entries(task.args);
  if (typeof task.loop === 'string') templated.push(['loop', task.loop]);
  for (const [arg, value] of templated) {
    const origin = { pos: task.argPos[arg] ?? task.pos, what: arg === 'loop' ? 'loop' : `argument '${arg}'` };
    for (const s of strings(value, [])) safely(() => check(templateRefsOf(s, origin), () => origin.pos, `${origin.what}: `));
  }

  // Typed arguments from a variable: `enabled: "{{x}}"` with x "maybe" fails here, not on a host.
  const op = operations.get(task.op);
  for (const [arg, value] of op ? Object.entries(task.args) : []) {
    const problem = typeof value === 'string' ? typedTemplateProblem(op!, arg, value, scope.known, scope.opaque) : undefined;
    if (problem) report(task.argPos[arg] ?? task.pos, `argument '${arg}' of '${task.op}': ${problem}`, host);
  }

  // Template files: errors point into the template at the reference.
  const src = task.args.src;
  if (task.op === 'template' && typeof src === 'string' && !src.includes('{{')) {
    const file = controllerPath(task, 'templates', src);
    safely(() => check(templateRefsOf('', { file }), (r) => templatePos({ file }, r.loc?.start.line, r.loc?.start.column), ''));
  }
}

type Report = (pos: SourcePos | undefined, message: string, host?: string) => void;

/**
 * `when:` reads variables too, and an undefined one fails the host at run time: report it now, unless
 * the condition tests it with `defined:` or it comes from some per-OS vars files only (an OS test in
 * the same condition may be what keeps it from being read).
 */
function checkWhen(cond: Condition, scope: Scope, host: string, report: Report): void {
  const refs = conditionRefs(cond);
  const guarded = new Set(refs.filter((r) => r.guarded).map((r) => r.path.split('.')[0]!));
  for (const r of refs) {
    const parts = r.path.split('.');
    if (guarded.has(parts[0]!) || scope.partial.has(parts[0]!)) continue;
    if (scope.guarded && isGuarded(r.path, scope.guarded)) continue;
    const name = missing({ parts, strictParts: parts.length, original: r.path }, scope);
    if (name) report(r.pos, `when: undefined variable '${name}' (test it with {${r.path}: {defined: true}} if it may be missing)`, host);
  }
}

const RESERVED = new Set<string>(RESERVED_VARS);

/** The template strings somewhere in a value (nested lists and mappings too), in order. */
function strings(v: unknown, out: string[]): string[] {
  // `{%`: a Jinja statement in an argument, which the template compiler answers with a hint.
  if (typeof v === 'string' && (v.includes('{{') || v.includes('{%'))) out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (isPlainObject(v)) Object.values(v).forEach((x) => strings(x, out));
  return out;
}

/**
 * The refs of a variable's template. Where it is written is looked up (by reading the files that can
 * hold it again) only when it does not compile: a template that compiled once compiles again.
 */
function refsLocated(text: string, what: string, pos: () => SourcePos | undefined): TemplateRef[] {
  try {
    return templateRefsOf(text, { what });
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return templateRefsOf(text, { pos: pos(), what });
  }
}

/**
 * Variables referencing other variables (`relayhost: "[{{relay_host}}]"`) are rendered per host before
 * any task, so an undefined reference or a cycle among them fails every host at run time: report them
 * now, at the variable's definition.
 */
function checkVars(scope: Scope, host: string, report: Report, addError: (e: InputError) => void, locate: Locator): void {
  const edges = new Map<string, string[]>();
  for (const [name, value] of Object.entries(scope.known)) {
    if (RESERVED.has(name)) continue;
    const texts = strings(value, []);
    if (texts.length === 0) continue;
    const what = `variable '${name}'`;
    for (const text of texts) {
      let refs: TemplateRef[];
      try {
        refs = refsLocated(text, what, () => locate(name, text));
      } catch (err) {
        if (err instanceof InputError) addError(err);
        else throw err;
        continue;
      }
      for (const r of refs) {
        if (r.unknownHelper) {
          report(locate(name, text), `${what}: ${unknownHelperMessage(r.original)}`);
          continue;
        }
        const root = r.parts[0]!;
        if (!RESERVED.has(root) && Object.hasOwn(scope.known, root)) edges.set(name, [...(edges.get(name) ?? []), root]);
        const undef = missing(r, scope);
        if (undef) report(locate(name, text), `${what}: undefined variable '${undef}'`, host);
      }
    }
  }
  // Cycles, each reported once at the definition of the variable where it was entered.
  findCycles(edges.keys(), (name) => (edges.get(name) ?? []).map((next) => [next, next] as const), (cycle, next) => {
    report(locate(next, strings(scope.known[next], [])[0]), `variables reference each other in a cycle: ${cycle.join(' → ')}`, host);
  });
}
