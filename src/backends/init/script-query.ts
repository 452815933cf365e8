// State of services run by scripts (SysV init.d, FreeBSD rc.d): one shell block per service printing
// "name, exists, status exit code, enabled" — the shape both script-based init systems share.
import { shQuote } from '../../core/quote.js';
import type { ServiceState } from '../backends.js';
import type { StateQuery } from '../../state/query.js';

export interface ScriptProbe {
  /** sh test that the service's script exists. */
  exists: (quoted: string) => string;
  /** sh command whose exit status is 0 when the service runs (LSB / rc.subr status). */
  status: (quoted: string) => string;
  /**
   * sh printing "1" when the service starts at boot; gets the raw name for per-service rules. It runs
   * in the state read's own shell (no subshell): it may set `_fp_*` variables only, and never `set
   * --`, cd, exit or change options — the queries after it (a guard's command) see that shell.
   */
  enabled: (raw: string, quoted: string) => string;
}

export function scriptServiceQuery(prefix: string, names: string[], probe: ScriptProbe): StateQuery<Record<string, ServiceState>> {
  const script = names
    .map((raw) => {
      const s = shQuote(raw);
      return [
        `if ${probe.exists(s)}; then`,
        `  ${probe.status(s)} >/dev/null 2>&1; _fp_rc=$?`,
        // The enabled test runs in this shell, not in $(…): one fork less per service. Its own
        // newline, if any, only adds a blank line.
        `  printf '%s\\t1\\t%s\\t' ${s} "$_fp_rc"; { ${probe.enabled(raw, s)}
  }; echo`,
        `else printf '%s\\t0\\t\\t\\n' ${s}; fi`,
      ].join('\n');
    })
    .join('\n');
  return {
    key: `${prefix}:${names.join(',')}`,
    script,
    // Commands, and `_fp_*` variables each block sets before reading: read in the batch's shell, no
    // subshell (a fork less; test/unit/state-in-shell.test.ts runs every backend's query between probes).
    inShell: true,
    parse(out) {
      const result: Record<string, ServiceState> = {};
      for (const line of out.toString().split('\n')) {
        const [name, exists, rc, enabled] = line.split('\t');
        if (!name) continue;
        result[name] = { exists: exists === '1', running: exists === '1' && rc === '0', enabled: enabled === '1' };
      }
      return result;
    },
  };
}
