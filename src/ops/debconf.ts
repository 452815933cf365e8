// debconf: one answer in Debian's configuration database, as Ansible's debconf module — read with
// debconf-communicate (part of debconf itself, so present wherever dpkg is; debconf-show cannot read a
// question its package does not own, debconf-get-selections needs debconf-utils), set with
// debconf-set-selections from stdin. A password is never read back: the host prints only its SHA-256,
// compared with the wanted value's; the wanted value reaches the host only inside the script (printf is
// a builtin, so it is in no process's argv) and is registered as a secret, so no report shows it.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { shQuote } from '../core/quote.js';
import type { StateQuery } from '../state/query.js';
import type { ResourceId } from '../state/resource.js';
import { packageName } from './name-schema.js';
import type { Operation } from './operation.js';

const VTYPES = ['boolean', 'select', 'multiselect', 'string', 'password', 'note', 'text', 'title', 'error'] as const;

const schema = lazySchema(() =>
  z
    .object({
      name: packageName.describe('The package owning the question (debconf-set-selections\' first field), e.g. postfix'),
      question: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9+._-]*\/[A-Za-z0-9+._/-]+$/, 'a debconf question name such as postfix/main_mailer_type')
        .describe('Question, e.g. postfix/main_mailer_type'),
      vtype: z.enum(VTYPES).describe('Type of the value; a password is compared by hash and never shown'),
      value: z
        .union([z.string(), z.number(), z.boolean()])
        .refine((v) => typeof v !== 'string' || !/[\n\r\0]/.test(v), { message: 'a debconf value is one line' })
        .describe('Wanted answer (booleans as true/false; multiselect as "a, b")'),
      unseen: z
        .boolean()
        .default(false)
        .describe(
          'Leave the question marked unseen (debconf-set-selections -u), so a later interactive configure still asks. Dry run: reports "question: old → new" (a password as "(password changed)"); nothing is set',
        ),
    })
    .strict(),
);

type Args = z.infer<ReturnType<typeof schema>>;

interface Answer {
  /** debconf knows the question. */
  exists: boolean;
  /** Its value (not for a password). */
  value?: string;
  /** SHA-256 of a password's value. */
  sha256?: string;
}

interface Resolved {
  args: Args;
  want: string;
  query: StateQuery<Answer>;
}

const NO_DEBCONF = 3;

/** Normal form for comparing: booleans true/false, multiselect entries sorted. */
export function debconfValue(vtype: Args['vtype'], value: Args['value']): string {
  const s = String(value).trim();
  if (vtype === 'boolean') return ['true', 'yes', '1', 'on'].includes(s.toLowerCase()) ? 'true' : 'false';
  if (vtype === 'multiselect') return s.split(',').map((x) => x.trim()).filter(Boolean).sort().join(', ');
  return s;
}

function answerQuery(question: string, password: boolean): StateQuery<Answer> {
  const get = `printf 'GET %s\\n' ${shQuote(question)} | debconf-communicate 2>/dev/null`;
  // "0 value" when debconf knows the question; "10 … doesn't exist" otherwise.
  const print = password ? `case "$_fp_a" in '0 '*) printf 'H '; printf '%s' "\${_fp_a#0 }" | _fp_sha | cut -d' ' -f1 ;; *) printf '%s\\n' "$_fp_a" ;; esac` : `printf '%s\\n' "$_fp_a"`;
  return {
    key: `debconf:${question}${password ? '#sha' : ''}`,
    resource: debconfResource(question),
    paths: ['/var/cache/debconf', '/etc/debconf.conf'],
    script: `command -v debconf-communicate >/dev/null 2>&1 || exit ${NO_DEBCONF}\n_fp_a=$(${get}); ${print}`,
    parse(out, exitCode) {
      if (exitCode === NO_DEBCONF) throw new Error('debconf-communicate is missing: debconf is not installed on this host');
      const line = out.toString('utf8').split('\n')[0] ?? '';
      if (line.startsWith('H ')) return { exists: true, sha256: line.slice(2).trim() };
      if (line.startsWith('0 ') || line === '0') return { exists: true, value: line.slice(2) };
      return { exists: false };
    },
  };
}

export const debconfResource = (question: string): ResourceId => ({ kind: 'debconf', name: question });

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export const debconf: Operation<Args, Resolved> = {
  name: 'debconf',
  summary: "An answer in Debian's debconf database (debconf-set-selections), passwords compared by hash",
  get schema() {
    return schema();
  },
  resolve(args, ctx) {
    if (ctx.facts.os_family !== 'Debian') {
      throw new Error(`debconf exists only on Debian and its derivatives; ${ctx.host} is ${ctx.facts.distribution} ${ctx.facts.distribution_version} (os_family ${ctx.facts.os_family}) — guard the task with when: {facts.os_family: Debian}`);
    }
    const want = debconfValue(args.vtype, args.value);
    if (args.vtype === 'password' && want !== '') ctx.secrets.register(want);
    return { args, want, query: answerQuery(args.question, args.vtype === 'password') };
  },
  queries: (r) => [r.query],
  plan({ args: a, want, query }, state) {
    const cur = state.get(query);
    const password = a.vtype === 'password';
    const same = cur.exists && (password ? (cur.sha256 ?? (cur.value === '' ? sha('') : undefined)) === sha(want) : debconfValue(a.vtype, cur.value ?? '') === want);
    if (same) return { changes: [], reason: `${a.question} is ${password ? 'the wanted password' : JSON.stringify(want)}` };
    const line = `${a.name} ${a.question} ${a.vtype} ${want}`;
    const was = !cur.exists ? '(unset)' : password ? '(a password)' : JSON.stringify(cur.value ?? '');
    const description = password ? `${a.question}: (password changed)` : `${a.question}: ${was} → ${JSON.stringify(want)}`;
    const after: Answer = password ? { exists: true, sha256: sha(want) } : { exists: true, value: want };
    return {
      changes: [{ kind: 'run', description, command: `printf '%s\\n' ${shQuote(line)} | debconf-set-selections${a.unseen ? ' -u' : ''}` }],
      effects: { predicts: [{ resource: debconfResource(a.question), value: after }] },
    };
  },
};
