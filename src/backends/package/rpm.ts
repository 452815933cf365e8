// RedHat family: rpm's database for state, yum or dnf (same command line) for changes.
import type { PackageBackend, PackageState } from '../backends.js';
import { nameOperands, RPM_PACKAGE } from '../names.js';

/** `-- name…`: every name checked, then quoted, after the end of options (rpm's popt, yum/dnf's argparse). */
const words = (names: string[]) => nameOperands(RPM_PACKAGE, names, { endOfOptions: true });

/** `tool` is yum (CentOS 6/7) or dnf (8+; yum is its alias there). */
export function rpmBackend(tool: 'yum' | 'dnf'): PackageBackend {
  return {
    name: tool,
    names: RPM_PACKAGE,
    statePaths: ['/var/lib/rpm', '/usr/lib/sysimage/rpm', '/etc/yum.repos.d', '/etc/yum.conf', '/etc/yum', '/etc/dnf'],
    supports: ['present', 'absent', 'latest'],
    query(names, opts = {}) {
      const list = words(names);
      // rpm -q prints "package x is not installed" (exit 1) for missing ones: those lines lack a tab.
      // check-update lists newer versions of installed packages ("name.arch  version  repo"), exit 100.
      const updates = opts.candidate ? `\necho @@updates; ${tool} -q -C check-update ${list} 2>/dev/null; true` : '';
      return {
        key: `${tool}:${opts.candidate ? 'c:' : ''}${names.join(',')}`,
        script: `rpm -q --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\n' ${list} 2>/dev/null; true${updates}`,
        // Commands only (no variable, cd or exit): read in the batch's shell, no subshell.
        inShell: true,
        parse(out) {
          const [installed, updates = ''] = out.toString().split('@@updates\n');
          const result: Record<string, PackageState> = {};
          for (const n of names) result[n] = { installed: null };
          for (const line of installed!.split('\n')) {
            const [name, version] = line.split('\t');
            if (name && version !== undefined && name in result) result[name] = { installed: version };
          }
          if (opts.candidate) {
            for (const n of names) if (result[n]!.installed !== null) result[n]!.candidate = result[n]!.installed;
            for (const line of updates.split('\n')) {
              const [nameArch, version] = line.trim().split(/\s+/);
              const name = nameArch?.replace(/\.[^.]+$/, '');
              if (name && version && name in result) result[name]!.candidate = version;
            }
          }
          return result;
        },
      };
    },
    install: (names) => `${tool} -y install ${words(names)}`,
    remove: (names) => `${tool} -y remove ${words(names)}`,
    cache: { update: `${tool} -q -y makecache`, stamp: `/var/cache/${tool}/fleetplan-makecache-stamp` },
  };
}
