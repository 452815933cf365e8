// cron: one named job in a user's crontab (through crontab(1)) or in a file under /etc/cron.d, as
// Ansible's cron module. Each entry is the marker line `#fleetplan: <name>` followed by its job line,
// so a re-run finds it again by name. An entry Ansible made (`#Ansible: <name>`) is adopted: the same
// name finds it, and the change rewrites its marker — a role ported from Ansible takes over its jobs
// instead of adding them a second time.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { crontabQuery, crontabWrite, type Crontab } from '../backends/cron.js';
import { fileQuery } from '../state/file-state.js';
import type { FileDiff, Operation, OpContext, PlanResult } from './operation.js';
import { Unresolved } from './operation.js';
import { accountName } from './name-schema.js';
import { planFileContent } from './file-content.js';
import { planRemoval } from './safe-path.js';

export const CRON_MARKER = '#fleetplan: ';
/** Ansible's marker, recognised so that its entries are adopted, never duplicated. */
export const ANSIBLE_MARKER = '#Ansible: ';

const oneLine = (what: string) => z.string().min(1).refine((s) => !/[\n\r\0]/.test(s), { message: `${what} is one line` });
const field = (what: string, example: string) =>
  z
    .union([z.string().regex(/^\S+$/, `${what}: one cron field without spaces`), z.number().int().min(0)])
    .default('*')
    .describe(`${what} field (${example}); default *`);

const SPECIAL = ['reboot', 'yearly', 'annually', 'monthly', 'weekly', 'daily', 'hourly'] as const;

const schema = lazySchema(() =>
  z
    .object({
      name: oneLine('a cron entry name').describe('Entry name: the marker `#fleetplan: <name>` finds it again (an `#Ansible: <name>` entry is adopted)'),
      job: oneLine('a cron job').optional().describe('The command (required when state is present)'),
      minute: field('minute', '0-59, */5'),
      hour: field('hour', '0-23'),
      day: field('day of month', '1-31'),
      month: field('month', '1-12'),
      weekday: field('day of week', '0-6'),
      special_time: z.enum(SPECIAL).optional().describe('@reboot, @daily, …: instead of the five time fields'),
      user: accountName.default('root').describe("Whose crontab (crontab -u); with cron_file, the user the job runs as"),
      state: z.enum(['present', 'absent']).default('present').describe('absent removes the entry (and a cron_file left without entries)'),
      disabled: z.boolean().default(false).describe('Keep the entry, commented out'),
      env: z
        .boolean()
        .default(false)
        .describe('The entry is a variable of the table (`name=job`, e.g. MAILTO), kept at its top, without a marker (as Ansible)'),
      cron_file: z
        .string()
        .regex(/^(\/etc\/cron\.d\/)?[A-Za-z0-9_-]+$/, 'a file name under /etc/cron.d of letters, digits, _ and - (cron ignores names with a dot)')
        .optional()
        .describe(
          'Write the entry to this file under /etc/cron.d (with its user field) instead of the user\'s crontab. Dry run: shows the file diff (or the crontab diff without cron_file); nothing is written',
        ),
    })
    .strict()
    .refine((a) => a.state === 'absent' || a.job !== undefined, { message: 'cron needs `job` when state is present', path: ['job'] })
    .refine((a) => !a.env || (/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.name) && !a.special_time && !a.disabled && timeFields(a).every((f) => f === '*')), {
      message: 'with env, `name` is a variable name ([A-Za-z_][A-Za-z0-9_]*) and no time field, special_time or disabled applies',
      path: ['env'],
    })
    .refine((a) => !a.special_time || timeFields(a).every((f) => f === '*'), {
      message: '`special_time` excludes minute, hour, day, month and weekday',
      path: ['special_time'],
    }),
);

type Args = z.infer<ReturnType<typeof schema>>;

type Times = Record<'minute' | 'hour' | 'day' | 'month' | 'weekday', string | number>;

function timeFields(a: Times): string[] {
  return [a.minute, a.hour, a.day, a.month, a.weekday].map(String);
}

interface Resolved {
  args: Args;
  /** The entry's job line (null: state absent). */
  entry: string | null;
  path?: string;
  crontab?: ReturnType<typeof crontabQuery>;
  file?: ReturnType<typeof fileQuery>;
}

/** The job line as cron reads it: time (or @special), the user with cron_file, the command; `#` when disabled. */
export function jobLine(a: Args): string {
  if (a.env) return `${a.name}=${a.job}`;
  const when = a.special_time ? `@${a.special_time}` : timeFields(a).join(' ');
  return `${a.disabled ? '#' : ''}${when} ${a.cron_file ? `${a.user} ` : ''}${a.job}`;
}

