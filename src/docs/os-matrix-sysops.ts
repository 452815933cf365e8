// The system operations' part of docs/os-matrix.md (sysctl, cron, debconf, package caches and
// repositories), generated from the backends' own declarations so the page cannot drift from them.
import { packageBackends } from '../backends/select.js';
import { sysctlBackends, sysctlRules } from '../backends/sysctl.js';
import { cacheUpdateCommand } from '../backends/package/cache.js';
import { crontabWrite } from '../backends/cron.js';

/** The page's own markdown helpers (os-matrix.ts), so both parts format alike. */
interface Markdown {
  code(s: string): string;
  table(head: string[], rows: string[][]): string;
}

function chosen(name: string, { code }: Markdown): string {
  return sysctlRules
    .filter((r) => r.backend === name)
    .map((r) => Object.entries(r.when).map(([f, v]) => `${code(`facts.${f}`)} = ${code(v)}`).join(' and '))
    .join(', or ');
}

export function sysopsSection(md: Markdown): string[] {
  const { code, table } = md;
  return [
    '### System operations',
    '',
    '**sysctl**: the backend is chosen from the facts; the running value is read with `sysctl -n` on both.',
    '',
    table(
      ['sysctl backend', 'chosen when', 'default file', 'line', 'sets the running value with'],
      Object.entries(sysctlBackends).map(([n, b]) => [code(n), chosen(n, md), code(b.defaultFile), code(`vm.swappiness${b.separator}10`), code(b.set('vm.swappiness', '10'))]),
    ),
    '',
    '**package caches** (`update_cache`, `cache_valid_time`): the age is the stamp file\'s, on the host\'s clock.',
    '',
    table(
      ['package backend', 'refresh', 'stamp'],
      Object.entries(packageBackends).map(([n, b]) => [code(n), b.cache ? code(cacheUpdateCommand(b.cache)) : 'none (update_cache refused)', b.cache ? code(b.cache.stamp) : '—']),
    ),
    '',
    '**repositories**: `apt_repository` and `deb822_repository` on hosts whose `facts.pkg_mgr` is `apt` (`/etc/apt/sources.list.d`),',
    '`yum_repository` on `yum`/`dnf` (`/etc/yum.repos.d`), `pkg_repository` on `pkg` (`/usr/local/etc/pkg/repos`); any other host fails the task naming it.',
    '',
    `**cron**: Linux and FreeBSD take the same crontab(1) protocol: ${code('crontab -u fleet -l')} to read, ${code(crontabWrite('fleet', '…').replace(/'…'/, '<table>'))} to replace; \`cron_file\` writes \`/etc/cron.d/<name>\` (both read it).`,
    '',
    '**debconf**: Debian family only (`facts.os_family` = `Debian`); `debconf-communicate` reads, `debconf-set-selections` writes.',
    '',
  ];
}
