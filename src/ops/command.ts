// command: a shell command made idempotent by guards. `creates`/`removes` test a path, `unless`/
// `onlyif` run a read-only check command; the guards are read with the rest of the state, so a
// command whose guard says "done" costs no extra round trip.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { shQuote } from '../core/quote.js';
import { commandStatusQuery } from '../state/command-status.js';
import { fileQuery } from '../state/file-state.js';
import type { StateQuery } from '../state/query.js';
import type { Operation } from './operation.js';
import { absolutePath, commandString } from './path-schema.js';

const schema = lazySchema(() =>
  z
    .object({
      cmd: commandString.describe('Shell command (POSIX sh) to run'),
      creates: absolutePath.optional().describe('Skip when this path exists'),
      removes: absolutePath.optional().describe('Skip when this path does not exist'),
      unless: commandString.optional().describe('Skip when this read-only check command exits 0'),
      onlyif: commandString.optional().describe('Run only when this read-only check command exits 0'),
      chdir: absolutePath.optional().describe('Directory to run in'),
      env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional().describe('Environment variables'),
    })
    .strict(),
);

type Args = z.infer<ReturnType<typeof schema>>;

interface Resolved {
  args: Args;
  creates?: StateQuery<{ exists: boolean }>;
  removes?: StateQuery<{ exists: boolean }>;
  unless?: StateQuery<{ exitCode: number }>;
  onlyif?: StateQuery<{ exitCode: number }>;
}

/**
 * The command with its directory and environment. Variables are exported by the shell that runs it (a builtin),
 * never passed as `env NAME=value` words: a value (say, a password) must not show in the host's process list.
 */
function fullCommand(a: Args): string {
  const env = Object.entries(a.env ?? {}).map(([k, v]) => `export ${k}=${shQuote(String(v))}`);
  const setup = [...(a.chdir ? [`cd ${shQuote(a.chdir)}`] : []), ...env];
  return setup.length ? `${setup.join(' && ')} && eval ${shQuote(a.cmd)}` : a.cmd;
}

export const command: Operation<Args, Resolved> = {
  name: 'command',
  summary: 'Run a shell command, made idempotent with creates/removes/unless/onlyif',
  get schema() {
    return schema();
  },
  shorthand: 'cmd',
  envArg: 'env',
  resolve(args) {
    for (const k of Object.keys(args.env ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`env name '${k}' is not a valid variable name`);
    }
    return {
      args,
      creates: args.creates !== undefined ? fileQuery(args.creates) : undefined,
      removes: args.removes !== undefined ? fileQuery(args.removes) : undefined,
      unless: args.unless !== undefined ? commandStatusQuery(args.unless, args.chdir) : undefined,
      onlyif: args.onlyif !== undefined ? commandStatusQuery(args.onlyif, args.chdir) : undefined,
    };
  },
  queries: (r) => [r.creates, r.removes, r.unless, r.onlyif].filter((q): q is StateQuery<any> => q !== undefined),
  plan(r, state) {
    const a = r.args;
    if (r.creates && state.get(r.creates).exists) return { changes: [], reason: `not run: ${a.creates} exists (creates)` };
    if (r.removes && !state.get(r.removes).exists) return { changes: [], reason: `not run: ${a.removes} does not exist (removes)` };
    if (r.unless && state.get(r.unless).exitCode === 0) return { changes: [], reason: `not run: \`${a.unless}\` succeeded (unless)` };
    if (r.onlyif && state.get(r.onlyif).exitCode !== 0) return { changes: [], reason: `not run: \`${a.onlyif}\` failed (onlyif)` };
    const guards = [
      a.creates && `${a.creates} is missing`,
      a.removes && `${a.removes} exists`,
      a.unless && `\`${a.unless}\` fails`,
      a.onlyif && `\`${a.onlyif}\` succeeds`,
    ].filter(Boolean);
    return {
      changes: [{ kind: 'run', description: `run ${a.cmd}`, command: fullCommand(a) }],
      reason: guards.length ? `guard lets it run: ${guards.join(', ')}` : undefined,
      // A command with `creates` has declared what it makes; any other may create anything.
      effects: { unpredictable: a.creates === undefined ? 'may-create-anything' : 'other-changes' },
    };
  },
  registerFields: (r) => ({ cmd: r.args.cmd }),
  interpret(_r, outcome) {
    if (outcome.exitCode === 0) return { changed: true };
    const detail = (outcome.stderr.trim() || outcome.stdout.trim()).split('\n').slice(-5).join('\n');
    return { changed: false, failed: `exited ${outcome.exitCode}${detail ? `: ${detail}` : ''}` };
  },
};
