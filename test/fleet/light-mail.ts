// The light mail mode of the test fleet (`up({ mail: 'light' })`, CLI `--light-mail`), for scale runs
// where 1000 relay hosts share this machine: Postfix's pickup and qmgr are started by its master on
// first use instead of at master's start. Everything a plan reads stays real — the master daemon,
// its pid file, `postfix status`/`postfix check`, postconf, the init scripts, OpenDKIM — only the two
// idle daemons per host (≈ 0.6 MB of private memory each, a wake-up every 60 s and 300 s) are not
// running until mail arrives. Done with Postfix's own master.cf syntax: a wake-up time followed by
// `?` is sent only once the service has been used (master.cf(5); Debian's own master.cf already
// writes tlsmgr and flush that way).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the hosts' images keep master.cf (Debian and the CentOS layers; FreeBSD's Postfix is installed by plans). */
export const MASTER_CF_PATHS = ['etc/postfix/master.cf'];

/**
 * master.cf with every unconditional wake-up (field 6 a positive number of seconds) made conditional
 * (`60` → `60?`). Comments, continuation lines and every other field are left as they are.
 */
export function lightMasterCf(text: string): string {
  return text.replace(/^([^#\s]\S*(?:[ \t]+\S+){4}[ \t]+)([1-9]\d*)(?=[ \t])/gm, '$1$2?');
}

/** Applies the light mail mode to a host's root (through its overlay, so only its upper dir changes). */
export function lightenMail(root: string): void {
  for (const rel of MASTER_CF_PATHS) {
    const file = join(root, rel);
    if (!existsSync(file)) continue;
    const before = readFileSync(file, 'utf8');
    const after = lightMasterCf(before);
    if (after !== before) writeFileSync(file, after);
  }
}
