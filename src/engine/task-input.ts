// What a task's preparation decides from variables alone — whether its `when:` (and its role entry's)
// hold and, if so, its arguments rendered, merged with its `environment:`, coerced and checked against
// the operation's schema — is the same on every host where the variables it reads hold the same
// values. On a plan of 20 like hosts most tasks read only role defaults and group variables, so this is
// done once per run for each set of values, not once per host (profiled: most of a no-change run's
// per-host preparation). It extends the render cache's idea (load/render-cache.ts) and keeps its rules:
// plain values compared, a secret only as the same object, unknown values, `hostvars` and impure
// helpers never shared; errors (which name their host) never kept. What depends on the host itself
// (become, the operation's resolve and queries, with its facts and backends) is still done per host.
import type { Play, RoleRef, TaskDef, Vars } from '../load/model.js';
import { keptOrComputed, type RunCache } from '../load/render-cache.js';
import { keyableRefs } from '../load/template.js';
import type { TemplateRef } from '../load/template-refs.js';
import { conditionRefs } from '../load/when.js';
import { isPlainObject, type SecretRegistry } from '../core/secret.js';
import type { Operation } from '../ops/operation.js';

/** A task's `when:` is false here, or it holds and these are its checked arguments. */
export type TaskInput = { holds: false } | { holds: true; data: unknown };

interface Slot {
  /** The paths its conditions, arguments and environment read; undefined: not shared (see above). */
  refs: readonly TemplateRef[] | undefined;
  runs: WeakMap<SecretRegistry, RunCache<TaskInput>>;
}

/** Per task definition, per play (its environment) and role entry (its `when:`). */
const slots = new WeakMap<TaskDef, Map<Play, Map<RoleRef | undefined, Slot>>>();

/**
 * `decide(vars)` for this task, shared by the hosts whose values at what it reads are equal. Each
 * caller gets containers of its own (an operation may build on its arguments), the values in them shared.
 */
export function taskInput(play: Play, def: TaskDef, ref: RoleRef | undefined, op: Operation, vars: Vars, secrets: SecretRegistry, decide: () => TaskInput): TaskInput {
  const slot = slotOf(play, def, ref, op);
  if (!slot.refs) return decide();
  const refs = slot.refs;
  const input = keptOrComputed(slot.runs, secrets, vars, () => refs, decide);
  return input.holds ? { holds: true, data: freshContainers(input.data) } : input;
}

function slotOf(play: Play, def: TaskDef, ref: RoleRef | undefined, op: Operation): Slot {
  let byPlay = slots.get(def);
  if (!byPlay) slots.set(def, (byPlay = new Map()));
  let byRef = byPlay.get(play);
  if (!byRef) byPlay.set(play, (byRef = new Map()));
  let slot = byRef.get(ref);
  if (!slot) byRef.set(ref, (slot = { refs: readRefs(play, def, ref, op), runs: new WeakMap() }));
  return slot;
}

/** Every path the task's conditions, rendered arguments and environment read; undefined if one does not qualify. */
function readRefs(play: Play, def: TaskDef, ref: RoleRef | undefined, op: Operation): TemplateRef[] | undefined {
  const out: TemplateRef[] = [];
  for (const cond of [ref?.when, def.when]) {
    if (cond === undefined) continue;
    for (const { path } of conditionRefs(cond)) out.push({ parts: path.split('.'), strictParts: 0, original: path });
  }
  const conditions = op.conditionArgs ?? [];
  const rendered = [...Object.entries(def.args).filter(([k]) => !conditions.includes(k)).map(([, v]) => v)];
  if (op.envArg) rendered.push(play.environment, def.environment);
  for (const v of rendered) if (!stringRefs(v, out)) return undefined;
  return out;
}

/** The refs of every string in `v` (added to `out`); false when one does not qualify. */
function stringRefs(v: unknown, out: TemplateRef[]): boolean {
  if (typeof v === 'string') {
    const refs = keyableRefs(v);
    if (refs) out.push(...refs);
    return refs !== undefined;
  }
  if (Array.isArray(v)) return v.every((x) => stringRefs(x, out));
  if (isPlainObject(v)) return Object.values(v).every((x) => stringRefs(x, out));
  return true;
}

/** Lists and mappings copied (as a render makes them per host), everything in them as it is. */
function freshContainers(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(freshContainers);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) out[keys[i]!] = freshContainers(v[keys[i]!]);
  return out;
}
