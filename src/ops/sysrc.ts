// sysrc: one FreeBSD rc.conf variable, through sysrc(8) — the tool FreeBSD's operators use, which
// keeps rc.conf's quoting and knows /etc/defaults/rc.conf.
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { shQuote } from '../core/quote.js';
import type { StateQuery } from '../state/query.js';
import type { Operation } from './operation.js';
import { absolutePath } from './path-schema.js';

const schema = lazySchema(() =>
  z
    .object({
      name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an rc.conf variable name').describe('rc.conf variable, e.g. sendmail_enable'),
      value: z.union([z.string(), z.number(), z.boolean()]).optional().describe('Wanted value (booleans become YES/NO)'),
      state: z.enum(['present', 'absent']).default('present').describe('absent removes the variable from the file'),
      file: absolutePath.default('/etc/rc.conf').describe('rc.conf file to edit'),
    })
    .strict()
    .refine((a) => a.state === 'absent' || a.value !== undefined, { message: 'sysrc needs `value` when state is present' }),
);

type Args = z.infer<ReturnType<typeof schema>>;

interface RcValue {
  /** Value set in `file`, or null when the file does not set it. */
  inFile: string | null;
  /** Effective value (file, then /etc/defaults/rc.conf), or null when unknown everywhere. */
  effective: string | null;
}

function rcQuery(name: string, file: string): StateQuery<RcValue> {
  const n = shQuote(name);
  const f = shQuote(file);
  return {
    key: `sysrc:${file}:${name}`,
    resource: { kind: 'sysrc', file, name },
    paths: [file, '/etc/rc.conf', '/etc/rc.conf.local', '/etc/rc.conf.d', '/etc/defaults/rc.conf'],
    script: [
      `if v=$(sysrc -f ${f} -n ${n} 2>/dev/null); then printf 'file\\t%s\\n' "$v"; fi`,
      `if v=$(sysrc -n ${n} 2>/dev/null); then printf 'effective\\t%s\\n' "$v"; fi`,
    ].join('\n'),
    parse(out) {
      const r: RcValue = { inFile: null, effective: null };
      for (const line of out.toString().split('\n')) {
        const tab = line.indexOf('\t');
        if (line.startsWith('file\t')) r.inFile = line.slice(tab + 1);
        if (line.startsWith('effective\t')) r.effective = line.slice(tab + 1);
      }
      return r;
    },
  };
}

const render = (v: Args['value']) => (typeof v === 'boolean' ? (v ? 'YES' : 'NO') : String(v));

export const sysrc: Operation<Args, { args: Args; query: StateQuery<RcValue> }> = {
  name: 'sysrc',
  summary: 'A FreeBSD rc.conf variable set (sysrc name=value) or removed',
  get schema() {
    return schema();
  },
  resolve: (args) => ({ args, query: rcQuery(args.name, args.file) }),
  queries: (r) => [r.query],
  plan({ args: a, query }, state) {
    const cur = state.get(query);
    const f = shQuote(a.file);
    if (a.state === 'absent') {
      if (cur.inFile === null) return { changes: [], reason: `${a.name} is not set in ${a.file}` };
      return {
        changes: [{ kind: 'run', description: `remove ${a.name} from ${a.file}`, command: `sysrc -f ${f} -x ${shQuote(a.name)}` }],
        effects: { predicts: [{ resource: query.resource!, value: { inFile: null, effective: null } }] },
      };
    }
    const want = render(a.value);
    // Equal to the effective value (e.g. a default from /etc/defaults/rc.conf): nothing to write.
    if ((cur.inFile ?? cur.effective) === want) return { changes: [], reason: `${a.name}="${want}"` };
    return {
      changes: [
        {
          kind: 'run',
          description: `${a.name}: ${cur.inFile ?? cur.effective ?? '(unset)'} → ${want}`,
          command: `sysrc -f ${f} ${shQuote(`${a.name}=${want}`)}`,
        },
      ],
      effects: { predicts: [{ resource: query.resource!, value: { inFile: want, effective: want } }] },
    };
  },
};
