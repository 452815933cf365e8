// sysctl: one kernel parameter persisted in a sysctl file (the rest of the file kept as is) and, with
// `reload`, set in the running kernel — as Ansible's sysctl module. Where the file lives and how the
// value is set come from the host's OS (src/backends/sysctl.ts).
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { normalSysctl, sysctlBackendFor, type SysctlBackend } from '../backends/sysctl.js';
import { SYSCTL_NAME } from '../backends/names.js';
import { fileQuery } from '../state/file-state.js';
import { groupedByName, type StateQuery } from '../state/query.js';
import type { ResourceId } from '../state/resource.js';
import { planFileContent } from './file-content.js';
import { editLines } from './line.js';
import { refusal } from './name-schema.js';
import { Unresolved, type Change, type Operation, type PlanResult } from './operation.js';
import { absolutePath } from './path-schema.js';

const schema = lazySchema(() =>
  z
    .object({
      name: z
        .string()
        .min(1)
        .superRefine((n, ctx) => {
          const why = refusal('sysctl', [SYSCTL_NAME], n);
          if (why) ctx.addIssue({ code: 'custom', message: why });
        })
        .describe('Kernel parameter, e.g. net.ipv4.ip_forward'),
      value: z
        .union([z.string(), z.number(), z.boolean()])
        .optional()
        .refine((v) => typeof v !== 'string' || !/[\n\r\0]/.test(v), { message: 'a sysctl value is one line' })
        .describe('Wanted value (true/false become 1/0)'),
      state: z.enum(['present', 'absent']).default('present').describe('absent removes the setting from the file (the running value stays until reboot, as in Ansible)'),
      sysctl_file: absolutePath
        .optional()
        .describe('File holding the setting. Default: /etc/sysctl.d/99-fleetplan.conf on Linux, /etc/sysctl.conf on FreeBSD'),
      reload: z
        .boolean()
        .default(true)
        .describe(
          'Also set the running value when it differs (sysctl -w on Linux, sysctl name=value on FreeBSD). Dry run: shows the file diff and "name: old → new (running kernel)"; nothing is set',
        ),
    })
    .strict()
    .refine((a) => a.state === 'absent' || a.value !== undefined, { message: 'sysctl needs `value` when state is present' }),
);

type Args = z.infer<ReturnType<typeof schema>>;

interface Resolved {
  args: Args;
  want: string;
  file: string;
  backend: SysctlBackend;
  fileState: ReturnType<typeof fileQuery>;
  live: StateQuery<Record<string, string | null>>;
}

export const sysctlResource = (name: string): ResourceId => ({ kind: 'sysctl', name });

const render = (v: Args['value']) => (typeof v === 'boolean' ? (v ? '1' : '0') : String(v ?? ''));

export const sysctl: Operation<Args, Resolved> = {
  name: 'sysctl',
  summary: 'A kernel parameter persisted in a sysctl file and set in the running kernel (Linux, FreeBSD)',
  get schema() {
    return schema();
  },
  shorthand: 'name',
  resolve(args, ctx) {
    const backend = sysctlBackendFor(ctx.facts);
    const file = args.sysctl_file ?? backend.defaultFile;
    // One read of the running values of every sysctl task of the play.
    const live = groupedByName(`sysctl:${backend.name}`, [args.name], (ns) => backend.read(ns));
    return { args, want: render(args.value), file, backend, fileState: fileQuery(file, { withContent: true }), live };
  },
  queries: (r) => [r.fileState, r.live],
  plan({ args: a, want, file, backend, fileState, live }, state, ctx) {
    const st = state.get(fileState);
    if (st.exists && st.content === undefined) throw new Error(`${file} is too large or not a regular file to edit`);
    const edit = { path: file, key: a.name, value: want, separator: backend.separator, state: a.state, continuation: false, create: true };
    const wanted = editLines(st.content ?? Buffer.alloc(0), edit);
    const persisted: PlanResult =
      !st.exists && a.state === 'absent' ? { changes: [], reason: `${file} does not exist` } : planFileContent({ path: file, content: wanted }, st, ctx, state);
    const changes: Change[] = [...persisted.changes];
    const predicts = [...(persisted.effects?.predicts ?? [])];
    if (a.state === 'present' && a.reload) {
      const running = state.prediction<string | null>(sysctlResource(a.name)) ?? state.get(live)[a.name] ?? null;
      if (running === null) throw new Unresolved(`the kernel has no parameter ${a.name}`, 'check the name with `sysctl -a`; a module may need loading first');
      if (normalSysctl(running) !== normalSysctl(want)) {
        changes.push({ kind: 'run', description: `${a.name}: ${running} → ${want} (running kernel)`, command: backend.set(a.name, want) });
      }
      predicts.push({ resource: sysctlResource(a.name), value: normalSysctl(want) });
    }
    const effects = { ...persisted.effects, predicts };
    if (changes.length === 0) {
      const where = a.state === 'absent' ? `not set in ${file}` : `= ${want} in ${file}${a.reload ? ' and the running kernel' : ''}`;
      return { changes, reason: `${a.name} ${where}`, effects };
    }
    return { changes, effects };
  },
};