/** The table with the variable `name` set to `line` (null: removed): replaced in place, or added after the other variables at the top. Pure. */
export function editCronEnv(table: string, name: string, line: string | null): string {
  const lines = table === '' ? [] : table.replace(/\n$/, '').split('\n');
  const isVar = (l: string) => /^\s*[A-Za-z_][A-Za-z0-9_]*\s*=/.test(l);
  const at = lines.findIndex((l) => new RegExp(`^\\s*${name}\\s*=`).test(l));
  if (at >= 0) lines.splice(at, 1, ...(line === null ? [] : [line]));
  else if (line !== null) {
    // After the last variable above the first entry (a marker or a job line), else at the very top.
    const entry = (l: string) => l.startsWith(CRON_MARKER) || l.startsWith(ANSIBLE_MARKER) || (!isVar(l) && !/^\s*(#.*)?$/.test(l));
    const first = lines.findIndex(entry);
    let top = 0;
    for (let i = 0; i < (first < 0 ? lines.length : first); i++) if (isVar(lines[i]!)) top = i + 1;
    lines.splice(top, 0, line);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

const editTable = (a: Args, table: string, entry: string | null) => (a.env ? editCronEnv(table, a.name, entry) : editCrontab(table, a.name, entry));

/**
 * The table with the named entry set to `entry` (null: removed). The entry is found by its marker
 * (ours or Ansible's) and is the marker line plus the job line after it; pure, exported for tests.
 */
export function editCrontab(table: string, name: string, entry: string | null): string {
  const lines = table === '' ? [] : table.replace(/\n$/, '').split('\n');
  const at = lines.findIndex((l) => l === `${CRON_MARKER}${name}` || l === `${ANSIBLE_MARKER}${name}`);
  const span = at >= 0 && at + 1 < lines.length && !lines[at + 1]!.startsWith(CRON_MARKER) && !lines[at + 1]!.startsWith(ANSIBLE_MARKER) ? 2 : 1;
  const wanted = entry === null ? [] : [`${CRON_MARKER}${name}`, entry];
  if (at >= 0) lines.splice(at, span, ...wanted);
  else lines.push(...wanted);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function planCrontab(r: Resolved, cur: Crontab, ctx: OpContext): PlanResult {
  const a = r.args;
  if (!cur.available) throw new Error(`no crontab(1) on ${ctx.host}: install cron (cron on Debian, cronie on CentOS), or use cron_file`);
  const after = editTable(a, cur.content, r.entry);
  if (after === cur.content) return { changes: [], reason: `${a.user}'s crontab ${r.entry === null ? 'has no' : 'has the'} entry ${a.name}` };
  const diff: FileDiff = ctx.noLog
    ? { path: `crontab -u ${a.user}`, before: null, after: null, masked: 'secret' }
    : { path: `crontab -u ${a.user}`, before: cur.content, after };
  const verb = r.entry === null ? 'remove' : cur.content === editTable(a, cur.content, null) ? 'add' : 'update';
  return {
    changes: [{ kind: 'run', description: `${verb} cron entry ${a.name} in ${a.user}'s crontab`, command: crontabWrite(a.user, after), diff }],
    effects: { predicts: [{ resource: { kind: 'crontab', name: a.user }, value: { available: true, content: after } satisfies Crontab }] },
  };
}

export const cron: Operation<Args, Resolved> = {
  name: 'cron',
  summary: "A named job in a user's crontab or in /etc/cron.d, present, absent or disabled",
  get schema() {
    return schema();
  },
  resolve(args) {
    const entry = args.state === 'absent' ? null : jobLine(args);
    if (!args.cron_file) return { args, entry, crontab: crontabQuery(args.user) };
    const path = args.cron_file.startsWith('/') ? args.cron_file : `/etc/cron.d/${args.cron_file}`;
    return { args, entry, path, file: fileQuery(path, { withContent: true }) };
  },
  queries: (r) => (r.file ? [r.file] : [r.crontab!]),
  plan(r, state, ctx) {
    if (!r.file) return planCrontab(r, state.get(r.crontab!), ctx);
    const st = state.get(r.file);
    const path = r.path!;
    if (!st.exists && r.entry === null) return { changes: [], reason: `${path} does not exist` };
    if (st.exists && st.content === undefined) throw new Unresolved(`${path} is too large or not a regular file`);
    const before = (st.content ?? Buffer.alloc(0)).toString('utf8');
    const after = editTable(r.args, before, r.entry);
    // The last entry gone: the file goes too (an empty file in /etc/cron.d is clutter).
    if (after === '' && st.exists) return planRemoval(path, st, false, `remove ${path} (its last entry ${r.args.name})`);
    return planFileContent({ path, content: Buffer.from(after), mode: '0644' }, st, ctx, state);
  },
};
