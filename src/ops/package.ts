// package: packages present, absent or latest, through the host's package backend (apt, yum/dnf, pkg),
// all missing packages installed in one command.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { requireSupport, type PackageBackend, type PackageState } from '../backends/backends.js';
import { packageBackends } from '../backends/select.js';
import { groupedByName, type StateQuery, type StateView } from '../state/query.js';
import type { ResourceId } from '../state/resource.js';
import { Unresolved, type Operation, type OpContext, type PlanResult } from './operation.js';
import { fitsBackend, PACKAGE_GRAMMARS, packageName } from './name-schema.js';
import { cacheArgs, cacheWanted, planCacheUpdate, type CacheWanted } from './package-cache.js';

const schema = lazySchema(() =>
  z
    .object({
      name: z.union([packageName, z.array(packageName).min(1)]).optional().describe('Package name or list of names (may be left out with update_cache)'),
      state: z.enum(['present', 'absent', 'latest']).default('present').describe('present installs when missing, latest also upgrades, absent removes'),
      use: z.string().optional().describe('Force a package backend instead of detecting it from facts'),
      ...cacheArgs,
    })
    .strict()
    .refine((a) => a.name !== undefined || a.update_cache === true || a.cache_valid_time !== undefined, {
      message: 'package needs `name` (or `update_cache: true` to only refresh the package cache)',
      path: ['name'],
    })
    .superRefine((a, ctx) => (a.name === undefined ? undefined : fitsBackend(packageBackends, 'package', PACKAGE_GRAMMARS, { ...a, name: a.name }, ctx))),
);

type Args = z.infer<ReturnType<typeof schema>>;

interface Resolved {
  args: Args;
  names: string[];
  backend: PackageBackend;
  query?: StateQuery<Record<string, PackageState>>;
  cache?: CacheWanted;
}

export function pickBackend<T>(use: string | undefined, registry: Record<string, T>, detected: T, kind: string): T {
  if (!use) return detected; // "" (an unset plan variable) means: detect from facts
  const b = registry[use];
  if (!b) throw new Error(`unknown ${kind} backend '${use}' (known: ${Object.keys(registry).join(', ')})`);
  return b;
}

export const packageResource = (name: string): ResourceId => ({ kind: 'package', name });

export const pkg: Operation<Args, Resolved> = {
  name: 'package',
  summary: 'Packages present, absent or at the latest version (apt, yum/dnf, pkg)',
  get schema() {
    return schema();
  },
  shorthand: 'name',
  resolve(args, ctx: OpContext) {
    const names = args.name === undefined ? [] : Array.isArray(args.name) ? args.name : [args.name];
    const backend = pickBackend(args.use, packageBackends, ctx.backends.package, 'package');
    requireSupport(backend, 'package', args.state);
    const candidate = args.state === 'latest';
    // One dpkg-query/rpm/pkg process for the packages of every task of the play (src/state/batch.ts).
    const query = names.length
      ? groupedByName(`package:${backend.name}:${candidate}`, names, (ns) => ({ ...backend.query(ns, { candidate }), paths: backend.statePaths }))
      : undefined;
    return { args, names, backend, query, cache: cacheWanted(backend, args) };
  },
  queries: (r) => [...(r.query ? [r.query] : []), ...(r.cache ? [r.cache.query] : [])],
  registerFields({ names, query }, state) {
    if (!query) return {};
    let raw: Record<string, PackageState> = {};
    try {
      raw = state.get(query);
    } catch {
      // Not read (a task prepared but never planned): nothing known.
    }
    const version = (n: string) => state.prediction<PackageState>(packageResource(n))?.installed ?? raw[n]?.installed ?? null;
    const versions = Object.fromEntries(names.map((n) => [n, version(n)]));
    return names.length === 1 ? { version: versions[names[0]!], versions } : { versions };
  },
  plan(r, state) {
    const refresh = r.cache ? planCacheUpdate(r.cache, state) : { changes: [], predicts: [] };
    const installs = r.query ? planPackages(r, r.query, state) : { changes: [], reason: undefined };
    const changes = [...refresh.changes, ...installs.changes];
    const predicts = [...refresh.predicts, ...(installs.effects?.predicts ?? [])];
    const reason = [installs.reason, refresh.fresh].filter(Boolean).join('; ') || undefined;
    // With changes, the reason says what they do: "update the package cache (apt; last updated 90000 s ago)".
    const doing = changes.map((c) => c.description).join('; ');
    return { changes, reason: changes.length ? doing : reason, effects: { ...installs.effects, predicts } };
  },
};

function planPackages({ args, names, backend }: Resolved, query: StateQuery<Record<string, PackageState>>, state: StateView): PlanResult {
  const raw = state.get(query);
  const current = (n: string): PackageState => state.prediction<PackageState>(packageResource(n)) ?? raw[n] ?? { installed: null };
  let todo: string[];
  let command: string;
  let verb: string;
  if (args.state === 'absent') {
    todo = names.filter((n) => current(n).installed !== null);
    command = backend.remove(todo);
    verb = 'remove';
  } else if (args.state === 'present') {
    todo = names.filter((n) => current(n).installed === null);
    command = backend.install(todo);
    verb = 'install';
  } else {
    const missingCandidate = names.filter((n) => current(n).installed === null && current(n).candidate === null);
    if (missingCandidate.length) throw new Unresolved(`no installable version of ${missingCandidate.join(', ')}`);
    todo = names.filter((n) => current(n).installed === null || (current(n).candidate && current(n).candidate !== current(n).installed));
    command = backend.install(todo);
    verb = 'install/upgrade';
  }
  if (todo.length === 0) {
    return { changes: [], reason: `${names.join(', ')} ${args.state === 'absent' ? 'not installed' : 'installed'} (${backend.name})` };
  }
  const after: PackageState = { installed: args.state === 'absent' ? null : 'predicted' };
  return {
    changes: [{ kind: 'run', description: `${verb} ${todo.join(' ')} (${backend.name})`, command }],
    effects: {
      predicts: todo.map((n) => ({ resource: packageResource(n), value: after })),
      // An install runs the package's scripts and may create anything; a removal is what it predicts.
      unpredictable: args.state !== 'absent' ? 'may-create-anything' : undefined,
    },
  };
}
