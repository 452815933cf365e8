// Package, service, user and group names as the operations accept them at validate time, before
// the host's backend is known: a name some backend's grammar accepts (src/backends/names.ts), or —
// with a literal `use:` — the grammar of that backend. Each backend checks its own again when it
// builds a command.
import { z } from 'zod';
import { ACCOUNT_NAME, DEB_PACKAGE, FREEBSD_PACKAGE, INIT_SCRIPT, nameProblem, PORT_ORIGIN, RPM_PACKAGE, SYSTEMD_UNIT, type NameGrammar } from '../backends/names.js';

/** Why no grammar accepts `name`, said plainly for the common attacks first. */
export function refusal(kind: string, grammars: readonly NameGrammar[], name: string): string | undefined {
  if (grammars.some((g) => nameProblem(g, name) === undefined)) return undefined;
  if (name.startsWith('-')) return `a ${kind} name must not start with '-' (it would be read as an option)`;
  if (/[\0-\x20\x7f]/.test(name)) return `a ${kind} name must not contain spaces, newlines or control characters`;
  if (name.includes('..') || name.startsWith('.')) return `a ${kind} name must not start with '.' or contain '..'`;
  const [only] = grammars;
  if (grammars.length === 1 && only) return `not ${only.what} (${nameProblem(only, name)})`;
  return `not a ${kind} name any backend accepts (${grammars.map((g) => `${g.what}: ${g.rule}`).join('; ')})`;
}

const named = (kind: string, grammars: readonly NameGrammar[]) =>
  z
    .string()
    .min(1)
    .superRefine((name, ctx) => {
      const why = refusal(kind, grammars, name);
      if (why) ctx.addIssue({ code: 'custom', message: why });
    });

export const PACKAGE_GRAMMARS = [DEB_PACKAGE, RPM_PACKAGE, FREEBSD_PACKAGE, PORT_ORIGIN] as const;
export const SERVICE_GRAMMARS = [SYSTEMD_UNIT, INIT_SCRIPT] as const;

export const packageName = named('package', PACKAGE_GRAMMARS);
export const serviceName = named('service', SERVICE_GRAMMARS);
export const accountName = named('user or group', [ACCOUNT_NAME]);

/** A file's owner or group: an account name, or a numeric id (chown takes both). */
export const ownerName = z
  .string()
  .min(1)
  .superRefine((name, ctx) => {
    const why = /^\d{1,10}$/.test(name) ? undefined : refusal('user or group', [ACCOUNT_NAME], name);
    if (why) ctx.addIssue({ code: 'custom', message: `${why}; or a numeric id` });
  });

/**
 * With a literal `use:`, the names must fit that backend's grammar (found in `registry`); issues
 * point at the offending name.
 */
export function fitsBackend<B extends { names: NameGrammar }>(
  registry: Record<string, B>,
  kind: string,
  any: readonly NameGrammar[],
  args: { use?: string; name: string | string[] },
  ctx: z.RefinementCtx,
): void {
  const backend = args.use ? registry[args.use] : undefined;
  if (!backend) return;
  const list = Array.isArray(args.name) ? args.name : [args.name];
  list.forEach((n, i) => {
    // A name no backend accepts was reported already.
    const why = refusal(kind, any, n) === undefined ? refusal(kind, [backend.names], n) : undefined;
    if (why) ctx.addIssue({ code: 'custom', message: `${why} (use: ${args.use})`, path: Array.isArray(args.name) ? ['name', i] : ['name'] });
  });
}
