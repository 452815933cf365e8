// Kernel parameters: where they persist and how the running value is set differ per OS — Linux reads
// /etc/sysctl.d/*.conf (`name = value`) and sets with `sysctl -w`; FreeBSD reads /etc/sysctl.conf
// (`name=value`, its rc.d/sysctl splits on the first `=`) and sets with `sysctl name=value`.
// Reading the running value is `sysctl -n` on both.
import { shQuote } from '../core/quote.js';
import type { Facts } from '../facts/facts.js';
import type { StateQuery } from '../state/query.js';
import { checkName, quotedName, SYSCTL_NAME } from './names.js';
import { pick, type SelectionRule } from './select.js';

export interface SysctlBackend {
  readonly name: string;
  /** Where the sysctl operation persists a value unless the task names a file. */
  readonly defaultFile: string;
  /** Between name and value in that file. */
  readonly separator: string;
  /** The running values of these names (null: the kernel has no such parameter). */
  read(names: string[]): StateQuery<Record<string, string | null>>;
  /** Sets the running value (one quoted `name=value` word after the end of options). */
  set(name: string, value: string): string;
}

/** One line per name: `V name<TAB>value` (value's line breaks as spaces) or `U name` when unknown. */
function readScript(names: string[]): string {
  return names
    .map((n) => {
      const q = quotedName(SYSCTL_NAME, n);
      return `if _fp_v=$(sysctl -n -- ${q} 2>/dev/null); then printf 'V %s\\t' ${q}; printf '%s' "$_fp_v" | tr '\\n' ' '; echo; else printf 'U %s\\n' ${q}; fi`;
    })
    .join('\n');
}

/** Values compare with runs of whitespace as one space (Linux prints port ranges tab-separated). */
export const normalSysctl = (v: string) => v.trim().replace(/\s+/g, ' ');

function read(names: string[]): StateQuery<Record<string, string | null>> {
  return {
    key: `sysctl:${names.join(',')}`,
    script: readScript(names),
    parse(out) {
      const r: Record<string, string | null> = Object.fromEntries(names.map((n) => [n, null]));
      for (const line of out.toString().split('\n')) {
        const tab = line.indexOf('\t');
        if (line.startsWith('V ') && tab > 0 && line.slice(2, tab) in r) r[line.slice(2, tab)] = normalSysctl(line.slice(tab + 1));
      }
      return r;
    },
  };
}

const word = (name: string, value: string) => shQuote(`${checkName(SYSCTL_NAME, name)}=${value}`);

export const linuxSysctl: SysctlBackend = {
  name: 'linux',
  defaultFile: '/etc/sysctl.d/99-fleetplan.conf',
  separator: ' = ',
  read,
  set: (name, value) => `sysctl -q -w -- ${word(name, value)}`,
};

export const freebsdSysctl: SysctlBackend = {
  name: 'freebsd',
  defaultFile: '/etc/sysctl.conf',
  separator: '=',
  read,
  // FreeBSD's sysctl has no -w: an operand with `=` sets; it prints "name: old -> new".
  set: (name, value) => `sysctl -- ${word(name, value)} >/dev/null`,
};

export const sysctlBackends: Record<string, SysctlBackend> = { linux: linuxSysctl, freebsd: freebsdSysctl };
export const sysctlRules: readonly SelectionRule[] = [
  { when: { system: 'Linux' }, backend: 'linux' },
  { when: { system: 'FreeBSD' }, backend: 'freebsd' },
];

export function sysctlBackendFor(facts: Facts): SysctlBackend {
  const b = pick(sysctlRules, sysctlBackends, facts);
  if (!b) throw new Error(`no sysctl backend for ${facts.system} (known: Linux, FreeBSD)`);
  return b;
}
