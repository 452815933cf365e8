// SysV init: /etc/init.d scripts with LSB exit codes for state (status: 0 running, 3 stopped),
// rcN.d start links for "enabled". How links are managed differs by distribution and is passed in.
import { shQuote } from '../../core/quote.js';
import type { InitBackend, ServiceAction } from '../backends.js';
import { scriptServiceQuery } from './script-query.js';
import { checkName, INIT_SCRIPT, quotedName } from '../names.js';

/** The distribution's tool for boot-time links: update-rc.d (Debian) or chkconfig (RedHat). */
export interface LinkManager {
  name: string;
  /** sh printing "1" when the service starts at boot in a multi-user runlevel (run in the state read's shell: see ScriptProbe.enabled). */
  isEnabled(service: string): string;
  enable(service: string): string;
  disable(service: string): string;
}

export const updateRcD: LinkManager = {
  name: 'update-rc.d',
  // Start links in runlevels 2, 3 and 5, tested by globbing in the shell: no process per test. It
  // runs in the state read's shell (script-query.ts): `_fp_` variables only, no `set --`.
  isEnabled: (s) => `_fp_e=1; for _fp_lv in 2 3 5; do for _fp_g in /etc/rc$_fp_lv.d/S??${s}; do [ -e "$_fp_g" ] || _fp_e=; break; done; done; echo $_fp_e`,
  // `defaults` creates links when the package never did; `enable` turns K links back into S links.
  enable: (s) => `update-rc.d ${s} defaults >/dev/null && update-rc.d ${s} enable`,
  disable: (s) => `update-rc.d ${s} disable`,
};

export const chkconfig: LinkManager = {
  name: 'chkconfig',
  // `chkconfig name` exits 0 when the service starts in the current (multi-user) runlevel.
  isEnabled: (s) => `chkconfig ${s} >/dev/null 2>&1 && echo 1`,
  // --add registers a script shipped without links (chkconfig's own header decides the levels).
  enable: (s) => `{ chkconfig --list ${s} >/dev/null 2>&1 || chkconfig --add ${s}; } && chkconfig ${s} on`,
  disable: (s) => `chkconfig ${s} off`,
};

export function sysv(links: LinkManager): InitBackend {
  return {
    name: `sysv (${links.name})`,
    // The name is a file name under /etc/init.d, run as root: no /, no leading . or - (neither
    // update-rc.d nor chkconfig takes `--`, so the grammar is what keeps it from being an option).
    names: INIT_SCRIPT,
    // Scripts and their rc links (Debian /etc/rcN.d, RedHat /etc/rc.d/rcN.d), and the pid files their status reads.
    statePaths: ['/etc/init.d', '/etc/rc.d', '/etc/rc0.d', '/etc/rc1.d', '/etc/rc2.d', '/etc/rc3.d', '/etc/rc4.d', '/etc/rc5.d', '/etc/rc6.d', '/etc/rcS.d', '/etc/chkconfig.d', '/var/run', '/run'],
    supports: ['start', 'stop', 'restart', 'reload', 'enable', 'disable'],
    query(names) {
      for (const n of names) checkName(INIT_SCRIPT, n);
      return scriptServiceQuery('sysv', names, {
        exists: (s) => `[ -x /etc/init.d/${s} ]`,
        status: (s) => `/etc/init.d/${s} status`,
        enabled: (raw) => links.isEnabled(shQuote(raw)),
      });
    },
    command(action: ServiceAction, service: string) {
      const s = quotedName(INIT_SCRIPT, service);
      switch (action) {
        case 'enable':
          return links.enable(s);
        case 'disable':
          return links.disable(s);
        default:
          return `/etc/init.d/${s} ${action}`;
      }
    },
  };
}
