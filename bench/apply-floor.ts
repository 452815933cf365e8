// The floor under a first apply: what the hosts must do to reach the relay's end state whatever tool
// drives them, on a fresh fleet, one exec per host and nothing else — write the files (contents,
// modes and owners copied from a host fleetplan converged in the same bench run), build the SASL map,
// generate the DKIM key, start and enable Postfix and OpenDKIM through the init system. No reads, no
// checks, no backups, no handler restarts (each service starts once, on its final files). On this
// machine the hosts share the controller's cores, so this is the shortest first apply any tool can
// have here: "Ansible / floor" is the highest first-apply ratio this machine can show.
//   node dist/bench/apply-floor.js <inventory.yml> <scripts-dir> <forks>   (<scripts-dir>/<host>.sh)
import { lstatSync, readdirSync, readFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { onEveryHost } from './floor.js';

/** The files the relay plan writes on a Debian host, as the bench's Ansible playbook lists them. */
const FILES = ['/etc/postfix/main.cf', '/etc/postfix/sasl_passwd', '/etc/opendkim/KeyTable', '/etc/opendkim/SigningTable',
  '/etc/opendkim/TrustedHosts', '/etc/opendkim.conf'];
const KEY_ROOT = '/etc/opendkim/keys';
const SERVICES = ['postfix', 'opendkim'];

const mode = (st: Stats) => (st.mode & 0o7777).toString(8).padStart(4, '0');
const owner = (st: Stats) => `${st.uid}:${st.gid}`;

/** Where the converged host keeps its DKIM keys: one `<domain>/<selector>.private` per key. */
function keysOf(root: string): { dir: string; domain: string; selector: string }[] {
  const keys: { dir: string; domain: string; selector: string }[] = [];
  for (const domain of readdirSync(path.join(root, KEY_ROOT)).sort()) {
    const dir = path.join(KEY_ROOT, domain);
    for (const f of readdirSync(path.join(root, dir)).sort()) {
      if (f.endsWith('.private')) keys.push({ dir, domain, selector: f.slice(0, -'.private'.length) });
    }
  }
  return keys;
}

/** `chown` + `chmod` of a path on the floor's host to what it is on the converged host. */
function sameAs(root: string, p: string): string {
  const st = lstatSync(path.join(root, p));
  return `chown ${owner(st)} ${p} && chmod ${mode(st)} ${p}`;
}

/**
 * The one script that takes a fresh host of `personality` to the end state of the converged host
 * whose root is `root` (the bench's own test hosts: paths and names are the plan's, never input).
 */
export function bareScript(root: string, personality: string): string {
  const start = personality === 'debian-sysv'
    ? (s: string) => `/etc/init.d/${s} start >/dev/null && update-rc.d ${s} defaults >/dev/null && update-rc.d ${s} enable`
    : personality === 'debian-systemd' ? (s: string) => `systemctl start ${s} && systemctl enable -q ${s}` : undefined;
  if (!start) throw new Error(`apply floor: no script for ${personality} (debian-sysv, debian-systemd)`);
  const keys = keysOf(root);
  const dirs = ['/etc/opendkim', KEY_ROOT, ...new Set(keys.map((k) => k.dir))];
  const lines = ['set -e'];
  for (const d of dirs) lines.push(`mkdir -p ${d} && ${sameAs(root, d)}`);
  for (const f of FILES) {
    lines.push(`base64 -d > ${f} <<'EOF'`, readFileSync(path.join(root, f)).toString('base64'), 'EOF', sameAs(root, f));
  }
  // Dated back as fleetplan's roles date it (backdate): Postfix would otherwise wait for a fresh main.cf to cool down.
  lines.push('touch -d "@$(( $(date +%s) - 2 ))" /etc/postfix/main.cf');
  lines.push('postmap hash:/etc/postfix/sasl_passwd && chmod 0600 /etc/postfix/sasl_passwd.db');
  for (const k of keys) {
    const base = `${k.dir}/${k.selector}`;
    lines.push(`opendkim-genkey -D ${k.dir} -d ${k.domain} -s ${k.selector}`, sameAs(root, `${base}.private`), sameAs(root, `${base}.txt`));
  }
  for (const s of SERVICES) lines.push(start(s));
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const [inventoryFile, dir, forks] = process.argv.slice(2);
  if (!inventoryFile || !dir || !forks) throw new Error('usage: apply-floor.js <inventory.yml> <scripts-dir> <forks>');
  const { failed } = await onEveryHost(inventoryFile, Number(forks), (host) => readFileSync(path.join(dir, `${host}.sh`), 'utf8'));
  process.stdout.write(`apply floor: ${failed ? `${failed} host(s) FAILED` : 'every host converged'}\n`);
  process.exitCode = failed ? 1 : 0;
}

if (path.basename(process.argv[1] ?? '') === 'apply-floor.js') await main();
