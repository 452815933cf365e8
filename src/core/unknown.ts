// A value a dry run cannot know: the output of a task that does not run in check mode (a command's
// stdout, its rc), or anything registered by a task that was itself deferred. The condition evaluator
// (load/when.ts) and the templates (load/template.ts) recognise it and throw `Deferred`, naming the
// task it depends on, instead of computing with a guess: the dependent task is then reported as
// "deferred: depends on '<task>'" (engine/settle.ts), never as a prediction it cannot make.
// The engine also binds the names a play registers to a *pending* Unknown while it prepares the
// play's tasks up front: a task that touches one is prepared again just before it runs.
import { InputError } from './errors.js';

/** The task whose result is not known, or PENDING (a name registered later in the play). */
export const PENDING = '';

export class Unknown {
  constructor(readonly dependsOn: string) {}
  toString(): string {
    throw new Deferred(this.dependsOn);
  }
  [Symbol.toPrimitive](): never {
    throw new Deferred(this.dependsOn);
  }
  toJSON(): string {
    return `(unknown in a dry run: depends on '${this.dependsOn}')`;
  }
}

/** Thrown where a value a task needs is Unknown. An InputError, so every layer passes it through as is. */
export class Deferred extends InputError {
  constructor(readonly dependsOn: string) {
    // Control flow, not a fault: its stack is never shown. Capturing one for each that a run throws
    // (every name the play registers later, on every host) cost ≈ 0.7 ms of CPU per host (profiled).
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(dependsOn === PENDING ? 'depends on a value registered later in the play' : `deferred: depends on '${dependsOn}'`);
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/** Whether `v` is Unknown (a plain Unknown or the whole-result proxy of unknownResult). */
export function isUnknown(v: unknown): v is Unknown {
  return v instanceof Unknown;
}

/**
 * A whole value nothing is known about (a deferred task's registered result, a pending name): any
 * path below it is Unknown too — `out.stat.exists` as well as `out.rc` — so a lookup never reports
 * an undefined variable that only a real run could define.
 */
export function unknownResult(dependsOn: string): Unknown {
  const self: Unknown = new Proxy(new Unknown(dependsOn), {
    get: (target, key, receiver) => (key in target ? Reflect.get(target, key, receiver) : self),
    has: () => true,
    getOwnPropertyDescriptor: (target, key) =>
      Reflect.getOwnPropertyDescriptor(target, key) ?? { value: self, writable: false, enumerable: false, configurable: true },
  });
  return self;
}

/** The first Unknown anywhere in a value (rendered arguments, a loop list), if any. */
export function findUnknown(v: unknown, depth = 0): Unknown | undefined {
  if (isUnknown(v)) return v;
  if (depth > 32 || v === null || typeof v !== 'object') return undefined;
  for (const x of Array.isArray(v) ? v : Object.values(v)) {
    const u = findUnknown(x, depth + 1);
    if (u) return u;
  }
  return undefined;
}
