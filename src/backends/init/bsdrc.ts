// FreeBSD rc(8): scripts in /etc/rc.d and /usr/local/etc/rc.d, enabled by `<rcvar>="YES"` in
// rc.conf. Actions use the `one*` forms, which act whatever rc.conf says, so stopping a service is
// possible before (or without) disabling it — as the FreeBSD handbook does by hand.
import type { InitBackend, ServiceAction } from '../backends.js';
import { scriptServiceQuery } from './script-query.js';
import { checkName, INIT_SCRIPT, quotedName } from '../names.js';

/**
 * Services whose enablement is more than one `_enable` knob. Base sendmail: "disabled" means
 * sendmail_enable="NONE" plus the submit, outbound and msp_queue daemons off (rc.conf(5)).
 */
const SPECIAL: Record<string, { enabled: string; enable: string; disable: string }> = {
  sendmail: {
    enabled:
      'for _fp_k in sendmail_enable sendmail_submit_enable sendmail_outbound_enable sendmail_msp_queue_enable; do ' +
      'case "$(sysrc -n $_fp_k 2>/dev/null)" in [Yy][Ee][Ss]) echo 1; break;; esac; done',
    enable: 'sysrc sendmail_enable=YES sendmail_submit_enable=YES sendmail_outbound_enable=YES sendmail_msp_queue_enable=YES',
    disable: 'sysrc sendmail_enable=NONE sendmail_submit_enable=NO sendmail_outbound_enable=NO sendmail_msp_queue_enable=NO',
  },
};

const SCRIPT_DIRS = ['/etc/rc.d', '/usr/local/etc/rc.d'];

export const bsdrc: InitBackend = {
  name: 'bsdrc',
  // A script name under /etc/rc.d or /usr/local/etc/rc.d: no /, no leading . or -.
  names: INIT_SCRIPT,
  statePaths: ['/etc/rc.conf', '/etc/rc.conf.local', '/etc/rc.conf.d', '/etc/defaults', '/etc/rc.d', '/usr/local/etc/rc.d', '/usr/local/etc/rc.conf.d', '/var/run'],
  supports: ['start', 'stop', 'restart', 'reload', 'enable', 'disable'],
  query(names) {
    for (const n of names) checkName(INIT_SCRIPT, n);
    return scriptServiceQuery('bsdrc', names, {
      exists: (s) => SCRIPT_DIRS.map((d) => `[ -x ${d}/${s} ]`).join(' || '),
      status: (s) => `service ${s} onestatus`,
      enabled: (raw, s) => SPECIAL[raw]?.enabled ?? `service ${s} enabled >/dev/null 2>&1 && echo 1`,
    });
  },
  command(action: ServiceAction, service: string) {
    const s = quotedName(INIT_SCRIPT, service);
    const special = SPECIAL[service];
    if (action === 'enable') return special?.enable ?? `service ${s} enable`;
    if (action === 'disable') return special?.disable ?? `service ${s} disable`;
    return `service ${s} one${action}`;
  },
};
