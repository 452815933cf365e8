// systemd: systemctl for state and changes. is-enabled also answers for SysV scripts run by systemd.
import { shQuote } from '../../connectors/quote.js';
import type { InitBackend, ServiceState } from '../backends.js';

export const systemd: InitBackend = {
  name: 'systemd',
  supports: ['start', 'stop', 'restart', 'reload', 'enable', 'disable'],
  query(names) {
    const loop = names.map(shQuote).join(' ');
    return {
      key: `systemd:${names.join(',')}`,
      script: [
        `for u in ${loop}; do`,
        `  printf '%s\\t%s\\t%s\\t%s\\n' "$u" "$(systemctl show -p LoadState --value "$u" 2>/dev/null)" \\`,
        `    "$(systemctl is-active "$u" 2>/dev/null)" "$(systemctl is-enabled "$u" 2>/dev/null)"`,
        `done`,
      ].join('\n'),
      parse(out) {
        const result: Record<string, ServiceState> = {};
        for (const line of out.toString().split('\n')) {
          const [name, load, active, enabled] = line.split('\t');
          if (!name) continue;
          result[name] = {
            exists: load === 'loaded' || (enabled ?? '') !== '',
            running: active === 'active' || active === 'reloading' || active === 'activating',
            enabled: ['enabled', 'enabled-runtime', 'static', 'alias', 'indirect'].includes(enabled ?? ''),
          };
        }
        return result;
      },
    };
  },
  command(action, service) {
    return `systemctl ${action} ${shQuote(service)}`;
  },
};
