// A helper given a value a dry run cannot know (core/unknown.ts) throws Deferred instead of computing
// with it: `{{#if out.changed}}` must not pick a branch, `{{default out.stdout "x"}}` must not pick a
// side. Applied to every helper of an environment (built-in ones included), idempotent per helper.
import { Deferred, isUnknown } from '../core/unknown.js';

const GUARDED = Symbol('unknown-guard');

type Helper = ((...args: unknown[]) => unknown) & { [GUARDED]?: true };

export function guardUnknownArgs(env: { helpers: Record<string, unknown>; registerHelper(name: string, fn: Helper): void }): void {
  for (const [name, fn] of Object.entries(env.helpers) as [string, Helper][]) {
    if (fn[GUARDED]) continue;
    const guarded = Object.assign(
      function (this: unknown, ...args: unknown[]) {
        for (const a of args.slice(0, -1)) if (isUnknown(a)) throw new Deferred(a.dependsOn);
        if (isUnknown(this)) throw new Deferred(this.dependsOn);
        return fn.apply(this, args);
      },
      { [GUARDED]: true as const },
    );
    for (const key of Object.getOwnPropertySymbols(fn)) (guarded as unknown as Record<symbol, unknown>)[key] ??= (fn as unknown as Record<symbol, unknown>)[key];
    env.registerHelper(name, guarded);
  }
}
