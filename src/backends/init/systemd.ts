// systemd: systemctl for state and changes. ONE `systemctl show` reads load, active and unit-file state
// of every unit asked (each systemctl call costs the host ~10 ms); `is-enabled` is asked only for a
// unit whose unit file state is not conclusive, as for a SysV script run by systemd ("generated"),
// where it consults the script's rc links. Blocks are matched to the names asked through `Names`, so
// an alias finds its unit and a name systemctl refuses simply has no block (= does not exist).
import type { InitBackend, ServiceState } from '../backends.js';
import { quotedName, SYSTEMD_UNIT } from '../names.js';

const unit = (n: string) => quotedName(SYSTEMD_UNIT, n);

const ENABLED = ['enabled', 'enabled-runtime', 'static', 'alias', 'indirect'];
const MARK = '@@is-enabled';

// Reads show's blocks (separated by empty lines) with builtins only, and asks is-enabled where needed.
const FALLBACK = String.raw`
_fp_id= _fp_l= _fp_f=
while IFS= read -r _fp_x; do
  case "$_fp_x" in
    Id=*) _fp_id=${'$'}{_fp_x#Id=} ;;
    LoadState=*) _fp_l=${'$'}{_fp_x#LoadState=} ;;
    UnitFileState=*) _fp_f=${'$'}{_fp_x#UnitFileState=} ;;
    '')
      if [ -n "$_fp_id" ] && [ "$_fp_l" != not-found ]; then
        case "$_fp_f" in
          enabled*|disabled|static|masked*|alias|indirect) ;;
          *) printf '%s=%s\n' "$_fp_id" "$(systemctl is-enabled "$_fp_id" 2>/dev/null)" ;;
        esac
      fi
      _fp_id= _fp_l= _fp_f= ;;
  esac
done <<_FP_EOF
$_fp_o

_FP_EOF`;

/**
 * How `systemctl enable/disable` also sets the links of a unit's SysV script, where the distribution
 * does that (Debian: systemd-sysv-install runs update-rc.d).
 */
export interface SysvLinkSync {
  name: string;
  /** Environment keeping that step from reloading systemd itself: the play's one reload follows. */
  env: string;
}

/**
 * Debian's update-rc.d asks systemd for a daemon-reload after each of its two steps (`defaults`, then
 * `enable`/`disable`): ≈ 0.3 s of host CPU per service. It skips them when DPKG_ROOT is set, as for a
 * root it does not run; DPKG_ROOT=/ names this root, so its links still land in /etc/rcN.d.
 */
export const updateRcDSync: SysvLinkSync = { name: 'update-rc.d', env: 'DPKG_ROOT=/' };

export function systemdBackend(sync?: SysvLinkSync): InitBackend {
  return {
    name: sync ? `systemd (${sync.name})` : 'systemd',
    names: SYSTEMD_UNIT,
    // Unit files and drop-ins, and SysV scripts with their rc links (systemd runs those too).
    statePaths: ['/etc/systemd', '/run/systemd', '/lib/systemd', '/usr/lib/systemd', '/usr/local/lib/systemd', '/etc/init.d', '/etc/rc.d', '/etc/rc0.d', '/etc/rc1.d', '/etc/rc2.d', '/etc/rc3.d', '/etc/rc4.d', '/etc/rc5.d', '/etc/rc6.d', '/etc/rcS.d'],
    supports: ['start', 'stop', 'restart', 'reload', 'enable', 'disable'],
    query(names) {
      return {
        key: `systemd:${names.join(',')}`,
        script: [
          `_fp_o=$(systemctl show -p Id -p Names -p LoadState -p ActiveState -p UnitFileState -- ${names.map(unit).join(' ')} 2>/dev/null)`,
          `printf '%s\\n${MARK}\\n' "$_fp_o"`,
          FALLBACK,
        ].join('\n'),
        // `_fp_*` variables only, each set before it is read: read in the batch's shell, no subshell.
        inShell: true,
        parse(out) {
          const [shown = '', fallback = ''] = out.toString().split(`\n${MARK}\n`);
          const isEnabled = new Map<string, string>();
          for (const line of fallback.split('\n')) {
            const eq = line.lastIndexOf('=');
            if (eq > 0) isEnabled.set(line.slice(0, eq), line.slice(eq + 1));
          }
          const result: Record<string, ServiceState> = {};
          for (const block of shown.split(/\n\s*\n/)) {
            const p: Record<string, string> = {};
            for (const line of block.split('\n')) {
              const eq = line.indexOf('=');
              if (eq > 0) p[line.slice(0, eq)] = line.slice(eq + 1);
            }
            const aliases = (p.Names ?? '').split(/\s+/).filter(Boolean);
            // Every name asked that is this unit: two tasks may name one unit by two of its aliases.
            const asked = names.filter((n) => !result[n] && (aliases.includes(n) || aliases.includes(`${n}.service`) || p.Id === n || p.Id === `${n}.service`));
            const fallbackState = isEnabled.get(p.Id ?? '');
            const enabled = fallbackState || p.UnitFileState || '';
            for (const name of asked) {
              result[name] = {
                exists: (p.LoadState !== undefined && p.LoadState !== '' && p.LoadState !== 'not-found') || Boolean(fallbackState),
                running: ['active', 'reloading', 'activating'].includes(p.ActiveState ?? ''),
                enabled: ENABLED.includes(enabled),
              };
            }
          }
          return result;
        },
      };
    },
    // enable/disable only change symlinks, which boot reads and `systemctl show` sees at once; the
    // manager's own reload of every unit file (≈ 0.15 s of host CPU each) is paid once per play instead
    // of once per service, so its dependency tree still ends up as after a plain `systemctl enable`.
    command(action, service) {
      if (action !== 'enable' && action !== 'disable') return `systemctl ${action} -- ${unit(service)}`;
      return `${sync ? `${sync.env} ` : ''}systemctl ${action} --no-reload -- ${unit(service)}`;
    },
    followUp: { actions: ['enable', 'disable'], command: 'systemctl daemon-reload', description: "reload systemd's unit configuration" },
  };
}

export const systemd = systemdBackend();
export const systemdDebian = systemdBackend(updateRcDSync);
