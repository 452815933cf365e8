// systemd: systemctl for state and changes. One `systemctl show` per unit reads load, active and
// unit-file state (each systemctl call costs the host ~10 ms); `is-enabled` is asked only when the
// unit file state is not conclusive, as for SysV scripts run by systemd ("generated"), where it
// consults the script's rc links.
import { shQuote } from '../../connectors/quote.js';
import type { InitBackend, ServiceState } from '../backends.js';

const ENABLED = ['enabled', 'enabled-runtime', 'static', 'alias', 'indirect'];

export const systemd: InitBackend = {
  name: 'systemd',
  query(names) {
    const loop = names.map(shQuote).join(' ');
    return {
      key: `systemd:${names.join(',')}`,
      script: [
        `for u in ${loop}; do`,
        `  s=$(systemctl show -p LoadState -p ActiveState -p UnitFileState "$u" 2>/dev/null)`,
        `  case "$s" in`,
        `    *LoadState=not-found*|*UnitFileState=enabled*|*UnitFileState=disabled*|*UnitFileState=static*|*UnitFileState=masked*|*UnitFileState=alias*|*UnitFileState=indirect*) e= ;;`,
        `    *) e=$(systemctl is-enabled "$u" 2>/dev/null) ;;`,
        `  esac`,
        `  printf 'Unit=%s\\n%s\\nIsEnabled=%s\\n' "$u" "$s" "$e"`,
        `done`,
      ].join('\n'),
      parse(out) {
        const result: Record<string, ServiceState> = {};
        let unit: Record<string, string> | undefined;
        const finish = () => {
          if (!unit?.Unit) return;
          const enabled = unit.IsEnabled || unit.UnitFileState || '';
          result[unit.Unit] = {
            exists: (unit.LoadState !== undefined && unit.LoadState !== '' && unit.LoadState !== 'not-found') || Boolean(unit.IsEnabled),
            running: ['active', 'reloading', 'activating'].includes(unit.ActiveState ?? ''),
            enabled: ENABLED.includes(enabled),
          };
        };
        for (const line of out.toString().split('\n')) {
          const eq = line.indexOf('=');
          if (eq < 0) continue;
          const k = line.slice(0, eq);
          if (k === 'Unit') {
            finish();
            unit = {};
          }
          if (unit) unit[k] = line.slice(eq + 1);
        }
        finish();
        return result;
      },
    };
  },
  command(action, service) {
    return `systemctl ${action} ${shQuote(service)}`;
  },
};
